#!/usr/bin/env bash
# The MSRV check: builds labdeck (library, binary and tests) with the Rust
# that Cargo.toml's `rust-version` names, when rustup has that toolchain.
# Without it nothing is built and the script says so (exit 0), unless
# LABDECK_REQUIRE_MSRV=1, which installs it with rustup (network) first.
# What is checked without the toolchain: clippy's `incompatible_msrv`
# (denied in Cargo.toml: standard-library items newer than the MSRV) and
# tests/docs_reference.rs `no_dependency_needs_a_newer_rust_than_the_msrv`;
# language features newer than the MSRV are caught only here.
set -euo pipefail
cd "$(dirname "$0")/.."

msrv=$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' Cargo.toml)
[ -n "$msrv" ] || { echo "msrv: no rust-version in Cargo.toml" >&2; exit 1; }

has_toolchain() {
  rustup toolchain list 2>/dev/null | grep -Eq "^${msrv//./\\.}(\.0)?-"
}

if ! has_toolchain; then
  if [ "${LABDECK_REQUIRE_MSRV:-}" = 1 ]; then
    rustup toolchain install "$msrv" --profile minimal
  else
    echo "msrv: Rust $msrv is not installed (rustup toolchain list); not built with it." \
      "Set LABDECK_REQUIRE_MSRV=1 to install it and build."
    exit 0
  fi
fi

# Its own target folder: another compiler's artefacts would not be reused.
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/msrv-$msrv" \
  cargo "+$msrv" check --locked --all-targets
echo "msrv: labdeck builds with Rust $msrv"

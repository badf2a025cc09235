#!/usr/bin/env bash
# Edit-to-screen time of `labdeck serve`: from saving a chapter of a big deck
# to the edited slide painted in headless Chromium, on the same slide
# (tests/browser.rs bench_serve_edit_to_paint says exactly what is timed).
#
#   scripts/bench-serve.sh [MANIFEST]        (default: the corpus' kube-selfpaced.yml)
#   RUNS=15 scripts/bench-serve.sh           (edits; default 9, plus one warm-up)
#   LABDECK=/path/to/labdeck scripts/bench-serve.sh   (time another build's serve)
#
# The deck's repository is copied to a temporary folder; the corpus is not touched.
# Needs: apt-get install chromium chromium-driver
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -gt 0 ]; then export LABDECK_BENCH_MANIFEST="$(realpath "$1")"; fi
if [ -n "${LABDECK:-}" ]; then
  export LABDECK_BENCH_BIN="$(realpath "$LABDECK")"
else
  . scripts/cargo-exe.sh
  export LABDECK_BENCH_BIN="$(cargo_exe --release --bin labdeck)"
fi
export LABDECK_BENCH_RUNS="${RUNS:-9}" LABDECK_REQUIRE_BROWSER=1
cargo test --quiet --test browser bench_serve_edit_to_paint -- --ignored --exact --nocapture 2>&1 | grep '^BENCH'

#!/usr/bin/env bash
# Time to first visible slide and JS heap of a big deck in headless Chromium.
#   scripts/bench-browser.sh [MANIFEST]     (default: the corpus' kube-selfpaced.yml)
# Builds the deck with labdeck, loads it RUNS times (default 5, plus one warm-up)
# and prints medians. Needs: apt-get install chromium chromium-driver
set -euo pipefail
cd "$(dirname "$0")/.."
manifest="${1:-../shared/corpus/container.training-2021/slides/kube-selfpaced.yml}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
cargo build --quiet
"${CARGO_TARGET_DIR:-target}"/debug/labdeck build "$manifest" --out "$out"
page="$(ls "$out"/*.html)"
export LABDECK_BENCH_PAGE="$page" LABDECK_BENCH_RUNS="${RUNS:-5}" LABDECK_REQUIRE_BROWSER=1
cargo test --quiet --test browser bench_first_slide_and_heap -- --ignored --exact --nocapture 2>&1 | grep '^BENCH'

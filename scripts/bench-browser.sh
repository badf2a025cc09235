#!/usr/bin/env bash
# Time to first slide / first paint and JS heap of a big deck in headless
# Chromium, side by side with remark.js on the same deck in the same run.
#
#   scripts/bench-browser.sh [MANIFEST]     (default: the corpus' kube-selfpaced.yml)
#   RUNS=9 scripts/bench-browser.sh         (rounds; default 5, plus one warm-up)
#   BASE=/path/to/other/labdeck scripts/bench-browser.sh   (also that build's page)
#   REMARK_JS=/path/to/remark.min.js scripts/bench-browser.sh
#   RELEASE=1 scripts/bench-browser.sh      (labdeck and the test harness built with
#                                            --release: the same pages, from a release build)
#
# Builds the deck with this tree's labdeck (and BASE's, if given), then loads
# each page in turn RUNS times (each round starting one page further on, the
# previous page's heap collected first: a fixed order favours the pages
# listed first) and prints medians, all in ms from navigation
# start by the Performance API: first_slide (the `labdeck-first-slide` mark,
# set in the requestAnimationFrame callback of the frame that paints the first
# slide: labdeck's page sets it once slide 1 is in place, before the slides
# script is read; remark.js's page once remark.create() has returned),
# first_paint and first_contentful_paint (Chromium's paint timing entries),
# and the ratios of remark.js's medians to labdeck's from this one run. A
# floor page (one heading, the same mark) is loaded in turn too: the least
# any page takes in this harness (navigation, a first frame); each page's
# first slide is also given as milliseconds above it.
#
# remark.js: REMARK_JS, or the remark.min.js that the npm package backslide
# ships (fetched once with `npm pack` into the build folder's bench-cache/).
# The page inlines it and loads nothing from the network. Without npm and
# REMARK_JS the remark.js column is left out (said so).
# Needs: apt-get install chromium chromium-driver
set -euo pipefail
cd "$(dirname "$0")/.."
manifest="$(realpath "${1:-../shared/corpus/container.training-2021/slides/kube-selfpaced.yml}")"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
. scripts/cargo-exe.sh
profile=()
[ -n "${RELEASE:-}" ] && profile=(--release)
bin=$(cargo_exe "${profile[@]}" --bin labdeck)
mkdir -p "$out/labdeck"
"$bin" build "$manifest" --out "$out/labdeck" >/dev/null
pages="labdeck=$(ls "$out"/labdeck/*.html)"
if [ -n "${BASE:-}" ]; then
  mkdir -p "$out/base"
  "$BASE" build "$manifest" --out "$out/base" >/dev/null
  pages="base=$(ls "$out"/base/*.html),$pages"
fi
remark="${REMARK_JS:-}"
if [ -z "$remark" ]; then
  cache="$(dirname "$bin")/bench-cache"
  remark="$cache/remark.min.js"
  if [ ! -s "$remark" ] && command -v npm >/dev/null; then
    mkdir -p "$cache"
    (cd "$cache" && npm pack --silent backslide@3.0.0 >/dev/null &&
      tar xzf backslide-3.0.0.tgz --strip-components=3 package/starter/template/remark.min.js) ||
      echo "note: could not get remark.js from npm (backslide); set REMARK_JS" >&2
  fi
fi
if [ -s "$remark" ]; then
  export LABDECK_BENCH_REMARK_JS="$(realpath "$remark")" LABDECK_BENCH_MANIFEST="$manifest"
else
  echo "note: no remark.js (set REMARK_JS=path): measuring labdeck only" >&2
fi
export LABDECK_BENCH_PAGES="$pages" LABDECK_BENCH_RUNS="${RUNS:-5}" LABDECK_REQUIRE_BROWSER=1
echo "BENCH machine: $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
cargo test --quiet "${profile[@]}" --test browser bench_first_slide_and_heap -- --ignored --exact --nocapture 2>&1 | grep '^BENCH'
echo "BENCH load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

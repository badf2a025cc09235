#!/usr/bin/env bash
# How far labdeck agrees with remark 0.14.1 on remark decks by other authors
# (DECKS/<deck>/, each with SOURCE.md and its licence: the repository does
# not hold other people's decks; tests/remark-decks.md lists where each one
# comes from, at which commit, and what was left out).
#
#   REMARK_JS=/path/to/remark.min.js DECKS=/path/to/remark-decks scripts/remark-agreement.sh [OUT]
#   RECORD=1 REMARK_JS=... scripts/remark-agreement.sh   (also rewrites each
#                                   deck's remark.json, which tests read)
#   DECK=uo-ec607-git KEEP=1 ...    (one deck; keep each side's screenshot)
#
# For each deck: builds it with labdeck from its own HTML page, as a remark
# user would (`labdeck build page.html`); loads the same page with remark
# 0.14.1 (REMARK_JS put in place of the page's remark script, nothing from
# the network: every host name fails to resolve) in headless Chromium;
# reads each slide's text the way the corpus oracle does (the textContent of
# each .remark-slide-content without the slide number, whitespace collapsed:
# tests/support/slide_text.rs); prints per deck the slides with remark's
# text out of remark's count and the first slides that differ; and writes
# side-by-side screenshots (labdeck | remark) of slides 1, 2 and the first
# two that differ, with report.txt, into OUT (default: target/remark-agreement).
#
# remark.min.js is remark's published build (remarkjs.com
# downloads/remark-latest.min.js at 0.14.1, or the copy the npm package
# backslide@3.0.0 ships in starter/template/; scripts/bench-browser.sh says
# how to fetch it). The measurement itself is tests/remark_agreement.rs
# (measure_against_remark, run by hand); `cargo test --test remark_agreement`
# checks the recorded figures without a browser.
# Needs: apt-get install chromium chromium-driver
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${REMARK_JS:-}" ] || [ ! -s "$REMARK_JS" ]; then
  echo "remark-agreement: set REMARK_JS to remark 0.14.1's remark.min.js" >&2
  exit 2
fi
if [ -z "${DECKS:-}" ] || [ ! -d "$DECKS" ]; then
  echo "remark-agreement: set DECKS to the folder of remark decks (tests/remark-decks.md)" >&2
  exit 2
fi
export LABDECK_REMARK_DECKS="$(realpath "$DECKS")"
out="$(realpath -m "${1:-target/remark-agreement}")"
mkdir -p "$out"
export LABDECK_REMARK_JS="$(realpath "$REMARK_JS")" LABDECK_AGREEMENT_OUT="$out" LABDECK_REQUIRE_BROWSER=1
[ -n "${RECORD:-}" ] && export LABDECK_AGREEMENT_RECORD=1
[ -n "${DECK:-}" ] && export LABDECK_AGREEMENT_DECK="$DECK"
[ -n "${KEEP:-}" ] && export LABDECK_AGREEMENT_KEEP=1
echo "AGREEMENT labdeck $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo '+changes'), remark.js $(sha256sum "$LABDECK_REMARK_JS" | cut -c1-12)"
if ! cargo test --quiet --test remark_agreement -- --ignored --exact measure_against_remark --nocapture >"$out/log.txt" 2>&1; then
  tail -40 "$out/log.txt" >&2
  echo "remark-agreement: the measurement failed (whole log: $out/log.txt)" >&2
  exit 1
fi
grep -E '^(AGREEMENT|  )' "$out/log.txt"

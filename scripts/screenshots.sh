#!/usr/bin/env bash
# Writes docs/screenshot.png and docs/screenshot-presenter.png: the sample deck
# (or the manifest given) in headless Chromium, normal and presenter mode; and
# docs/screenshot-remark-theme.png: slides/remark-talk/talk.html, a remark
# page with its own theme and 4:3 ratio.
# Needs: apt-get install chromium chromium-driver
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -gt 0 ]; then export LABDECK_SCREENSHOT_MANIFEST="$(realpath "$1")"; fi
export LABDECK_REQUIRE_BROWSER=1
cargo test --test browser screenshots -- --ignored --exact --nocapture
# A remark deck with its own theme and 4:3 ratio (docs/screenshot-remark-theme.png).
cargo test --test browser theme_screenshot -- --ignored --exact --nocapture
# The classroom pictures (docs/classroom-*.png), from their end-to-end tests:
# the student's check (tests/classroom.rs), the instructor's board
# (tests/browser/board.rs).
# (Their harness, libtest-mimic, takes one filter at a time.)
LABDECK_SCREENSHOT_DIR="$PWD/docs" cargo test --test classroom -- a_student
LABDECK_SCREENSHOT_DIR="$PWD/docs" cargo test --test classroom -- the_check_bar
LABDECK_SCREENSHOT_DIR="$PWD/docs" cargo test --test browser -- board::per_exercise

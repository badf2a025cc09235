#!/usr/bin/env bash
# Installs what the browser tests, `labdeck pdf` and the bench need (Debian):
# Chromium and its WebDriver. Meant for .ci/run and fresh machines.
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium chromium-driver >/dev/null
chromium --version

#!/usr/bin/env bash
# Headless Chromium for the HTML-export test (tests/core/test_formats_html.py), from Debian's packages.
# Idempotent: does nothing when /usr/bin/chromium is already there. Needs root (CI and these machines).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != "0" ] && ! command -v sudo >/dev/null 2>&1; then
  echo "setup-chromium: not root and no sudo; the HTML browser test will be skipped" >&2
  exit 0
fi
SUDO=""
[ "$(id -u)" = "0" ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
chromium --version

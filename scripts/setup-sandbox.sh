#!/usr/bin/env bash
# bubblewrap, the local backend's sandbox (idempotent: does nothing when installed). Without it the local
# backend still runs, unconfined, and says so (result.json "sandbox": "none"); see README "Sandboxes".
set -euo pipefail
command -v bwrap >/dev/null && exit 0
if ! command -v apt-get >/dev/null; then
  echo "setup-sandbox: no apt-get; install bubblewrap (bwrap) with your package manager" >&2
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
apt-cache show bubblewrap >/dev/null 2>&1 || $SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends bubblewrap

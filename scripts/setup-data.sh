#!/usr/bin/env bash
# Offline data sets the tasks read, from Debian's archive (idempotent: does nothing when installed).
#   dataset-fashion-mnist  idx files under /usr/share/datasets/fashion-mnist/ (imageClassificationFMnist)
# Other systems: see tasks/imageClassificationFMnist/README.md (FASHION_MNIST_DIR, or the Hugging Face path).
set -euo pipefail
PACKAGES=(dataset-fashion-mnist)
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "setup-data: no apt-get; install ${missing[*]} by hand (see tasks/imageClassificationFMnist/README.md)" >&2
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet; refresh once when the package is unknown.
apt-cache show "${missing[@]}" >/dev/null 2>&1 || $SUDO apt-get update -q
$SUDO apt-get install -y -q "${missing[@]}"

#!/usr/bin/env bash
# Offline data for the MLGym-Bench part-2 tasks, from Debian's archive (idempotent: does nothing when
# everything is installed).
#   r-cran-janeaustenr  six Jane Austen novels as R data files   (languageModelingFineWeb)
#   wordnet-base        the WordNet 3.0 database files           (naturalLanguageInferenceMNLI)
# Other systems: see the two tasks' READMEs (JANEAUSTENR_DIR / WORDNET_DIR point at copies elsewhere).
# The GPT-2 BPE ranks are not a Debian package: the prepare script of languageModelingFineWeb fetches the
# openai-whisper sdist from PyPI once and caches the file.
set -euo pipefail
PACKAGES=(r-cran-janeaustenr wordnet-base)
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "setup-data-part2: no apt-get; install ${missing[*]} by hand (see tasks/languageModelingFineWeb/README.md" \
    "and tasks/naturalLanguageInferenceMNLI/README.md)" >&2
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet; refresh once when a package is unknown.
apt-cache show "${missing[@]}" >/dev/null 2>&1 || $SUDO apt-get update -q
# --no-install-recommends: the data files need R's base package only as a dependency, not R's toolchain.
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"

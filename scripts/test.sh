#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs the package with its test extras into .venv, prepares
# the services the tests need (scripts/setup-*.sh), then runs pytest on two workers.
# Extra arguments go to pytest (e.g. `bash scripts/test.sh -m "not slow"`).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
fi
.venv/bin/python -m pip install -q -e '.[test]'
for setup in scripts/setup-*.sh; do
  [ -e "$setup" ] || continue
  echo "== $setup"
  bash "$setup"
done
exec .venv/bin/python -m pytest -n 2 --dist loadgroup "$@"

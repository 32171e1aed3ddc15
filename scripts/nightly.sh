#!/usr/bin/env bash
# The nightly checks: the full baseline reproduction of the GPU-sized MLGym-Bench tasks on their offline
# data (each trains for minutes on two CPU cores, so CI leaves them out), then `tasks check` would report
# the same. Installs like scripts/test.sh, then runs the tests marked `nightly` one at a time (two CPU cores
# are enough for one training run, not two), and the red-team variants too slow for CI (tests/security: the
# FineWeb attacks that need a full evaluation each, the MetaMaze printed-metrics attack).
# Extra arguments go to pytest (e.g. `bash scripts/nightly.sh -k Cifar10`).
set -euo pipefail
cd "$(dirname "$0")/.."
# The same installation and setup as the test command; later pytest options win over its defaults.
exec bash scripts/test.sh -n 0 -m nightly -v "$@"

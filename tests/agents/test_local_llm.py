"""``--model local:smollm2``: a real (weak) language model, served by llama.cpp on loopback, drives a real
episode with no key and no network. Slow (~1 min on 2 cores); needs the ``local-llm`` extra and the GGUF
that scripts/setup-llm.sh fetches."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from tests.helpers import cli, read_jsonl

pytestmark = pytest.mark.slow


def _gguf_or_skip() -> None:
    if importlib.util.find_spec("xllamacpp") is None:
        pytest.skip("the local-llm extra (xllamacpp) is not installed")
    from mlgym_tui.agents.models.local import find_gguf
    from mlgym_tui.core.errors import ConfigError

    try:
        find_gguf(download=False)
    except ConfigError as exc:
        pytest.skip(f"no local model: {exc} (run scripts/setup-llm.sh)")


def _servers_running() -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "mlgym_tui.agents.models.llamacpp_server" in text:
            found.append(text)
    return found


def test_smollm2_drives_an_episode_offline(tmp_path: Path) -> None:
    _gguf_or_skip()
    before = _servers_running()
    proc = cli("run", "prisonersDilemma", "--agent", "default", "--model", "local:smollm2", "--max-steps", "3",
               "-c", "model.max_tokens=128", "-c", "model.temperature=0.8", "-c", "model.extra.seed=7",
               "--out", str(tmp_path), env={"OPENAI_API_KEY": "", "NO_PROXY": "127.0.0.1,localhost"},
               timeout=400)
    assert "Traceback" not in proc.stderr, proc.stderr
    folder = next(tmp_path.rglob("result.json")).parent
    assert folder.parent.name == "default-local_smollm2"
    result = json.loads((folder / "result.json").read_text())
    # a weak model: any orderly ending is fine, but the episode ran and was scored
    assert result["exit_status"] in {"submitted", "autosubmission_max_steps", "exit_format", "exit_context"}
    assert result["submission"] is not None
    assert result["tokens_in"] > 500 and result["tokens_out"] > 0 and result["cost"] == 0.0
    records = read_jsonl(folder / "trajectory.jsonl")
    assert records[0]["model"] == "local:smollm2"
    usage = [r for r in records if r["kind"] == "model_usage"]
    assert usage and all(u["tokens_in"] > 0 for u in usage)
    assert any(r["kind"] in ("action", "format_error") for r in records)
    assert _servers_running() == before  # the model server was stopped with the run

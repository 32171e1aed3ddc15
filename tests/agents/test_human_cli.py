"""`--agent human` headless: a person's commands from stdin are run, recorded and graded like an agent's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import PROJECT, read_jsonl


def test_human_agent_reads_commands_from_stdin(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mlgym_tui.cli", "run", "prisonersDilemma", "--agent", "human", "--out", str(tmp_path),
         "-q"],
        input="echo typed-by-a-person\nvalidate\nsubmit\n", capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(PROJECT)}, cwd=PROJECT,
    )
    assert proc.returncode == 0, proc.stderr
    assert "typed-by-a-person" in proc.stdout
    folder = next(tmp_path.rglob("trajectory.jsonl")).parent
    actions = [r["action"] for r in read_jsonl(folder / "trajectory.jsonl") if r["kind"] == "action"]
    assert actions == ["echo typed-by-a-person", "validate", "submit"]
    result = json.loads((folder / "result.json").read_text())
    assert result["agent_name"] == "human" and result["exit_status"] == "submitted" and result["score"] is not None

"""Running ``mlgym-tui batch`` as a user would, and reading what it left in the output folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from mlgym_tui.batch.ledger import scan

PROJECT = Path(__file__).resolve().parents[2]
HOLD = "tests.batch.agents:HoldAgent"
GRID = ["--tasks", "prisonersDilemma,blotto", "--agents", f"baseline,{HOLD}", "--attempts", "2"]
"""2 tasks × 2 agents × 2 attempts: the grid of issue 9."""


def start_batch(
    out: Path, *args: str, hold: Path | None = None, grid: list[str] = GRID
) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    if hold is not None:
        env["MLGYM_TEST_HOLD_DIR"] = str(hold)
    return subprocess.Popen(
        [sys.executable, "-m", "mlgym_tui.cli", "batch", *grid, "--out", str(out), *args],
        env=env, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def run_batch_cli(
    out: Path, *args: str, timeout: float = 240, grid: list[str] = GRID
) -> tuple[int, dict[str, Any], str]:
    """Run to the end; returns exit code, the JSON summary and stderr."""
    proc = start_batch(out, "--json", *args, grid=grid)
    stdout, stderr = proc.communicate(timeout=timeout)
    return proc.returncode, json.loads(stdout), stderr


def wait_for_held(hold: Path, count: int, timeout: float = 90) -> list[tuple[str, int]]:
    """(task, worker pid) of the first ``count`` held episodes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        held = sorted(hold.glob("*.pid"))
        if len(held) >= count:
            return [(p.name.split(".")[0], int(p.name.split(".")[1])) for p in held[:count]]
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} episodes reached the hold point in {timeout} s")


def finished_per_cell(out: Path) -> Counter[str]:
    return Counter(r.cell for r in scan(out) if r.finished)


def results_set(out: Path) -> set[tuple[str, str | None, float | None]]:
    """(cell, exit status, score) of every finished run: what two executors must agree on."""
    return {(r.cell, r.exit_status, r.score) for r in scan(out) if r.finished}

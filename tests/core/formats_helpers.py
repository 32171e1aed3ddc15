"""Shared bits of the format tests: fixture paths and a real run made once per session."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import PROJECT, cli

FIXTURES = PROJECT / "tests" / "fixtures" / "mlgym"
FIXTURE_TRAJS = sorted(FIXTURES.glob("*/*.traj"))


def make_real_run(out: Path) -> Path:
    """One real baseline episode of prisonersDilemma; returns its run folder."""
    proc = cli("run", "prisonersDilemma", "--agent", "baseline", "--out", str(out), "-q")
    assert proc.returncode == 0, proc.stderr
    return next(out.rglob("result.json")).parent


def load_json(path: Path):  # noqa: ANN201
    return json.loads(path.read_text(encoding="utf-8"))

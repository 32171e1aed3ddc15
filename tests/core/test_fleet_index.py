"""The fleet's model: rows from run folders, updated from appended bytes only; queued batch cells."""

from __future__ import annotations

import json
from pathlib import Path

from mlgym_tui.core.fleet import FleetIndex


def _header(**extra: object) -> dict:
    return {"kind": "header", "task": "prisonersDilemma", "agent": "sweep", "model": None, "seed": 2,
            "metric": "Score", "direction": "max", "baseline": {"Score": 2.0}, "host": {"hostname": "node-7"},
            **extra}


def _append(folder: Path, *records: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "trajectory.jsonl").open("a") as f:
        for record in records:
            f.write(json.dumps(record) + "\n")


def test_rows_follow_what_is_appended(tmp_path: Path) -> None:
    run = tmp_path / "prisonersDilemma" / "sweep" / "20260101T000000Z-s2"
    _append(run, _header(), {"kind": "episode_started", "step": 0, "time": 100.0, "max_steps": 30})
    index = FleetIndex(tmp_path)
    assert index.refresh(None)
    [row] = index.all_rows()
    assert (row.status, row.step, row.max_steps, row.host, row.attempt) == ("running", 0, 30, "node-7", 2)
    assert row.best is None and row.gain is None

    _append(run,
            {"kind": "output", "step": 1, "time": 101.0, "text": "x" * 100},
            {"kind": "observation", "step": 1, "time": 101.5, "text": "ok"},
            {"kind": "validation", "step": 2, "time": 102.0, "valid": True, "score": 2.5},
            {"kind": "validation", "step": 3, "time": 103.0, "valid": False, "score": None},
            {"kind": "model_usage", "step": 3, "time": 103.0, "total_cost": 0.25})
    version = index.version
    assert index.refresh([run / "trajectory.jsonl"])
    assert index.version > version
    [row] = index.all_rows()
    assert (row.step, row.scores, row.invalid, row.cost) == (3, [2.5], 1, 0.25)
    assert row.gain == 0.5

    _append(run, {"kind": "intervention", "step": 3, "time": 104.0, "action": "pause"})
    index.refresh(None)
    assert index.all_rows()[0].status == "paused"
    _append(run, {"kind": "submission", "step": 4, "time": 105.0, "valid": True, "score": 1.5},
            {"kind": "episode_ended", "step": 4, "time": 106.0, "exit_status": "submitted", "cost": 0.3})
    index.refresh(None)
    [row] = index.all_rows()
    assert row.status == "submitted" and row.finished and row.elapsed() == 6.0
    assert row.best == 2.5 and row.submission == 1.5
    assert not index.refresh(None), "nothing changed: nothing to redraw"


def test_min_metrics_and_torn_lines(tmp_path: Path) -> None:
    run = tmp_path / "t" / "a" / "r"
    _append(run, _header(direction="min", metric="Time", baseline={"Time": 10.0}))
    with (run / "trajectory.jsonl").open("a") as f:
        f.write('{"kind": "validation", "step": 1, "time": 1.0, "valid": true, "sco')  # torn: still being written
    index = FleetIndex(tmp_path)
    index.refresh(None)
    assert index.all_rows()[0].scores == []
    with (run / "trajectory.jsonl").open("a") as f:
        f.write('re": 8.0}\n{"kind": "validation", "step": 2, "time": 2.0, "valid": true, "score": 9.0}\n')
    index.refresh(None)
    row = index.all_rows()[0]
    assert row.scores == [8.0, 9.0] and row.best == 8.0 and row.gain == 2.0


def test_queued_cells_and_batch_marks(tmp_path: Path) -> None:
    cells = {
        "prisonersDilemma/sweep/a0": {"task": "prisonersDilemma", "agent": "sweep", "model": None, "attempt": 0,
                                      "seed": 0, "state": "pending"},
        "prisonersDilemma/sweep/a1": {"task": "prisonersDilemma", "agent": "sweep", "model": None, "attempt": 1,
                                      "seed": 1, "state": "pending"},
    }
    (tmp_path / "batch.json").write_text(json.dumps({"batch": "b1", "state": "running", "cells": cells}))
    index = FleetIndex(tmp_path)
    index.refresh(None)
    assert sorted(r.status for r in index.all_rows()) == ["queued", "queued"]

    run = tmp_path / "prisonersDilemma" / "sweep" / "x-s0"
    _append(run, _header(config={"batch": {"id": "b1", "cell": "prisonersDilemma/sweep/a0", "attempt": 0}}))
    index.refresh(None)
    statuses = sorted((r.attempt, r.status) for r in index.all_rows())
    assert statuses == [(0, "starting"), (1, "queued")], statuses

    (run / "batch-status.json").write_text(json.dumps({"status": "crashed"}))
    index.refresh([run / "batch-status.json"])
    assert next(r for r in index.all_rows() if r.attempt == 0).status == "crashed"

    (tmp_path / "batch.json").write_text(json.dumps({"batch": "b1", "state": "ended", "cells": cells}))
    index.refresh(None)
    assert [r.status for r in index.all_rows()] == ["crashed"]

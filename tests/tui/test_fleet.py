"""The fleet view: a live table over every episode under a folder, with control of each (Pilot)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Static

from mlgym_tui.tui.app import Start, make_app
from mlgym_tui.tui.screens.fleet import FleetScreen
from mlgym_tui.tui.settings import WorkbenchSettings
from tests.helpers import PROJECT

ENV = {**os.environ, "PYTHONPATH": str(PROJECT)}


async def wait_for(pilot: Any, condition: Any, timeout: float = 180.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.2)


def fleet(app: Any) -> FleetScreen:
    screen = app.screen
    assert isinstance(screen, FleetScreen)
    return screen


@pytest.mark.slow
async def test_fleet_follows_a_batch_to_its_aup(tmp_path: Path) -> None:
    out = tmp_path / "runs"
    out.mkdir()
    batch = subprocess.Popen(
        [sys.executable, "-m", "mlgym_tui.cli", "batch", "--tasks", "prisonersDilemma", "--agents", "baseline,sweep",
         "--attempts", "2", "--workers", "2", "--out", str(out), "-q"],
        env=ENV, cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    app = make_app(WorkbenchSettings.for_tests(runs_dir=out, frozen_time=None), Start("fleet", path=out))
    try:
        async with app.run_test(size=(140, 40)) as pilot:
            screen = fleet(app)
            await wait_for(pilot, lambda: len(screen.rows) >= 4, what="four episodes (queued or running)")
            seen_steps: set[int] = set()
            seen_scores = False

            def all_done() -> bool:
                for row in screen.rows.values():
                    seen_steps.add(row.step)
                nonlocal seen_scores
                seen_scores = seen_scores or any(row.scores for row in screen.rows.values())
                return len(screen.rows) == 4 and all(r.finished for r in screen.rows.values())

            await wait_for(pilot, all_done, what="the batch to finish")
            assert len(seen_steps) > 2, "steps were shown moving"
            assert seen_scores
            await wait_for(pilot, lambda: "AUP over 4 finished episodes" in screen.board_text, what="the AUP")
            assert "sweep" in screen.board_text and "baseline" in screen.board_text
            table = screen.query_one(DataTable)
            assert table.row_count == 4
            statuses = {str(row.status) for row in screen.rows.values()}
            assert statuses == {"submitted"}, statuses
    finally:
        assert batch.wait(timeout=300) == 0, batch.stderr.read() if batch.stderr else ""


@pytest.mark.slow
async def test_pause_and_stop_a_run_from_the_fleet(tmp_path: Path) -> None:
    out = tmp_path / "runs"
    out.mkdir()
    app = make_app(WorkbenchSettings.for_tests(runs_dir=out, frozen_time=None), Start("fleet", path=out, poll=0.2))
    proc = None
    try:
        async with app.run_test(size=(140, 40)) as pilot:
            screen = fleet(app)
            # Started after the view: a folder written by another process appears without a restart.
            proc = subprocess.Popen(
                [sys.executable, "-m", "mlgym_tui.cli", "run", "prisonersDilemma", "--agent",
                 "tests.helpers:SteadyAgent", "--max-steps", "400", "--out", str(out), "-q"],
                env=ENV, cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            await wait_for(pilot, lambda: any(r.status == "running" and r.step > 1 for r in screen.rows.values()),
                           what="the run to appear and step")
            [row] = screen.rows.values()
            await pilot.press("p")
            await wait_for(pilot, lambda: screen.rows[row.key].status == "paused", what="paused")
            held = screen.rows[row.key].step
            await pilot.pause(1.5)
            assert screen.rows[row.key].step <= held + 1
            await pilot.press("s")
            await pilot.click("#yes")
            await wait_for(pilot, lambda: screen.rows[row.key].finished, what="the stopped run to end")
            summary = str(screen.query_one("#fleet-summary", Static).render())
            assert "1 finished" in summary
        assert proc.wait(timeout=60) is not None
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
    folder = next(out.glob("*/*/*/trajectory.jsonl")).parent
    events = [json.loads(line) for line in (folder / "trajectory.jsonl").read_text().splitlines()]
    actions = [(e.get("action"), e.get("via")) for e in events if e["kind"] == "intervention"]
    assert actions == [("pause", "control"), ("stop", "control")], actions
    assert any(e["kind"] == "submission" for e in events)
    assert (folder / "result.json").is_file()


async def test_filter_sort_and_search(tmp_path: Path) -> None:
    out = tmp_path / "runs"
    for task, agent, score in [("blotto", "sweep", 0.2), ("prisonersDilemma", "baseline", 2.0),
                               ("prisonersDilemma", "sweep", 2.6)]:
        folder = out / task / agent / "r-s0"
        folder.mkdir(parents=True)
        records = [
            {"kind": "header", "task": task, "agent": agent, "seed": 0, "metric": "Score", "direction": "max",
             "baseline": {"Score": 1.0}},
            {"kind": "episode_started", "step": 0, "time": 10.0, "max_steps": 30},
            {"kind": "validation", "step": 3, "time": 12.0, "valid": True, "score": score},
        ]
        (folder / "trajectory.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    app = make_app(WorkbenchSettings.for_tests(runs_dir=out), Start("fleet", path=out, poll=0.2))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = fleet(app)
        await wait_for(pilot, lambda: len(screen.order) == 3, timeout=30, what="three rows")
        assert [screen.rows[k].task for k in screen.order] == ["blotto", "prisonersDilemma", "prisonersDilemma"]
        for _ in range(3):  # task → competitor → status → gain
            await pilot.press("o")
        assert screen.sort_key == "gain"
        assert [screen.rows[k].best for k in screen.order] == [2.6, 2.0, 0.2]
        await pilot.press("slash")
        await pilot.press(*"blotto")
        await wait_for(pilot, lambda: len(screen.order) == 1, timeout=10, what="the search")
        await pilot.press("escape")
        assert len(screen.order) == 3
        await pilot.press("f")  # live only: all three are running (no end event)
        assert len(screen.order) == 3
        await pilot.press("f")  # finished only
        assert screen.order == []

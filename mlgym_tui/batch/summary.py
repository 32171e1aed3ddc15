"""What a batch leaves for people and tools: the manifest (``<out>/batch.json``) and the JSON summary."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mlgym_tui.batch.books import BatchBooks
from mlgym_tui.batch.grid import Cell
from mlgym_tui.batch.job import Outcome
from mlgym_tui.batch.ledger import STATE_DIR

SUMMARY_SCHEMA = "mlgym-tui/batch-summary"
MANIFEST_SCHEMA = "mlgym-tui/batch"


def manifest_data(
    options: Any, batch_id: str, cells: list[Cell], done: dict[str, Any], outcomes: dict[str, Outcome],
    state: str,
) -> dict[str, Any]:
    entries = {}
    for cell in cells:
        run = done.get(cell.key)
        outcome = outcomes.get(cell.key)
        entries[cell.key] = {
            "task": cell.task, "agent": cell.agent, "model": cell.model, "attempt": cell.attempt, "seed": cell.seed,
            "state": "finished" if run else (outcome.state if outcome else "pending"),
            "folder": str(run.folder.relative_to(options.out)) if run else None,
            "exit_status": run.exit_status if run else None,
            "score": run.score if run else None,
        }
    return {
        "schema": MANIFEST_SCHEMA, "version": 1, "batch": batch_id, "state": state,
        "updated": datetime.now(UTC).isoformat(timespec="seconds"),
        "grid": {"tasks": sorted({c.task for c in cells}), "agents": options.agents, "models": options.models,
                 "attempts": options.attempts, "seed": options.seed},
        "cells": entries,
    }


def summary_data(
    options: Any, batch_id: str, cells: list[Cell], done_before: dict[str, Any], done_after: dict[str, Any],
    state: BatchBooks, interrupted: bool, wall: float,
) -> dict[str, Any]:
    episodes = []
    for job, o in state.outcomes:
        episodes.append({
            "cell": job.cell.key, "task": job.cell.task, "agent": job.cell.agent, "model": job.cell.model,
            "attempt": job.cell.attempt, "seed": job.cell.seed, "state": o.state, "exit_status": o.exit_status,
            "score": o.score, "steps": o.steps, "cost": o.cost, "folder": o.folder, "host": o.host,
            "episode_time": round(o.episode_time, 4), "total_time": round(o.total_time, 4),
            "overhead": round(max(0.0, o.total_time - o.episode_time), 4), "message": o.message,
            "launched_at": state.launched_at.get(job.launch), "ended_at": state.ended_at.get(job.launch),
            "started_at": o.started_at or None,
        })
    ran = len(episodes)
    overheads = [e["overhead"] for e in episodes if e["state"] == "finished"]
    stamps = [(e["launched_at"], e["ended_at"]) for e in episodes if e["launched_at"] and e["ended_at"]]
    active = max(end for _, end in stamps) - min(begin for begin, _ in stamps) if stamps else 0.0
    return {
        "schema": SUMMARY_SCHEMA, "version": 1, "batch": batch_id, "out": str(options.out),
        "executor": options.executor, "workers": options.workers, "backend": options.backend,
        "cells": len(cells), "skipped": len(done_before), "ran": ran,
        "finished": sum(e["state"] == "finished" for e in episodes),
        "failed": [e["cell"] for e in episodes if _failed(e)],
        "incomplete": [c.key for c in cells if c.key not in done_after],
        "interrupted": interrupted, "stopped": state.stopped,
        "cost": round(state.cost, 6), "wall_time": round(wall, 3),
        "active_time": round(active, 3),
        "episodes_per_minute": round(ran / wall * 60, 2) if wall > 0 and ran else 0.0,
        "overhead_per_episode": round(sum(overheads) / len(overheads), 4) if overheads else None,
        "marked": [{"folder": str(f), "status": s} for f, s in state.marked],
        "episodes": episodes,
        "state_dir": str(options.out / STATE_DIR),
    }


def _failed(e: dict[str, Any]) -> bool:
    """Did not finish, or finished with an error status (the same rule as the progress view)."""
    return e["state"] != "finished" or e["exit_status"] in ("exit_error", "exit_runtime", "exit_api")


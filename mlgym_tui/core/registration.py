"""Registers every task on the task path as a Gymnasium id (``mlgym/<taskId>-v0``; ``mlgym-checkout/<id>-v0``
for MLGym-sourced ``mlgym:<id>``), in one place, with a string entry point."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym

from mlgym_tui.core.task_sources import task_ids

ENTRY_POINT = "mlgym_tui.core.env:ResearchEnv"


CHECKOUT_NAMESPACE = "mlgym-checkout"
"""Namespace of tasks read from an MLGym checkout (Gymnasium ids cannot hold the colon of ``mlgym:<id>``)."""


def env_id(task_id: str) -> str:
    """``mlgym/<id>-v0`` for this project's tasks, ``mlgym-checkout/<id>-v0`` for ``mlgym:<id>``."""
    source, colon, name = task_id.partition(":")
    if colon and source == "mlgym":
        return f"{CHECKOUT_NAMESPACE}/{name}-v0"
    return f"mlgym/{task_id}-v0"


def register_tasks(root: Path | None = None) -> list[str]:
    """Register (or re-register) every task under ``root``; returns the ids."""
    ids = []
    for task_id in task_ids(root):
        gid = env_id(task_id)
        if gid in gym.registry:
            del gym.registry[gid]
        gym.register(id=gid, entry_point=ENTRY_POINT, kwargs={"task_id": task_id}, disable_env_checker=True)
        ids.append(gid)
    return ids

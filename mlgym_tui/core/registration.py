"""Registers every task folder as a Gymnasium id ``mlgym/<taskId>-v0`` (one place, string entry point)."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym

from mlgym_tui.core.task import task_ids

ENTRY_POINT = "mlgym_tui.core.env:ResearchEnv"


def env_id(task_id: str) -> str:
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

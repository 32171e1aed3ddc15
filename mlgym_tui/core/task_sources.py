"""The task path: the folders tasks come from, what kind each is, and which id lives where.

Each entry of the path (:func:`mlgym_tui.paths.tasks_dirs`) is either a folder of this project's tasks
(``<id>/task.yaml``) or an MLGym checkout (``configs/tasks/*.yaml``, ids ``mlgym:<id>``). Listing only
reads names, so ``tasks list`` and Gymnasium registration stay cheap; a task is converted when it is
loaded. When two entries hold the same id, the first one on the path wins and the shadowed one is
reported once.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mlgym_tui.core import mlgym_tasks
from mlgym_tui.core.errors import ConfigError
from mlgym_tui.core.task import TaskConfig, TaskInfo, load_task_file
from mlgym_tui.paths import tasks_dirs


@dataclass(frozen=True)
class TaskEntry:
    """Where one task id is defined."""

    id: str
    source: Literal["mlgym-tui", "mlgym"]
    path: Path
    """Its ``task.yaml``, or its MLGym config file."""
    root: Path
    """The path entry it was found in (a tasks folder or an MLGym checkout)."""


def _entries_of(root: Path) -> list[TaskEntry]:
    if mlgym_tasks.is_checkout(root):
        return [TaskEntry(i, "mlgym", p, root) for i, p in mlgym_tasks.scan_checkout(root)]
    if not root.is_dir():
        return []
    return [
        TaskEntry(p.name, "mlgym-tui", p / "task.yaml", root)
        for p in sorted(root.iterdir())
        if (p / "task.yaml").is_file()
    ]


def scan(roots: list[Path] | None = None) -> dict[str, TaskEntry]:
    """Every task id on the path (or on ``roots``), first entry wins."""
    found: dict[str, TaskEntry] = {}
    for root in roots if roots is not None else tasks_dirs():
        for entry in _entries_of(root):
            first = found.setdefault(entry.id, entry)
            if first is not entry:
                mlgym_tasks.warn_once(f"task {entry.id} in {entry.root} is shadowed by the one in {first.root}")
    return found


def list_ids(roots: list[Path] | None = None) -> list[str]:
    return sorted(scan(roots))


def load_entry(entry: TaskEntry) -> TaskConfig:
    if entry.source == "mlgym":
        return mlgym_tasks.load_mlgym_task(entry.id, entry.path, entry.root)
    return load_task_file(entry.path)


def load(task_id: str, roots: list[Path] | None = None) -> TaskConfig:
    """Load a task by id, with a one-line error listing the known ids when it does not exist."""
    entries = scan(roots)
    entry = entries.get(task_id)
    if entry is None:
        hint = ""
        if not task_id.startswith(mlgym_tasks.PREFIX) and mlgym_tasks.PREFIX + task_id in entries:
            hint = f" (MLGym's definition is {mlgym_tasks.PREFIX}{task_id})"
        known = ", ".join(sorted(entries)) or "(none)"
        raise ConfigError(f"unknown task {task_id!r}{hint}; known tasks: {known}")
    return load_entry(entry)


def load_listed(roots: list[Path] | None = None) -> list[TaskConfig]:
    """Every task on the path, for listings. A broken task of ours fails loudly (it is this project's bug);
    a broken MLGym config is reported once and left out (checkouts carry stale configs), and running it
    still gives its one-line error."""
    tasks = []
    for task_id, entry in sorted(scan(roots).items()):
        try:
            tasks.append(load_entry(entry))
        except ConfigError as exc:
            if entry.source != "mlgym":
                raise
            mlgym_tasks.warn_once(f"{task_id} left out: {exc}")
    return tasks


def task_ids(root: Path | None = None) -> list[str]:
    """Ids of every task on the task path (``root``: one folder or checkout instead), sorted; cheap (no
    task is converted)."""
    return list_ids(None if root is None else [root])


def load_task(task_id: str, root: Path | None = None) -> TaskConfig:
    """Load a task by id from the task path (``root``: one folder or checkout instead), with a helpful
    error listing the known ids when it does not exist."""
    return load(task_id, None if root is None else [root])


@functools.lru_cache(maxsize=512)
def task_info(task_id: str) -> TaskInfo | None:
    """Metric, direction, baseline and stand-in flag from ``tasks/<id>/task.yaml``; None if unknown.

    Cached (parsing a task.yaml costs more than reading a run): scoring's ``load_runs`` and ``import``
    clear the cache when they start, so each reads a task's file once.
    """
    try:
        task = load_task(task_id)
    except (ConfigError, OSError):
        return None
    return TaskInfo(task.primary.name, task.primary.direction, task.baseline_score, task.stand_in)

"""Where tasks, agent configs, themes and caches live.

The project ships ``tasks/``, ``agents/`` and ``themes/`` beside the package (a source checkout or an
editable install). Users point elsewhere with environment variables, so the same code serves a checkout,
a wheel and a test that builds tasks in a temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent


def default_tasks_dir() -> Path:
    """The project's own task folder."""
    return PROJECT_DIR / "tasks"


def tasks_dirs() -> list[Path]:
    """Where tasks are looked up, in order (the first folder that has an id wins).

    ``MLGYM_TASKS_DIR`` is a path list (``os.pathsep``-separated, like ``PATH``): each entry is a folder of
    this project's tasks (``<id>/task.yaml``) or an MLGym checkout (``configs/tasks/*.yaml``). An empty
    entry stands for the project's own ``tasks/`` (so ``MLGYM_TASKS_DIR=~/MLGym:`` adds a checkout to the
    built-in tasks, as an empty ``MANPATH`` entry keeps the default). Unset or empty: ``tasks/`` alone.
    """
    raw = os.environ.get("MLGYM_TASKS_DIR") or ""
    if not raw:
        return [default_tasks_dir()]
    entries: list[Path] = []
    for part in raw.split(os.pathsep):
        path = Path(part).expanduser() if part else default_tasks_dir()
        if path not in entries:
            entries.append(path)
    return entries


def tasks_dir() -> Path:
    """The first folder of the task path (kept for callers that need one folder)."""
    return tasks_dirs()[0]


def agents_dir() -> Path:
    """The folder of agent configs (``MLGYM_AGENTS_DIR`` overrides)."""
    return Path(os.environ.get("MLGYM_AGENTS_DIR") or PROJECT_DIR / "agents")


def themes_dir() -> Path:
    """The folder of TUI themes shipped with the project."""
    return Path(os.environ.get("MLGYM_THEMES_DIR") or PROJECT_DIR / "themes")


def cache_dir() -> Path:
    """Cached virtual environments and prepared data (``MLGYM_CACHE_DIR`` overrides)."""
    base = os.environ.get("MLGYM_CACHE_DIR")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "mlgym-tui"

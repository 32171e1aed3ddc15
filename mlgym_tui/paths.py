"""Where tasks, agent configs, themes and caches live.

The repository keeps ``tasks/``, ``agents/``, ``themes/`` and ``docker/`` beside the package: a source
checkout or an editable install reads them there. A wheel carries a copy inside the package
(``mlgym_tui/_bundled/``, made by the build hook in ``setup.py``), used when no checkout is beside it, so
``pip install mlgym-tui`` (or pipx, uv tool) has its tasks too. Users point elsewhere with environment
variables, so the same code serves a checkout, a wheel and a test that builds tasks in a temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
BUNDLED_DIR = PACKAGE_DIR / "_bundled"
"""The copies of the project's folders inside an installed wheel."""


def shipped_dir(name: str) -> Path:
    """The project's own ``name`` folder (``tasks``, ``agents``, ``themes``, ``docker``): the checkout's
    when the package sits in one (marked by its ``pyproject.toml``), else the copy in the wheel."""
    checkout = PROJECT_DIR / name
    if checkout.is_dir() and (PROJECT_DIR / "pyproject.toml").is_file():
        return checkout
    return BUNDLED_DIR / name


def default_tasks_dir() -> Path:
    """The project's own task folder."""
    return shipped_dir("tasks")


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
    return Path(os.environ.get("MLGYM_AGENTS_DIR") or shipped_dir("agents"))


def themes_dir() -> Path:
    """The folder of TUI themes shipped with the project (user themes in the config folder add to them)."""
    return Path(os.environ.get("MLGYM_THEMES_DIR") or shipped_dir("themes"))


def cache_dir() -> Path:
    """Cached virtual environments and prepared data (``MLGYM_CACHE_DIR`` overrides)."""
    base = os.environ.get("MLGYM_CACHE_DIR")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "mlgym-tui"

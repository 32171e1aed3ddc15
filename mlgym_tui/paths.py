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


def tasks_dir() -> Path:
    """The folder holding one sub-folder per task (``MLGYM_TASKS_DIR`` overrides)."""
    return Path(os.environ.get("MLGYM_TASKS_DIR") or PROJECT_DIR / "tasks")


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

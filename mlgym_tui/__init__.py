"""mlgym-tui: research environments for AI agents, and a terminal workbench over them."""

from __future__ import annotations

__version__ = "0.1.0"


def _register() -> None:
    """Make ``gymnasium.make("mlgym/<taskId>-v0")`` work as soon as the package is imported."""
    from mlgym_tui.core.registration import register_tasks

    register_tasks()


_register()

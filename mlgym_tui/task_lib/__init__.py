"""Helpers that task scripts (judges and players) import, in their own Python environments.

Nothing here is imported by mlgym-tui: the folder is put on the task scripts' ``PYTHONPATH`` (and
copied into the workspace of a task with a player, so ``python evaluate.py`` works there too).
"""

from __future__ import annotations

from pathlib import Path

TASK_LIB = Path(__file__).resolve().parent
"""The folder holding ``mlgym_channel.py``."""
CHANNEL_MODULE = "mlgym_channel.py"

"""CLI subcommands, one module each; every module exposes ``register(subparsers)``.

To add a command, write ``commands/<name>.py`` with a ``register`` function and list it in ``MODULES``.
"""

from __future__ import annotations

MODULES = ["run", "tasks", "memory", "score", "importer", "export", "image", "batch", "watch", "human", "replay", "home", "serve", "fleet", "control"]

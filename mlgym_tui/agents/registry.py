"""Agents by short name, with a dotted-path escape hatch (``package.module:Class``) for your own."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from mlgym_tui.agents.base import Agent
from mlgym_tui.core.errors import UserError


def _baseline(**_: Any) -> Agent:
    from mlgym_tui.agents.baseline import BaselineAgent

    return BaselineAgent()


BUILTIN: dict[str, Callable[..., Agent]] = {"baseline": _baseline}


def make_agent(name: str, **options: Any) -> Agent:
    """Build an agent from a short name or ``module:Class``."""
    if name in BUILTIN:
        return BUILTIN[name](**options)
    if ":" in name:
        module_name, _, attr = name.partition(":")
        try:
            factory = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise UserError(f"cannot load agent {name!r}: {exc}") from exc
        return factory(**options)
    raise UserError(f"unknown agent {name!r}; built-in agents: {', '.join(sorted(BUILTIN))}")

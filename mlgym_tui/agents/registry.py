"""Agents by short name, with a dotted-path escape hatch (``package.module:Class``) for your own."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from mlgym_tui.core.agent import Agent
from mlgym_tui.core.errors import UserError


def _baseline(**_: Any) -> Agent:
    from mlgym_tui.agents.baseline import BaselineAgent

    return BaselineAgent()


def _llm(config: list[str] | None = None, model: str | None = None, base_url: str | None = None,
         _name: str = "default", **_: Any) -> Agent:
    """A research agent from ``agents/<name>.yaml``; ``config`` holds the ``-c`` layers."""
    from mlgym_tui.agents.llm import LLMAgent

    return LLMAgent.from_name(_name, config, model=model, base_url=base_url)


def _options(config: list[str] | None) -> dict[str, Any]:
    """``-c key=value`` layers as keyword arguments for the non-LLM agents."""
    from mlgym_tui.agents.config import merge_layers

    return merge_layers({}, config or [])


def _sweep(config: list[str] | None = None, **_: Any) -> Agent:
    from mlgym_tui.agents.sweep import SweepAgent

    options = _options(config)
    unknown = sorted(set(options) - {"max_evals", "tunables"})
    if unknown:
        raise UserError(f"sweep agent: unknown option(s) {unknown}; use -c max_evals=N, -c tunables=[NAME,...]")
    try:
        max_evals = int(options.get("max_evals", 12))
    except (TypeError, ValueError):
        max_evals = 0
    if max_evals < 1:
        raise UserError(f"sweep agent: -c max_evals={options['max_evals']}: give a whole number of at least 1")
    tunables = options.get("tunables")
    if tunables is not None and not (isinstance(tunables, list) and all(isinstance(t, str) for t in tunables)):
        raise UserError(f"sweep agent: -c tunables={tunables}: give a list of names, e.g. -c tunables=[lr]")
    return SweepAgent(max_evals=max_evals, tunables=tunables)


def _replay(config: list[str] | None = None, model: str | None = None, base_url: str | None = None,
            **_: Any) -> Agent:
    from mlgym_tui.agents.replay import ReplayAgent

    def make_then(name: str, layers: list[str]) -> Agent:
        return make_agent(name, config=layers, model=model, base_url=base_url)

    return ReplayAgent.from_options(_options(config), make_then)


def _human(**_: Any) -> Agent:
    """A person at the terminal: commands from stdin (the workbench's ``human`` screen feeds a queue)."""
    from mlgym_tui.agents.human import HumanAgent

    return HumanAgent()


MODEL_FREE_AGENTS = frozenset({"baseline", "sweep", "human"})
"""Built-in agents that take no model: ``--model`` is a mistake with them, and batch's ``--models`` does
not multiply their cells."""

BUILTIN: dict[str, Callable[..., Agent]] = {
    "baseline": _baseline,
    "human": _human,
    "default": _llm,
    "sweep": _sweep,
    "replay": _replay,
}


def make_agent(name: str, **options: Any) -> Agent:
    """Build an agent from a short name, ``module:Class`` or an agent config (``agents/NAME.yaml``).

    Options left unset (None, empty) are not passed on, so plain ``module:Class`` agents need not take them.
    """
    options = {k: v for k, v in options.items() if v not in (None, [], {})}
    if name in BUILTIN:
        return BUILTIN[name](**options)
    if ":" in name:
        module_name, _, attr = name.partition(":")
        try:
            factory = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise UserError(f"cannot load agent {name!r}: {exc}") from exc
        if not isinstance(factory, type) or not callable(getattr(factory, "act", None)):
            raise UserError(f"--agent {name!r} is not an agent class (one with start/act/close methods)")
        try:
            return factory(**options)
        except TypeError as exc:
            raise UserError(f"cannot create agent {name!r}: {exc}") from exc
    from mlgym_tui.agents.config import agent_config_path

    if agent_config_path(name) is not None:  # any agents/<name>.yaml (or a path to one) is an LLM agent
        return _llm(_name=name, **options)
    raise UserError(f"unknown agent {name!r}; built-in agents: {', '.join(sorted(BUILTIN))}")

"""The batch grid: which episodes a batch consists of, and the identity that resume relies on.

A *cell* is one attempt of one agent (with one model, for agents that take one) on one task. Its key,
``<task>/<agent>[/<model>]/a<attempt>``, is written into every run folder the batch starts (the
trajectory header's ``config.batch.cell``), so a later run of the same command can tell which cells
already have a finished run. The seed is a pure function of the attempt (``seed_base + attempt``): every
agent meets the same seeds on a task, which keeps attempts comparable across agents, and re-running a
crashed cell repeats the seed it was meant to have.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mlgym_tui.agents.registry import MODEL_FREE_AGENTS
from mlgym_tui.core.errors import UserError
from mlgym_tui.core.task_sources import task_ids


@dataclass(frozen=True, order=True)
class Cell:
    """One grid cell: task × agent × model × attempt."""

    task: str
    agent: str
    model: str | None
    attempt: int
    seed: int

    @property
    def key(self) -> str:
        """Stable identity, recorded in the run folder; the same command always produces the same keys."""
        parts = [self.task, self.agent] + ([self.model] if self.model else []) + [f"a{self.attempt}"]
        return "/".join(parts)

    @property
    def competitor(self) -> str:
        """Agent and model as people read them (``default/openai:gpt-4o``)."""
        return self.agent if not self.model else f"{self.agent}/{self.model}"

    @property
    def provider(self) -> str | None:
        """Who serves the model calls (the part before ``:`` of ``openai:gpt-4o``); None without a model."""
        if not self.model:
            return None
        return self.model.split(":", 1)[0] if ":" in self.model else "default"


def split_list(text: str | Iterable[str] | None) -> list[str]:
    """``"a,b, c"`` (or several such strings) → ``["a", "b", "c"]``, order kept, duplicates dropped."""
    if text is None:
        return []
    items = [text] if isinstance(text, str) else list(text)
    seen: dict[str, None] = {}
    for item in items:
        for part in item.split(","):
            if part.strip():
                seen.setdefault(part.strip(), None)
    return list(seen)


def resolve_tasks(names: list[str]) -> list[str]:
    """Task ids from the command line; ``all`` means every task folder. Unknown ids are a user error."""
    known = task_ids()
    if names == ["all"]:
        if not known:
            raise UserError("--tasks all: no tasks found (set MLGYM_TASKS_DIR?)")
        return known
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UserError(f"--tasks: unknown task(s) {', '.join(unknown)}; known: {', '.join(known) or '(none)'}")
    if not names:
        raise UserError("--tasks: give at least one task id, or 'all'")
    return names


def expand_grid(
    tasks: list[str], agents: list[str], models: list[str], attempts: int, seed_base: int = 0
) -> list[Cell]:
    """Every cell, ordered task-major so one task's attempts run close together (warm caches)."""
    if attempts < 1:
        raise UserError("--attempts must be at least 1")
    if not agents:
        raise UserError("--agents: give at least one agent")
    cells: list[Cell] = []
    for task in tasks:
        for attempt in range(attempts):
            for agent in agents:
                for model in _models_for(agent, models):
                    cells.append(Cell(task, agent, model, attempt, seed_base + attempt))
    return cells


def _models_for(agent: str, models: list[str]) -> list[str | None]:
    if not models or agent in MODEL_FREE_AGENTS:
        return [None]
    return list(models)


def check_agents(agents: list[str]) -> None:
    """Refuse unknown agent names before any episode starts (one line, not one failure per episode)."""
    import importlib

    from mlgym_tui.agents.config import agent_config_path
    from mlgym_tui.agents.registry import BUILTIN

    for name in agents:
        if name in BUILTIN or agent_config_path(name) is not None:
            continue
        if ":" in name:
            module, _, attr = name.partition(":")
            try:
                getattr(importlib.import_module(module), attr)
            except (ImportError, AttributeError) as exc:
                raise UserError(f"--agents: cannot load {name!r}: {exc}") from exc
            continue
        raise UserError(f"--agents: unknown agent {name!r}; built-in agents: {', '.join(sorted(BUILTIN))}")


def check_model_servers(cells: Iterable[Cell], layers: list[str], base_url: str | None) -> None:
    """Ask each model server of the grid once, before any episode, whether it can be used (a wrong
    ``--base-url``, a server not started, a refused key: one line instead of a failure per episode).

    Only LLM agents (``default``, ``agents/NAME.yaml``) with a remote model are asked: a ``local:`` model
    would start its server just to answer. The batch runs on this machine only (a Ray cluster's nodes
    may reach servers this machine cannot)."""
    from mlgym_tui.agents.config import agent_config_path
    from mlgym_tui.agents.registry import make_agent

    asked: set[tuple[str, str]] = set()
    for cell in cells:
        if not cell.model or cell.model.startswith("local:") or (cell.agent, cell.model) in asked:
            continue
        if cell.agent != "default" and agent_config_path(cell.agent) is None:
            continue
        asked.add((cell.agent, cell.model))
        agent = make_agent(cell.agent, config=layers, model=cell.model, base_url=base_url)
        try:
            check = getattr(agent, "check", None)
            if callable(check):
                check()
        finally:
            agent.close()

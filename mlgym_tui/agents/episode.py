"""One episode builder: every choice a person can make about an episode (:class:`EpisodeOptions`, what
the CLI, the home screen and batch collect) becomes an :class:`~mlgym_tui.core.runner.EpisodeSpec` in
one function, so ``run``, ``watch``, ``human``, ``tasks check``, the home screen and batch agree on what
an option means and on what the run folder's header records."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlgym_tui.core.agent import Agent
from mlgym_tui.core.runner import EpisodeSpec, config_summary
from mlgym_tui.core.runtime import RuntimeSettings
from mlgym_tui.core.session import SessionLimits
from mlgym_tui.core.task import TaskConfig
from mlgym_tui.core.task_sources import load_task


@dataclass
class EpisodeOptions:
    """What to run: the task, the agent (name, ``-c`` layers, model, server), the sandbox, the limits and
    the research-log options. Defaults are the CLI's."""

    task: str
    agent: str = "baseline"
    config: list[str] = field(default_factory=list)
    """Agent config layers (``-c FILE`` / ``-c key=value``)."""
    model: str | None = None
    base_url: str | None = None
    backend: str = "local"
    out: Path = Path("runs")
    seed: int = 0
    max_steps: int | None = None
    """Handed to the environment, which truncates (None: the task's limit)."""
    wall_time: float | None = None
    cost_limit: float | None = None
    memory: bool = False
    """Offer memory_write / memory_read (agents whose config lists them get them anyway)."""
    memory_from: list[Path] = field(default_factory=list)
    memory_dir: Path | None = None
    settings: RuntimeSettings = field(default_factory=RuntimeSettings)
    """Sandbox settings (the docker options, environment, GPUs)."""

    def make_agent(self) -> Agent:
        from mlgym_tui.agents.registry import make_agent

        agent = make_agent(self.agent, config=self.config, model=self.model, base_url=self.base_url)
        check = getattr(agent, "check", None)
        if callable(check):  # a model server that cannot be reached is a mistake in the options, said now
            try:
                check()
            except Exception:
                agent.close()
                raise
        return agent


def build_episode(
    options: EpisodeOptions,
    *,
    task: TaskConfig | None = None,
    agent: Agent | None = None,
    described: Agent | None = None,
    **header: Any,
) -> EpisodeSpec:
    """The episode ``options`` describe.

    ``task`` and ``agent`` are built from the options unless given (a screen that wraps the agent for
    takeover, a batch that gates its model calls). ``described`` is the agent whose configuration the
    header records (default: ``agent``; give the inner one of a wrapper). ``header`` adds fields to the
    recorded run configuration (``via="workbench"``, ``batch={...}``).
    """
    task = task or load_task(options.task)
    agent = agent or options.make_agent()
    described = described or agent
    memory = (
        options.memory
        or bool(getattr(described, "uses_memory", False))
        or bool(options.memory_from)
        or options.memory_dir is not None
    )
    describe = getattr(described, "describe", None)
    return EpisodeSpec(
        task=task,
        agent=agent,
        out=Path(options.out),
        backend=options.backend,
        seed=options.seed,
        settings=options.settings,
        limits=SessionLimits(max_steps=options.max_steps, wall_time=options.wall_time, cost=options.cost_limit),
        config=config_summary(
            agent=options.agent,
            model=options.model,
            backend=options.backend,
            max_steps=options.max_steps,
            agent_config=describe() if callable(describe) else options.config,
            **header,
        ),
        memory=memory,
        memory_from=[Path(p) for p in options.memory_from],
        memory_dir=Path(options.memory_dir) if options.memory_dir else None,
    )

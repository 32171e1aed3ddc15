"""The options of every command that starts episodes, declared once: ``run``, ``watch``, ``human``,
``tasks check`` and (its grid aside) ``batch``.

    add_episode_options(parser)              # --agent -c --model --base-url --backend --out --seed
                                             # --max-steps, the memory and the docker sandbox options
    options = episode_options(args)          # an EpisodeOptions for mlgym_tui.agents.episode.build_episode
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mlgym_tui.commands.sandbox_options import add_sandbox_options, sandbox_settings
from mlgym_tui.core.errors import UserError


def add_agent_options(parser: argparse.ArgumentParser, *, agent: bool = True) -> None:
    """``--agent -c --model --base-url`` (``agent=False``: the command fixes the agent, e.g. ``human``;
    batch takes ``--agents``/``--models`` lists and only the layers and the server from here)."""
    if agent:
        parser.add_argument("--agent", default="baseline", help="agent name or module:Class (default: baseline)")
        from mlgym_tui.agents.models.providers import model_forms

        parser.add_argument("--model", default=None, help=f"model for LLM agents: {model_forms()}")
    parser.add_argument(
        "-c", "--config", action="append", default=[], metavar="FILE|KEY=VALUE",
        help="agent config layer, repeatable: a YAML file merged over the agent's config, or a dotted "
        "key=value (e.g. -c model.temperature=0.2; for sweep/replay: -c max_evals=5, -c path=RUN)",
    )
    parser.add_argument("--base-url", default=None, help="an OpenAI-compatible server (vLLM, llama.cpp, Ollama)")


def add_memory_options(parser: argparse.ArgumentParser) -> None:
    """The research-log options."""
    group = parser.add_argument_group("memory (the memory_write / memory_read tools)")
    group.add_argument(
        "--memory", action="store_true", default=None,
        help="offer the memory tools (agents whose config enables them get them anyway)",
    )
    group.add_argument(
        "--memory-from", action="append", default=[], metavar="RUN",
        help="carry the notes of an earlier run folder (or memory.jsonl) into this episode; repeatable",
    )
    group.add_argument(
        "--memory-dir", default=None, metavar="DIR",
        help="per-task memory folder: read notes of earlier runs from DIR/<task>/memory.jsonl and "
        "append this run's notes there",
    )


def add_episode_options(parser: argparse.ArgumentParser, *, agent: bool = True, out: str | None = "runs") -> None:
    """Everything about one episode but the task: agent (``agent=False``: the command fixes it), sandbox,
    seed, limits, memory, docker options. ``out=None``: the command picks a temporary folder."""
    if agent:
        add_agent_options(parser)
    parser.add_argument(
        "--backend", choices=["local", "docker"], default="local",
        help="sandbox: local (a bash in a temp folder) or docker (a container); default local",
    )
    where = "a temporary folder" if out is None else f"./{out}"
    parser.add_argument("--out", default=out, help=f"folder for run folders (default: {where})")
    parser.add_argument("--seed", type=int, default=0, help="episode seed (default 0)")
    parser.add_argument("--max-steps", type=int, default=None, help="override the task's step limit")
    add_memory_options(parser)
    add_sandbox_options(parser)


def check_max_steps(value: int | None) -> None:
    if value is not None and value < 1:
        raise UserError(f"--max-steps {value}: must be at least 1")


def episode_options(args: argparse.Namespace, task: str | None = None, agent: str | None = None):  # noqa: ANN201
    """The :class:`~mlgym_tui.agents.episode.EpisodeOptions` the parsed options describe."""
    from mlgym_tui.agents.episode import EpisodeOptions

    check_max_steps(args.max_steps)
    return EpisodeOptions(
        task=args.task if task is None else task,
        agent=agent or getattr(args, "agent", "baseline"),
        config=list(getattr(args, "config", []) or []),
        model=getattr(args, "model", None),
        base_url=getattr(args, "base_url", None),
        backend=args.backend,
        out=Path(args.out),
        seed=args.seed,
        max_steps=args.max_steps,
        memory=bool(args.memory),
        memory_from=[Path(p) for p in args.memory_from],
        memory_dir=Path(args.memory_dir) if args.memory_dir else None,
        settings=sandbox_settings(args),
    )

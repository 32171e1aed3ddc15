"""The options of every command that starts episodes, declared once: ``run``, ``watch``, ``human``,
``tasks check`` and (its grid aside) ``batch``.

    add_episode_options(parser)              # --agent -c --model --base-url --backend --out --seed
                                             # --max-steps, the memory and the docker sandbox options
    options = episode_options(args)          # an EpisodeOptions for mlgym_tui.agents.episode.build_episode
"""

from __future__ import annotations

import argparse
import math
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


def check_positive(option: str, value: float | None) -> None:
    """A limit or size that must be a finite number above 0 (None: not given)."""
    if value is not None and not (math.isfinite(value) and value > 0):
        raise UserError(f"{option} {value:g}: give a number greater than 0")


def check_non_negative(option: str, value: float | None) -> None:
    if value is not None and not (math.isfinite(value) and value >= 0):
        raise UserError(f"{option} {value:g}: give a number of 0 or more")


def check_out(value: str) -> None:
    """An empty ``--out`` would put run folders in the working folder, unasked."""
    if not str(value).strip():
        raise UserError("--out '': give the folder for run folders")


def check_seed(value: int) -> None:
    if value < 0:
        raise UserError(f"--seed {value}: must be 0 or more")


def check_memory_paths(memory_from: list[str], memory_dir: str | None) -> None:
    """A ``--memory-from`` path that is not there at all is a typo (a run folder without notes is not:
    the episode says so and goes on); ``--memory-dir`` must be a folder, or not exist yet."""
    for path in memory_from:
        if not Path(path).exists():
            raise UserError(f"--memory-from {path}: no such run folder or memory file")
    if memory_dir is not None and Path(memory_dir).exists() and not Path(memory_dir).is_dir():
        raise UserError(f"--memory-dir {memory_dir}: not a folder")


def check_model_options(agent: str, model: str | None, base_url: str | None) -> None:
    """``--model``/``--base-url`` with an agent that calls no model would be silently ignored."""
    from mlgym_tui.agents.registry import MODEL_FREE_AGENTS

    if agent in MODEL_FREE_AGENTS and (model or base_url):
        option = "--model" if model else "--base-url"
        raise UserError(f"{option}: the {agent} agent calls no model; give an LLM agent (--agent default)")


def episode_options(args: argparse.Namespace, task: str | None = None, agent: str | None = None):  # noqa: ANN201
    """The :class:`~mlgym_tui.agents.episode.EpisodeOptions` the parsed options describe."""
    from mlgym_tui.agents.episode import EpisodeOptions

    check_max_steps(args.max_steps)
    check_seed(args.seed)
    check_out(args.out)
    check_memory_paths(args.memory_from, args.memory_dir)
    check_model_options(agent or getattr(args, "agent", "baseline"), getattr(args, "model", None),
                        getattr(args, "base_url", None))
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

"""``mlgym-tui run``: one episode, headless."""

from __future__ import annotations

import argparse
from pathlib import Path

from mlgym_tui.commands.progress import ProgressLine, log
from mlgym_tui.commands.sandbox_options import add_sandbox_options, sandbox_settings
from mlgym_tui.core.task_sources import load_task

DEFAULT_OUT = Path("runs")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    run = sub.add_parser(
        "run",
        help="run one episode headless and write a run folder",
        description="Run one episode without the TUI. Prints progress on stderr, then the run "
        "folder and the primary score.",
    )
    run.add_argument("task", help="task id (see `mlgym-tui tasks list`)")
    run.add_argument("--agent", default="baseline", help="agent name or module:Class (default: baseline)")
    run.add_argument(
        "-c",
        "--config",
        action="append",
        default=[],
        metavar="FILE|KEY=VALUE",
        help="agent config layer, repeatable: a YAML file merged over the agent's config, or a dotted "
        "key=value (e.g. -c model.temperature=0.2; for sweep/replay: -c max_evals=5, -c path=RUN)",
    )
    run.add_argument(
        "--model", default=None, help="model for LLM agents: openai:M, anthropic:M, local:smollm2"
    )
    run.add_argument("--base-url", default=None, help="an OpenAI-compatible server (vLLM, llama.cpp, Ollama)")
    run.add_argument(
        "--backend",
        choices=["local", "docker"],
        default="local",
        help="sandbox: local (a bash in a temp folder) or docker (a container); default local",
    )
    run.add_argument("--out", default=str(DEFAULT_OUT), help="folder for run folders (default: ./runs)")
    run.add_argument("--seed", type=int, default=0, help="episode seed (default 0)")
    run.add_argument("--max-steps", type=int, default=None, help="override the task's step limit")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    add_memory_options(run)
    add_sandbox_options(run)
    run.set_defaults(func=cmd_run)


def add_memory_options(parser: argparse.ArgumentParser) -> None:
    """The research-log options, shared by every command that starts episodes."""
    group = parser.add_argument_group("memory (the memory_write / memory_read tools)")
    group.add_argument(
        "--memory",
        action="store_true",
        default=None,
        help="offer the memory tools (agents whose config enables them get them anyway)",
    )
    group.add_argument(
        "--memory-from",
        action="append",
        default=[],
        metavar="RUN",
        help="carry the notes of an earlier run folder (or memory.jsonl) into this episode; repeatable",
    )
    group.add_argument(
        "--memory-dir",
        default=None,
        metavar="DIR",
        help="per-task memory folder: read notes of earlier runs from DIR/<task>/memory.jsonl and "
        "append this run's notes there",
    )


def memory_settings(args: argparse.Namespace, agent: object) -> dict[str, object]:
    """EpisodeSpec memory fields from the options and the agent's own preference."""
    enabled = (
        bool(args.memory)
        or bool(getattr(agent, "uses_memory", False))
        or bool(args.memory_from)
        or args.memory_dir is not None
    )
    return {
        "memory": enabled,
        "memory_from": [Path(p) for p in args.memory_from],
        "memory_dir": Path(args.memory_dir) if args.memory_dir else None,
    }


def cmd_run(args: argparse.Namespace) -> int:
    from mlgym_tui.agents.registry import make_agent
    from mlgym_tui.core.runner import EpisodeSpec, config_summary, run_episode
    from mlgym_tui.core.runtime import RuntimeSettings
    from mlgym_tui.core.session import SessionLimits

    task = load_task(args.task)
    agent = make_agent(args.agent, config=args.config, model=args.model, base_url=args.base_url)
    settings = sandbox_settings(args, RuntimeSettings())
    spec = EpisodeSpec(
        task=task,
        agent=agent,
        out=Path(args.out),
        backend=args.backend,
        seed=args.seed,
        settings=settings,
        limits=SessionLimits(max_steps=args.max_steps),
        config=config_summary(
            agent=args.agent,
            backend=args.backend,
            max_steps=args.max_steps,
            agent_config=agent.describe() if hasattr(agent, "describe") else args.config,
        ),
        **memory_settings(args, agent),  # type: ignore[arg-type]
    )
    subscribers = [] if args.quiet else [ProgressLine()]
    folder, result = run_episode(spec, subscribers=subscribers, log=None if args.quiet else log)
    score = result.final_score
    print(f"run folder: {folder}")
    if score is None:
        print(f"{task.primary.name}: invalid ({result.exit_status})")
        return 1
    baseline = "MLGym's recorded baseline" if task.source == "mlgym" else "baseline"
    print(
        f"{task.primary.name}: {score:g} ({baseline} {task.baseline_score}, {task.primary.direction} is better)"
    )
    return 0 if result.exit_status != "exit_error" else 1

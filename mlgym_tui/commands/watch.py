"""``mlgym-tui watch``: run an agent on a task and watch it live in the workbench (and step in).

It takes ``run``'s options (agent config layers, model, sandbox and memory options) through the same
helpers, so anything that runs headless can be watched.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mlgym_tui.commands.run import add_memory_options, memory_settings
from mlgym_tui.commands.sandbox_options import add_sandbox_options, sandbox_settings
from mlgym_tui.tui.launch import require_tui, run_workbench


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "watch",
        help="run an agent on a task and watch it live in the workbench",
        description="Run one episode and show it in the workbench: shell, reasoning, editor and metrics. "
        "Pause, single-step, approve / edit / reject actions, interject, take over, stop and submit. "
        "The run folder is written exactly as `run` writes it.",
    )
    p.add_argument("task", help="task id (see `mlgym-tui tasks list`)")
    p.add_argument("--agent", default="baseline", help="agent name or module:Class (default: baseline)")
    p.add_argument("-c", "--config", action="append", default=[], metavar="FILE|KEY=VALUE",
                   help="agent config layer, repeatable (as for `run`)")
    p.add_argument("--model", default=None, help="model for LLM agents: openai:M, anthropic:M, local:smollm2")
    p.add_argument("--base-url", default=None, help="an OpenAI-compatible server (vLLM, llama.cpp, Ollama)")
    p.add_argument("--backend", choices=["local", "docker"], default="local", help="sandbox (default local)")
    p.add_argument("--out", default="runs", help="folder for run folders (default: ./runs)")
    p.add_argument("--seed", type=int, default=0, help="episode seed (default 0)")
    p.add_argument("--max-steps", type=int, default=None, help="override the task's step limit")
    p.add_argument("--paused", action="store_true", help="start paused (space resumes, n single-steps)")
    p.add_argument("--approve", action="store_true", help="start in approve mode")
    add_memory_options(p)
    add_sandbox_options(p)
    p.set_defaults(func=cmd_watch)


def cmd_watch(args: argparse.Namespace) -> int:
    require_tui()
    from mlgym_tui.tui.app import Start
    from mlgym_tui.tui.live import EpisodeRequest, LiveEpisode

    request = EpisodeRequest(
        task=args.task, agent=args.agent, model=args.model, backend=args.backend, out=Path(args.out),
        seed=args.seed, max_steps=args.max_steps, paused=args.paused, approve=args.approve,
        config=list(args.config), base_url=args.base_url, settings=sandbox_settings(args),
    )
    episode = LiveEpisode(request)  # a bad task or agent fails here, as a one-line error
    request.spec_options = memory_settings(args, episode.agent.inner)
    return run_workbench(Start("watch", request=request, episode=episode))

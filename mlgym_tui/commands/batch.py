"""``mlgym-tui batch``: many episodes (tasks × agents × models × attempts), locally or on Ray, resumable."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from mlgym_tui.commands.episode_options import (
    add_agent_options,
    add_memory_options,
    check_max_steps,
    check_memory_paths,
    check_non_negative,
    check_out,
    check_positive,
    check_seed,
)
from mlgym_tui.commands.sandbox_options import add_gpu_options
from mlgym_tui.core.errors import UserError

RERUN_GROUPS = {"errors": frozenset({"exit_error", "exit_runtime", "exit_api"})}


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "batch",
        help="run a grid of episodes (local process pool or Ray); re-running resumes",
        description="Run every attempt of every agent on every task. Re-running the same command skips "
        "cells that already have a finished run and re-runs crashed or interrupted ones; their old "
        "folders are kept and marked (batch-status.json), never scored. Progress goes to stderr.",
    )
    g = p.add_argument_group("grid")
    g.add_argument("--tasks", required=True, help="comma-separated task ids, or 'all'")
    g.add_argument("--agents", required=True, help="comma-separated agent names (or module:Class)")
    g.add_argument("--models", default="", help="comma-separated model specs for the agents that take one")
    g.add_argument("--attempts", type=int, default=1, help="attempts per cell (seeds SEED … SEED+K-1)")
    g.add_argument("--seed", type=int, default=0, help="seed of attempt 0 (default 0)")
    g.add_argument("--out", required=True, help="output folder for run folders (shared by all nodes on Ray)")
    e = p.add_argument_group("execution")
    e.add_argument("--executor", choices=["local", "ray"], default="local", help="local process pool or Ray")
    e.add_argument("--workers", type=int, default=1, help="episodes at once (on Ray: most in flight)")
    e.add_argument("--backend", choices=["local", "docker"], default="local", help="sandbox of each episode")
    e.add_argument("--cpus-per-episode", type=float, default=1.0, help="CPUs each episode declares (Ray)")
    e.add_argument("--memory-per-episode", type=float, default=None, help="GiB each episode declares (Ray)")
    e.add_argument("--ray-address", default=None, help="join this Ray cluster (auto, HOST:PORT)")
    e.add_argument("--retries", type=int, default=1, help="Ray: re-runs after a worker or node died (default 1)")
    e.add_argument("--ray-fresh-workers", action="store_true",
                   help="Ray: a new worker process for every episode (full isolation, ~2 s more each)")
    e.add_argument("--episode-timeout", type=float, default=None,
                   help="seconds before an episode is stopped from outside (default: its wall-time limit + 600)")
    e.add_argument("--grace", type=float, default=30.0, help="seconds a stopped episode gets to end in order")
    e.add_argument("--rerun", choices=sorted(RERUN_GROUPS), default=None,
                   help="also re-run finished cells that ended in errors (exit_error, exit_runtime, exit_api)")
    a = p.add_argument_group("agent and limits")
    add_agent_options(a, agent=False)
    a.add_argument("--max-steps", type=int, default=None, help="override every task's step limit")
    a.add_argument("--wall-time", type=float, default=None, help="override every task's wall-time limit (s)")
    a.add_argument("--cost-limit", type=float, default=None, help="dollars per episode")
    a.add_argument("--total-cost-limit", type=float, default=None, help="dollars for the whole batch")
    a.add_argument("--max-concurrent-calls", default=None,
                   help="model calls at once per provider: N, or PROVIDER=N,... ('*' for the rest)")
    add_memory_options(p)
    add_gpu_options(p, per_episode=1)
    o = p.add_argument_group("output")
    o.add_argument("-q", "--quiet", action="store_true", help="no progress while it runs")
    o.add_argument("--tui", action="store_true",
                   help="watch the batch in the fleet view (the batch runs in the background and goes on "
                   "if you leave the view; its log is <out>/.batch/batch-tui.log)")
    o.add_argument("--json", action="store_true", help="print the JSON summary on stdout")
    o.add_argument("--summary", default=None, help="write the JSON summary to this file")
    p.set_defaults(func=cmd_batch)


MAX_ATTEMPTS = 10_000
"""More attempts per cell than any study runs; a typo like 1e14 must not build a grid that fills memory."""


def options_from_args(args: argparse.Namespace):  # noqa: ANN201 - BatchOptions, imported lazily
    from mlgym_tui.batch.budget import parse_call_limits
    from mlgym_tui.batch.grid import split_list
    from mlgym_tui.batch.runner import BatchOptions
    from mlgym_tui.core.runtime.gpus import parse_gpus

    if args.workers < 1:
        raise UserError("--workers must be at least 1")
    if not 1 <= args.attempts <= MAX_ATTEMPTS:
        raise UserError(f"--attempts {args.attempts}: must be between 1 and {MAX_ATTEMPTS:,}")
    check_max_steps(args.max_steps)
    check_seed(args.seed)
    for option, value in (("--wall-time", args.wall_time), ("--cost-limit", args.cost_limit),
                          ("--total-cost-limit", args.total_cost_limit), ("--episode-timeout", args.episode_timeout),
                          ("--cpus-per-episode", args.cpus_per_episode),
                          ("--memory-per-episode", args.memory_per_episode)):
        check_positive(option, value)
    check_non_negative("--grace", args.grace)
    check_non_negative("--retries", args.retries)
    if args.gpus_per_episode is not None and args.gpus_per_episode < 1:
        raise UserError(f"--gpus-per-episode {args.gpus_per_episode}: must be at least 1")
    check_memory_paths(args.memory_from, args.memory_dir)
    check_out(args.out)
    return BatchOptions(
        tasks=split_list(args.tasks),
        agents=split_list(args.agents),
        models=split_list(args.models),
        attempts=args.attempts,
        out=Path(args.out).resolve(),
        executor=args.executor,
        workers=args.workers,
        backend=args.backend,
        seed=args.seed,
        agent_config=list(args.config),
        base_url=args.base_url,
        max_steps=args.max_steps,
        wall_time=args.wall_time,
        research_log=bool(args.memory),
        memory_from=[str(Path(m).resolve()) for m in args.memory_from],
        memory_dir=str(Path(args.memory_dir).resolve()) if args.memory_dir else None,
        episode_timeout=args.episode_timeout,
        cost_limit=args.cost_limit,
        total_cost_limit=args.total_cost_limit,
        call_limits=parse_call_limits(args.max_concurrent_calls),
        gpus=parse_gpus(args.gpus) or [],
        gpus_per_episode=args.gpus_per_episode,
        cpus_per_episode=args.cpus_per_episode,
        memory_per_episode=int(args.memory_per_episode * 2**30) if args.memory_per_episode else None,
        grace=args.grace,
        ray_address=args.ray_address,
        ray_fresh_workers=args.ray_fresh_workers,
        retries=args.retries,
        rerun_statuses=RERUN_GROUPS.get(args.rerun or "", frozenset()),
    )


def cmd_batch(args: argparse.Namespace) -> int:
    from mlgym_tui.batch.progress import make_view
    from mlgym_tui.batch.report import print_report
    from mlgym_tui.batch.runner import run_batch

    options = options_from_args(args)
    if args.tui:
        return _batch_in_fleet(args, options.out)
    with _stdout_to_stderr():
        summary = run_batch(options, make_view(args.quiet))
    if args.summary:
        Path(args.summary).write_text(json.dumps(summary.data, indent=2) + "\n")
    if args.json:
        print(json.dumps(summary.data, indent=2))
    else:
        print_report(summary, options.out, sys.stdout, attempts=options.attempts)
    if summary.interrupted:
        return 130
    return 0 if summary.complete else 1


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Keep stdout for the summary alone: Ray (and any library) printing while the batch runs goes to stderr.

    Done on the file descriptor, so output from threads and native code is caught too.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _batch_in_fleet(args: argparse.Namespace, out: Path) -> int:
    """Start the same batch (without --tui) as a background process and open the fleet view on --out."""
    import subprocess

    from mlgym_tui.tui.launch import require_tui, run_workbench

    require_tui()
    from mlgym_tui.tui.app import Start

    argv = [a for a in getattr(args, "argv", None) or sys.argv[1:] if a != "--tui"]
    if "-q" not in argv and "--quiet" not in argv:
        argv.append("--quiet")
    (out / ".batch").mkdir(parents=True, exist_ok=True)
    log_path = out / ".batch" / "batch-tui.log"
    with log_path.open("ab") as log_file:
        proc = subprocess.Popen([sys.executable, "-m", "mlgym_tui.cli", *argv], stdout=log_file,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    code = run_workbench(Start("fleet", path=out, attempts=args.attempts))
    status = proc.poll()
    if status is None:
        print(f"the batch goes on in the background (pid {proc.pid}; log {log_path}); "
              f"`mlgym-tui fleet {out}` watches it again, `kill -INT {proc.pid}` stops it in order")
        return code
    print(f"the batch ended with exit code {status} (log {log_path})")
    return code or status

"""``mlgym-tui watch``: run an agent on a task and watch it live in the workbench (and step in).

It takes ``run``'s options (agent config layers, model, sandbox and memory options) through the same
helpers, so anything that runs headless can be watched.
"""

from __future__ import annotations

import argparse

from mlgym_tui.commands.episode_options import add_episode_options, episode_options
from mlgym_tui.core.errors import UserError
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
    add_episode_options(p)
    p.add_argument("--paused", action="store_true", help="start paused (space resumes, n single-steps)")
    p.add_argument("--approve", action="store_true", help="start in approve mode")
    p.add_argument("--pace", type=float, default=0.0, metavar="SECONDS",
                   help="at least this many seconds between the agent's actions, so a demo can be followed "
                   "(default 0; + and - change it live)")
    p.set_defaults(func=cmd_watch)


def cmd_watch(args: argparse.Namespace) -> int:
    if not 0 <= args.pace <= 3600:
        raise UserError(f"--pace {args.pace:g}: give seconds between 0 and 3600")
    require_tui()
    from mlgym_tui.tui.app import Start
    from mlgym_tui.tui.live import EpisodeRequest, LiveEpisode

    request = EpisodeRequest.of(episode_options(args), paused=args.paused, approve=args.approve, pace=args.pace)
    episode = LiveEpisode(request)  # a bad task or agent fails here, as a one-line error
    return run_workbench(Start("watch", request=request, episode=episode))

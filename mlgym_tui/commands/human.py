"""``mlgym-tui human``: attempt a task yourself, in the workbench or (``--headless``) on stdin/stdout.

Either way the attempt is an episode of the ``human`` agent: recorded and graded like an agent's, so
human baselines compare with agents'.
"""

from __future__ import annotations

import argparse

from mlgym_tui.commands.episode_options import add_episode_options, episode_options


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "human",
        help="attempt a task yourself (human baseline)",
        description="Work on a task in the workbench: a command line into the sandbox shell, an editable "
        "editor saved into the sandbox, F5 validate, F9 submit, F8 pause your clock. With --headless, "
        "type actions on stdin instead (block tools like edit end with their end marker).",
    )
    p.add_argument("task", help="task id (see `mlgym-tui tasks list`)")
    add_episode_options(p, agent=False)
    p.add_argument("--headless", action="store_true", help="no workbench: read actions from stdin")
    p.set_defaults(func=cmd_human)


def cmd_human(args: argparse.Namespace) -> int:
    if args.headless:
        return _headless(args)
    from mlgym_tui.tui.launch import require_tui, run_workbench

    require_tui()
    from mlgym_tui.tui.app import Start
    from mlgym_tui.tui.live import EpisodeRequest, LiveEpisode

    request = EpisodeRequest.of(episode_options(args, agent="human"))
    episode = LiveEpisode(request, human=True)
    return run_workbench(Start("human", request=request, episode=episode))


def _headless(args: argparse.Namespace) -> int:
    from mlgym_tui.agents.episode import build_episode
    from mlgym_tui.agents.human import HumanAgent
    from mlgym_tui.commands.progress import log
    from mlgym_tui.core.runner import run_episode
    from mlgym_tui.core.task_sources import load_task

    task = load_task(args.task)
    spec = build_episode(episode_options(args, agent="human"), task=task, agent=HumanAgent(), via="stdin")
    folder, result = run_episode(spec, log=log)
    print(f"run folder: {folder}")
    score = result.final_score
    print(f"{task.primary.name}: {'invalid' if score is None else f'{score:g}'} ({result.exit_status})")
    return 0 if score is not None else 1

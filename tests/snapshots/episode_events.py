"""A fixed, realistic event stream (an agent tuning prisonersDilemma) with fixed times and durations, so
screenshots of live, human and replay screens are the same on every machine."""

from __future__ import annotations

import json
from pathlib import Path

from mlgym_tui.core.events import Event, EventKind

T0 = 1_700_000_000.0
WORKSPACE = "/sandbox/workspace"
STRATEGY = [
    '"""Your strategy for the iterated Prisoner\'s Dilemma."""',
    "",
    "import random",
    "",
    "# How often to forgive a defection instead of retaliating.",
    "FORGIVENESS = 0.1",
    "# How often to defect at random to probe the opponent.",
    "PROBE_RATE = 0.15",
    "",
    "",
    "def row_strategy(history: list[tuple[int, int]]) -> int:",
    "    if not history:",
    "        return 0",
    "    if random.random() < PROBE_RATE:",
    "        return 1",
    "    _, their_last = history[-1]",
    "    if their_last == 1 and random.random() < FORGIVENESS:",
    "        return 0",
    "    return their_last",
]


def _window(lines: list[str], path: str) -> str:
    return "\n".join([f"[File: {path} ({len(lines)} lines total)]", *[f"{i}:{t}" for i, t in enumerate(lines, 1)]])


def episode_events(*, human: bool = False, ended: bool = True) -> list[Event]:
    """The stream: start, task, ls, open, edit, validate (better than baseline), submit, end."""
    events: list[Event] = []
    t = T0

    def add(kind: EventKind, step: int, **data: object) -> None:
        nonlocal t
        events.append(Event(kind=kind, step=step, data=dict(data), time=t))
        t += 1.0

    agent = "human" if human else "sweep"
    path = f"{WORKSPACE}/strategy.py"
    add(EventKind.EPISODE_STARTED, 0, task="prisonersDilemma", task_name="Iterated Prisoner's Dilemma",
        agent=agent, model=None, backend="local", seed=0, max_steps=30, wall_time=3600.0, cost_limit=None,
        metric="Score", direction="max", baseline=2.393591, stand_in=False)
    add(EventKind.OBSERVATION, 0, text="You are playing the iterated Prisoner's Dilemma as the row player.\n"
        "Improve `row_strategy` in `strategy.py`; `validate` scores it, `submit` ends.", exit_code=0,
        duration=0.0, timed_out=False, cut_bytes=0, tool="task")

    def thought(step: int, text: str) -> None:
        if human:
            add(EventKind.THOUGHT, step, text="(typed by a person)", by="human")
        else:
            add(EventKind.THOUGHT, step, text=text)

    thought(1, "Look at the workspace first.")
    add(EventKind.ACTION, 1, action="ls -l")
    add(EventKind.OUTPUT, 1, text="total 8\n-r--r--r-- 1 agent agent 2141 evaluate.py\n-rw-r--r-- 1 agent agent 1024 strategy.py\n")
    add(EventKind.OBSERVATION, 1, text="total 8", exit_code=0, duration=0.01, timed_out=False, cut_bytes=0, tool=None)
    thought(2, "Open the strategy to see its settings.")
    add(EventKind.ACTION, 2, action="open strategy.py")
    add(EventKind.FILE_OPENED, 2, path=path, first=1, last=len(STRATEGY), total=len(STRATEGY))
    add(EventKind.OBSERVATION, 2, text=_window(STRATEGY, path), exit_code=0, duration=0.0, timed_out=False,
        cut_bytes=0, tool="open")
    thought(3, "Retaliate every time: set **FORGIVENESS** to 0.")
    edited = [*STRATEGY[:5], "FORGIVENESS = 0.0", *STRATEGY[6:]]
    add(EventKind.ACTION, 3, action="edit 6:6\nFORGIVENESS = 0.0\nend_of_edit")
    add(EventKind.FILE_OPENED, 3, path=path, first=1, last=len(edited), total=len(edited))
    add(EventKind.FILE_CHANGED, 3, path=path, start=6, end=6, lines=["FORGIVENESS = 0.0"])
    add(EventKind.OBSERVATION, 3, text=_window(edited, path) + "\nFile updated.", exit_code=0, duration=0.0,
        timed_out=False, cut_bytes=0, tool="edit")
    thought(4, "Score the change.")
    add(EventKind.ACTION, 4, action="validate")
    add(EventKind.VALIDATION, 4, valid=True, metrics={"Score": 2.4215}, score=2.4215, error=None, tampered=False,
        baseline=2.393591, metric="Score", direction="max")
    add(EventKind.OBSERVATION, 4, text='Validation result:\n{"Score": 2.4215}\nScore 2.4215 is better than the '
        "baseline 2.39359 (higher is better)", exit_code=0, duration=0.0, timed_out=False, cut_bytes=0, tool="validate")
    if not ended:
        return events
    thought(5, "Better than the baseline; submit.")
    add(EventKind.ACTION, 5, action="submit")
    add(EventKind.SUBMISSION, 5, valid=True, metrics={"Score": 2.4215}, score=2.4215, error=None, tampered=False,
        baseline=2.393591, metric="Score", direction="max")
    add(EventKind.OBSERVATION, 5, text='Submission result:\n{"Score": 2.4215}', exit_code=0, duration=0.0,
        timed_out=False, cut_bytes=0, tool="submit")
    add(EventKind.EPISODE_ENDED, 5, exit_status="submitted", message="", score=2.4215, steps=5, wall_time=22.0,
        cost=0.0, tokens_in=0, tokens_out=0)
    return events


def write_run(folder: Path, events: list[Event], *, agent: str = "sweep", score: float | None = 2.4215) -> Path:
    """A run folder with these events and a result, as the recorder and the session would leave it."""
    folder.mkdir(parents=True, exist_ok=True)
    header = {"kind": "header", "schema": "mlgym-tui/trajectory", "version": 1, "task": "prisonersDilemma",
              "agent": agent, "model": None}
    lines = [json.dumps(header)] + [json.dumps(e.to_dict()) for e in events]
    (folder / "trajectory.jsonl").write_text("\n".join(lines) + "\n")
    submission = None if score is None else {"step": 5, "valid": True, "metrics": {"Score": score}, "score": score,
                                             "error": None, "tampered": False}
    result = {
        "schema": "mlgym-tui/result", "version": 1, "task": "prisonersDilemma", "agent_name": agent, "model": None,
        "backend": "local", "seed": 0, "exit_status": "submitted" if score is not None else "exit_error",
        "primary_metric": "Score", "direction": "max", "score": score, "steps": 5, "wall_time": 22.0,
        "tokens_in": 0, "tokens_out": 0, "cost": 0.0, "validations": [], "submission": submission,
        "stand_in": False, "started": "2023-11-14T22:13:20+00:00", "ended": "2023-11-14T22:13:42+00:00",
        "source": "mlgym-tui", "agent": [] if score is None else [{"Score": score}], "baseline": {"Score": 2.393591},
    }
    (folder / "result.json").write_text(json.dumps(result, indent=2))
    return folder


def write_running_fleet(runs: Path) -> None:
    """Beside the two finished runs: one episode still running (paused once, two validations) and one batch
    cell not started yet, as the fleet view finds them."""
    folder = runs / "prisonersDilemma" / "default-openai_gpt-4o" / "20231114T222000Z-s1"
    folder.mkdir(parents=True, exist_ok=True)
    records = [
        {"kind": "header", "schema": "mlgym-tui/trajectory", "version": 1, "task": "prisonersDilemma",
         "agent": "default", "model": "openai:gpt-4o", "seed": 1, "metric": "Score", "direction": "max",
         "baseline": {"Score": 2.393591}, "host": {"hostname": "gpu-node-3"},
         "config": {"batch": {"id": "b1", "cell": "prisonersDilemma/default/openai:gpt-4o/a1", "attempt": 1}}},
        {"kind": "episode_started", "step": 0, "time": T0 + 20, "max_steps": 50},
        {"kind": "validation", "step": 4, "time": T0 + 30, "valid": True, "score": 2.31},
        {"kind": "model_usage", "step": 6, "time": T0 + 35, "total_cost": 0.42},
        {"kind": "validation", "step": 7, "time": T0 + 40, "valid": True, "score": 2.52},
        {"kind": "observation", "step": 9, "time": T0 + 45, "text": "ok"},
    ]
    (folder / "trajectory.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    cells = {
        "prisonersDilemma/default/openai:gpt-4o/a1": {"task": "prisonersDilemma", "agent": "default",
                                                       "model": "openai:gpt-4o", "attempt": 1, "seed": 1,
                                                       "state": "pending"},
        "prisonersDilemma/default/openai:gpt-4o/a2": {"task": "prisonersDilemma", "agent": "default",
                                                       "model": "openai:gpt-4o", "attempt": 2, "seed": 2,
                                                       "state": "pending"},
    }
    (runs / "batch.json").write_text(json.dumps({"batch": "b1", "state": "running", "cells": cells}))

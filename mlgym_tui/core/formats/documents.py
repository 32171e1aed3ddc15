"""Exports as JSON: our self-contained graded document, and MLGym/SWE-agent-compatible ``.traj``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from mlgym_tui.core.formats.grade import grade
from mlgym_tui.core.formats.loaded import LoadedRun, Step
from mlgym_tui.core.formats.mlgym import mlgym_exit_status
from mlgym_tui.core.observations import step_outcome

DOCUMENT_SCHEMA = "mlgym-tui/graded-trajectory"
DOCUMENT_VERSION = 1


def _step_dict(s: Step) -> dict[str, Any]:
    outcome = step_outcome({"exit_code": s.exit_code, "tool": s.tool, "text": s.observation})
    return {
        "index": s.index,
        "thought": s.thought,
        "action": s.action,
        "observation": s.observation,
        "tool": s.tool,
        "exit_code": s.exit_code,
        "outcome": outcome.outcome,
        "outcome_reason": outcome.reason,
        "duration": s.duration,
        "started": s.started,
        "ended": s.ended,
        "evaluations": [{"kind": str(e.kind), **e.data} for e in s.evaluations],
    }


def graded_document(run: LoadedRun) -> dict[str, Any]:
    """One JSON document with the header, the grade, the result, every step and every event."""
    return {
        "schema": DOCUMENT_SCHEMA,
        "version": DOCUMENT_VERSION,
        "exported": datetime.now(UTC).isoformat(timespec="seconds"),
        "header": run.header,
        "grade": grade(run).to_dict(),
        "result": run.result.to_dict() if run.result else None,
        "task_text": run.task_text,
        "steps": [_step_dict(s) for s in run.steps()],
        "events": [e.to_dict() for e in run.events],
        "problems": run.problems,
    }


def export_json(run: LoadedRun) -> str:
    return json.dumps(graded_document(run), indent=2, ensure_ascii=False) + "\n"


def to_traj(run: LoadedRun) -> dict[str, Any]:
    """The run in MLGym's ``.traj`` shape (``environment``, ``trajectory``, ``history``, ``info``).

    Actions end in a newline and the state is a JSON string, as MLGym writes them. ``info.score`` holds
    the scores ``results.json`` would (every valid validation, then the submission); ``info.mlgym_tui``
    keeps what MLGym has no field for (task, agent, metric, direction, baseline), so importing the file
    back gives the same run.
    """
    g = grade(run)
    r = run.result
    steps = run.steps()
    trajectory = []
    history: list[dict[str, Any]] = [{"role": "user", "content": run.task_text, "agent": "primary"}]
    for s in steps:
        action = s.action + "\n"
        response = s.response or (f"{s.thought}\n```\n{s.action}\n```\n" if s.thought else f"```\n{s.action}\n```\n")
        state = json.dumps({"open_file": s.open_file or "n/a", "working_dir": "workspace"})
        trajectory.append({
            "action": action,
            "observation": s.observation,
            "response": response,
            "state": state,
            "thought": s.thought,
            "execution_time": s.duration if s.duration is not None else
            ((s.ended - s.started) if s.ended is not None and s.started is not None else 0.0),
        })
        history.append({"role": "assistant", "content": response, "thought": s.thought, "action": action,
                        "agent": "primary"})
        history.append({"role": "user", "content": s.observation, "agent": "primary"})
    if r is not None:
        scores = r.to_dict()["agent"]
        baseline = r.baseline
    else:
        scores = [{g.metric: p.score} for p in g.points if p.valid and p.score is not None]
        baseline = {g.metric: g.baseline} if g.baseline is not None else {}
    submission = next((e for s in steps for e in s.evaluations if str(e.kind) == "submission"), None)
    return {
        "environment": "mlgym-tui",
        "trajectory": trajectory,
        "history": history,
        "info": {
            "model_stats": {
                "total_cost": g.cost,
                "task_cost": g.cost,
                "instance_cost": g.cost,
                "tokens_sent": g.tokens_in,
                "tokens_received": g.tokens_out,
                "api_calls": sum(int(e.data.get("calls", 0) or 0) for e in run.events if str(e.kind) == "model_usage"),
            },
            "exit_status": _exit_status(run),
            "submission": "workspace" if submission is not None else None,
            "score": scores,
            "mlgym_tui": {
                "task": g.task,
                "agent": g.agent,
                "model": g.model,
                "seed": r.seed if r else run.header.get("seed", 0),
                "metric": g.metric,
                "direction": g.direction,
                "baseline": baseline,
                "stand_in": g.stand_in,
            },
        },
    }


def _exit_status(run: LoadedRun) -> str:
    """The source's own string for an imported run (kept verbatim); ours in MLGym's spelling otherwise."""
    r = run.result
    if r is not None and r.source_exit_status is not None:
        return r.source_exit_status
    g = grade(run)
    sub = r.submission if r is not None else None
    valid = g.score is not None if g.finished else None
    return mlgym_exit_status(g.exit_status, valid, sub.error if sub is not None else "no submission")


def export_traj(run: LoadedRun) -> str:
    return json.dumps(to_traj(run), indent=2, ensure_ascii=False) + "\n"

"""MLGym run folders that hold only ``results.json`` (no ``.traj``): scores without steps.

Some published MLGym-Bench runs kept their scores but not their trajectory; MLGym's own tables count
them. They import as runs with no steps: every score of ``results.json`` (the validations, the last one
the final submission, as MLGym reads the list), the baseline, and model, task and attempt from the folder
name. Nothing says how they ended, so their exit status is ``unknown`` (grouped as *other*), and replay
has nothing to show.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from mlgym_tui.core.events import Event, EventKind
from mlgym_tui.core.formats.mlgym import (
    ImportedRun,
    TrajImportError,
    _evaluation_data,
    _load_json,
    _primary_metric,
    _score_list,
    folder_names,
)
from mlgym_tui.core.trajectory import SCHEMA, SCHEMA_VERSION, EpisodeResult, Evaluation

RESULTS_FILE = "results.json"
UNKNOWN_EXIT = "unknown"
"""Exit status of a results-only run: the folder does not say how the episode ended."""


def is_results_only(folder: Path, names: set[str]) -> bool:
    """A folder with MLGym's ``results.json`` and neither a ``.traj`` nor our own run files."""
    return RESULTS_FILE in names and not any(n.endswith(".traj") for n in names) and "result.json" not in names


def read_results_only(folder: Path) -> ImportedRun:
    """One results-only MLGym run folder as a run without steps; raises :class:`TrajImportError` if unusable."""
    folder = Path(folder)
    path = folder / RESULTS_FILE
    raw, data = _load_json(path, "results file", 64 * 2**20)
    if not isinstance(raw, dict):
        raise TrajImportError(path, f"expected a JSON object with 'agent' and 'baseline', got {type(raw).__name__}")
    names = folder_names(folder)
    if "task" not in names:
        raise TrajImportError(path, "no .traj beside it and the folder name is not MLGym's "
                              "<model>__<task>__<config>__…__run_N, so the task is unknown")
    warnings: list[str] = ["results-only run (no .traj): scores imported, no steps to replay"]
    task, model, attempt = str(names["task"]), names.get("model"), int(names.get("attempt", 0))
    scores = _score_list(raw.get("agent"), "results.json 'agent'", warnings)
    baseline = (_score_list([raw.get("baseline") or {}], "results.json 'baseline'", warnings) or [{}])[0]
    metric, direction = _primary_metric(task, scores, baseline, {}, True, warnings)
    base_score = baseline.get(metric)

    validations = [Evaluation(step=0, valid=metric in s, metrics=s, score=s.get(metric),
                              error=None if metric in s else f"no '{metric}' in the score")
                   for s in (scores or [])[:-1]]
    submission = None
    if scores:
        last = scores[-1]
        submission = Evaluation(step=0, valid=metric in last, metrics=last, score=last.get(metric),
                                error=None if metric in last else f"no '{metric}' in the final score")
    events: list[Event] = []

    def emit(kind: EventKind, **payload: Any) -> None:
        events.append(Event(kind=kind, step=0, data=payload, time=0.0))

    emit(EventKind.EPISODE_STARTED, task=task, task_name=task, agent="mlgym", model=model, backend="mlgym",
         seed=attempt, max_steps=None, wall_time=None, cost_limit=names.get("cost_limit"), metric=metric,
         direction=direction, baseline=base_score, stand_in=False, imported=True)
    for ev in validations:
        emit(EventKind.VALIDATION, **_evaluation_data(ev, base_score, metric, direction))
    if submission is not None:
        emit(EventKind.SUBMISSION, **_evaluation_data(submission, base_score, metric, direction))
    final = submission.score if submission is not None and submission.valid else None
    emit(EventKind.EPISODE_ENDED, exit_status=UNKNOWN_EXIT, message="results.json only: no trajectory",
         score=final, steps=0, wall_time=0.0, cost=0.0, tokens_in=0, tokens_out=0, source_exit_status=None)

    # Identity of a results-only source: its folder's name with the file (two failed runs of one task
    # can hold byte-identical results.json files, e.g. no scores and the same baseline).
    sha = hashlib.sha256(folder.name.encode() + b"\n" + data).hexdigest()
    config = {k: names[k] for k in ("config", "temperature", "top_p", "cost_limit", "install") if k in names}
    header = {
        "kind": "header", "schema": SCHEMA, "version": SCHEMA_VERSION, "task": task, "agent": "mlgym",
        "model": model, "backend": "mlgym", "seed": attempt, "config": config, "metric": metric,
        "direction": direction, "baseline": baseline, "stand_in": False,
        "imported": {
            "format": "mlgym-results", "file": RESULTS_FILE, "folder": folder.name, "sha256": sha,
            "exit_status": None, "environment": "", "times": "none: the source has no trajectory",
            "results_only": True,
        },
    }
    result = EpisodeResult(
        task=task, agent="mlgym", model=model, backend="mlgym", seed=attempt, exit_status=UNKNOWN_EXIT,
        primary_metric=metric, direction=direction, validations=validations, submission=submission,
        baseline=baseline, source="mlgym", source_id=f"sha256:{sha}",
    )
    return ImportedRun(source=path, header=header, events=events, result=result, sha256=sha, warnings=warnings)


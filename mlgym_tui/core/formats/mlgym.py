"""MLGym and SWE-agent ``.traj`` files read into our events and result, and written as run folders.

A ``.traj`` is one JSON document: ``trajectory`` (steps with ``thought``, ``action``, ``observation``,
``execution_time``, ``state``), ``history`` (the chat), ``info`` (``exit_status``, ``model_stats`` with
cost and tokens; MLGym adds ``score``). MLGym writes ``results.json`` beside it: ``{"agent": [every valid
score, the final submission last], "baseline": {...}}``. The run folder name carries the model, task and
attempt (``<model>__<task>__<config>__t-…__p-…__c-…__install-…__parallel_agents_run_<n>``).

What is not in the file is derived and says so: event times are rebuilt from each step's
``execution_time`` (the header marks them ``synthesized``), validations are recovered from the
observations of ``validate`` steps, their scores taken from ``results.json`` when it is there.
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mlgym_tui.core.direction import Direction
from mlgym_tui.core.events import Event, EventKind
from mlgym_tui.core.exit_strings import mlgym_from_ours, ours_from_mlgym, split_mlgym
from mlgym_tui.core.exits import ExitStatus
from mlgym_tui.core.metric_names import find_metric
from mlgym_tui.core.observations import EDITOR_NOTE, editor_events
from mlgym_tui.core.task_sources import task_info
from mlgym_tui.core.tools import TOOLS as ACI_TOOLS
from mlgym_tui.core.trajectory import (
    SCHEMA,
    SCHEMA_VERSION,
    EpisodeResult,
    Evaluation,
)

MAX_TRAJ_BYTES = 512 * 1024 * 1024
"""A ``.traj`` larger than this is refused (it would not fit a reasonable amount of memory)."""
MAX_OBSERVATION_CHARS = 1024 * 1024
"""Longer observations are cut on import (head and tail kept) so run folders stay readable."""

TOOLS = frozenset(name for name, spec in ACI_TOOLS.items() if spec.kind != "memory")
"""First words of actions that are interface tools, not shell commands (no shell output for them): the
tools MLGym's interface shares with ours."""

_MIN_WORDS = ("loss", "rmse", "mse", "mae", "error", "perplexity", "time", "regret", "distance", "wer", "cer")


class TrajImportError(Exception):
    """The file cannot be imported at all; ``reason`` says why (the path is known to the caller)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass
class ImportedRun:
    """A ``.traj`` as our header, events and result, plus what the importer had to guess or cut."""

    source: Path
    header: dict[str, Any]
    events: list[Event]
    result: EpisodeResult
    sha256: str
    warnings: list[str] = field(default_factory=list)


# -- names ------------------------------------------------------------------------------------------

_PARAM = re.compile(r"^(t|p|c)-(-?[0-9.]+)$")
_INSTALL = re.compile(r"^install-(\d+)$")
_RUN = re.compile(r"^(?:parallel_agents_)?run_(\d+)$")


def parse_run_name(name: str, task_hint: str | None = None) -> dict[str, Any]:
    """Model, task, config, sampling settings and attempt from an MLGym / SWE-agent run folder name.

    MLGym: ``<model>__<task>__<config>__t-0.00__p-0.95__c-4.00__install-0__parallel_agents_run_0``.
    SWE-agent: ``<user>__<model>__<dataset>__<config>__t-…`` (its task is the ``.traj`` file's name).
    Segments that match neither shape are ignored; anything not found is absent from the result.
    """
    out: dict[str, Any] = {}
    plain: list[str] = []
    for seg in name.split("__"):
        if m := _PARAM.match(seg):
            key = {"t": "temperature", "p": "top_p", "c": "cost_limit"}[m[1]]
            try:
                out[key] = float(m[2])
            except ValueError:
                pass
        elif m := _INSTALL.match(seg):
            out["install"] = int(m[1])
        elif m := _RUN.match(seg):
            out["attempt"] = int(m[1])
        elif seg:
            plain.append(seg)
    if len(plain) < 2:
        return out
    if task_hint and task_hint in plain and plain.index(task_hint) > 0:
        i = plain.index(task_hint)
        out["model"], out["task"] = plain[i - 1], task_hint
        if i + 1 < len(plain):
            out["config"] = plain[i + 1]
    elif task_hint:
        out["model"] = plain[1]  # SWE-agent: user__model__dataset__config
        if len(plain) > 3:
            out["config"] = plain[3]
    elif "attempt" in out:  # MLGym's shape without a file name to go by: model__task__config__…__run_N
        out["model"], out["task"] = plain[0], plain[1]
        if len(plain) > 2:
            out["config"] = plain[2]
    return out


def folder_names(folder: Path, task_hint: str | None = None) -> dict[str, Any]:
    """:func:`parse_run_name` of a run folder, or of the folder a symlink to it points at when only that
    one carries MLGym's name (a link named ``latest`` → ``<model>__<task>__…__run_3``)."""
    names = parse_run_name(folder.name, task_hint)
    if "attempt" not in names:
        real = Path(os.path.realpath(folder))
        if real.name != folder.name:
            names = parse_run_name(real.name, task_hint) or names
    return names


def guess_direction(metric: str) -> Direction:
    """'min' for names that read like a loss, error or time; otherwise 'max'."""
    low = metric.lower()
    return Direction.MIN if any(w in low for w in _MIN_WORDS) else Direction.MAX


def normalize_exit_status(raw: str) -> str:
    """MLGym / SWE-agent exit strings as our :class:`ExitStatus` values (see :mod:`~mlgym_tui.core.exit_strings`)."""
    return ours_from_mlgym(raw)


def mlgym_exit_status(status: str, submission_valid: bool | None = None, submission_error: str | None = None) -> str:
    """Our exit status as the string MLGym writes (see :func:`~mlgym_tui.core.exit_strings.mlgym_from_ours`)."""
    return mlgym_from_ours(status, submission_valid, submission_error)


# -- reading ----------------------------------------------------------------------------------------

_EVAL_LINE = re.compile(r"^\s*Evaluation Score:\s*(\{.*\})\s*$", re.M)
_BASE_LINE = re.compile(r"^\s*Baseline Score:\s*(\{.*\})\s*$", re.M)
_OURS = re.compile(r"^(Validation|Submission) result:\s*\n\s*(\{.*\})", re.M)


def _literal_dict(text: str) -> dict[str, float] | None:
    for parse in (json.loads, ast.literal_eval):
        try:
            value = parse(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        if isinstance(value, dict):
            return {str(k): float(v) for k, v in value.items() if _is_number(v)}
    return None


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(float(v))


def parse_evaluation(observation: str) -> tuple[bool, dict[str, float], dict[str, float] | None, str | None]:
    """(valid, metrics, baseline metrics, error) from a validate/submit observation, MLGym's or ours."""
    if m := _EVAL_LINE.search(observation):
        metrics = _literal_dict(m[1])
        base = _BASE_LINE.search(observation)
        if metrics:
            return True, metrics, _literal_dict(base[1]) if base else None, None
    if m := _OURS.search(observation):
        metrics = _literal_dict(m[2])
        if metrics is not None:
            return True, metrics, None, None
    first = observation.strip().splitlines()[0] if observation.strip() else "no evaluation output"
    return False, {}, None, first[:300]


def _tool(action: str) -> str | None:
    word = action.strip().split(maxsplit=1)[0] if action.strip() else ""
    return word if word in TOOLS else None


def _cut(text: str, step: int, warnings: list[str]) -> tuple[str, int]:
    if len(text) <= MAX_OBSERVATION_CHARS:
        return text, 0
    half = MAX_OBSERVATION_CHARS // 2
    cut = len(text) - 2 * half
    warnings.append(f"step {step}: observation of {len(text) / 1e6:.1f} MB cut to {2 * half / 1e6:.1f} MB on import")
    return text[:half] + f"\n[… {cut} characters cut on import …]\n" + text[-half:], cut


def _text(value: Any, where: str, warnings: list[str]) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    warnings.append(f"{where}: expected text, got {type(value).__name__}; converted")
    return json.dumps(value) if isinstance(value, dict | list) else str(value)


def _seconds(value: Any) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return 0.0
    return seconds if math.isfinite(seconds) and seconds >= 0 else 0.0


def _load_json(path: Path, what: str, limit: int) -> Any:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise TrajImportError(path, exc.strerror or str(exc)) from exc
    if size > limit:
        raise TrajImportError(path, f"{size / 2**20:.0f} MiB is larger than the {limit // 2**20} MiB a {what} may be")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TrajImportError(path, exc.strerror or str(exc)) from exc
    try:
        return json.loads(data), data
    except UnicodeDecodeError as exc:
        raise TrajImportError(path, f"not UTF-8 text ({exc.reason})") from exc
    except json.JSONDecodeError as exc:
        raise TrajImportError(path, describe_json_error(exc, len(data.rstrip()))) from exc
    except RecursionError as exc:
        raise TrajImportError(path, "JSON nested too deeply") from exc


def describe_json_error(exc: json.JSONDecodeError, size: int) -> str:
    """One line for a JSON error, saying so when the text simply stops (a truncated file)."""
    truncated = exc.pos >= size - 1 or exc.msg.startswith("Unterminated string")
    hint = " (truncated: the file ends early)" if truncated else ""
    return f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}){hint}"


def _results_file(traj: Path, warnings: list[str]) -> dict[str, Any] | None:
    path = traj.parent / "results.json"
    if not path.is_file():
        return None
    try:
        raw, _ = _load_json(path, "results file", 64 * 2**20)
    except TrajImportError as exc:
        warnings.append(f"results.json ignored: {exc.reason}")
        return None
    if not isinstance(raw, dict):
        warnings.append(f"results.json ignored: expected an object, got {type(raw).__name__}")
        return None
    return raw


def _score_list(value: Any, where: str, warnings: list[str]) -> list[dict[str, float]] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        warnings.append(f"{where}: expected a list of metric objects; scores ignored")
        return None
    return [{str(k): float(v) for k, v in d.items() if _is_number(v)} for d in value]


def _primary_metric(
    task: str,
    scores: list[dict[str, float]] | None,
    baseline: dict[str, float],
    ours: dict[str, Any],
    is_mlgym: bool,
    warnings: list[str],
) -> tuple[str, Direction]:
    """The run's primary metric, under the name its scores use, and its direction.

    Our own exports say it (``info.mlgym_tui``). Otherwise the task's metric from ``tasks/<id>/task.yaml``,
    found among the scores' names directly or through :data:`~mlgym_tui.core.metric_names.METRIC_ALIASES`
    (MLGym's ``BLEU Score`` is our ``BLEU``); a run with no scores takes the task's name. The baseline's
    names are not consulted: a baseline recorded under another name than the run's scores measured
    something else (MLGym's early mountain-car runs record ``Reward`` beside scores in ``Reward Mean``).
    """
    if ours.get("metric"):
        return str(ours["metric"]), Direction.of(ours.get("direction"))
    known = task_info(task)
    names = next((s for s in (scores or []) if s), {})
    if known is not None:
        found = find_metric(known.metric, names) if names else known.metric
        if found is not None:
            return found, known.direction
    metric = next(iter(names or baseline), "score")
    direction = guess_direction(metric)
    if is_mlgym:
        where = "is not in tasks/" if known is None else f"reports no '{known.metric}'"
        warnings.append(
            f"task '{task}' {where}: imported anyway; '{metric}' taken as the primary metric, "
            f"{direction.word} is better (guessed from its name)"
        )
    return metric, direction


def read_traj(path: Path) -> ImportedRun:
    """Read one ``.traj`` (and the ``results.json`` beside it) into our events and result.

    Raises :class:`TrajImportError` only when nothing usable is there (not JSON, not a trajectory, too
    large); everything else (odd types, missing scores, unknown task, cut observations) becomes a
    warning on the returned run.
    """
    path = Path(path)
    raw, data = _load_json(path, "trajectory file", MAX_TRAJ_BYTES)
    if not isinstance(raw, dict):
        raise TrajImportError(path, f"expected a JSON object with 'trajectory', got {type(raw).__name__}")
    steps = raw.get("trajectory")
    if not isinstance(steps, list):
        got = "nothing" if steps is None else type(steps).__name__
        raise TrajImportError(path, f"field 'trajectory': expected a list of steps, got {got}")
    warnings: list[str] = []
    info = raw.get("info") if isinstance(raw.get("info"), dict) else {}
    if "info" in raw and not isinstance(raw.get("info"), dict):
        warnings.append(f"field 'info': expected an object, got {type(raw['info']).__name__}; ignored")
    ours = info.get("mlgym_tui") if isinstance(info.get("mlgym_tui"), dict) else {}
    results = _results_file(path, warnings)
    is_mlgym = results is not None or "score" in info or str(raw.get("environment", "")).startswith("mlgym")
    is_mlgym = is_mlgym or bool(ours)

    names = folder_names(path.parent, path.stem)
    task = str(ours.get("task") or names.get("task") or path.stem)
    model = ours.get("model") if ours else names.get("model")
    agent = str(ours.get("agent") or ("mlgym" if is_mlgym else "swe-agent"))
    attempt = int(_seconds(ours.get("seed", names.get("attempt", 0))))

    scores = None
    baseline_metrics: dict[str, float] = {}
    if results is not None:
        scores = _score_list(results.get("agent"), "results.json 'agent'", warnings)
        baseline_metrics = (_score_list([results.get("baseline") or {}], "results.json 'baseline'", warnings) or [{}])[0]
    if scores is None and "score" in info:
        scores = _score_list(info.get("score"), "info 'score'", warnings)
    if not baseline_metrics and isinstance(ours.get("baseline"), dict):
        baseline_metrics = {k: float(v) for k, v in ours["baseline"].items() if _is_number(v)}

    metric, direction = _primary_metric(task, scores, baseline_metrics, ours, is_mlgym, warnings)
    if not is_mlgym:
        warnings.append(f"task '{task}': SWE-agent trajectory, imported without scores")
    elif scores is None:
        warnings.append("no results.json beside the file and no 'score' in its info: imported without scores")

    # Event times: MLGym records only how long each step ran, so the timeline is rebuilt from those,
    # ending at the file's modification time.
    durations = [_seconds(s.get("execution_time")) if isinstance(s, dict) else 0.0 for s in steps]
    try:
        end_time = path.stat().st_mtime
    except OSError:
        end_time = 0.0
    clock = end_time - sum(durations)
    start_time = clock

    events: list[Event] = []

    def emit(kind: EventKind, step: int, at: float, **payload: Any) -> None:
        events.append(Event(kind=kind, step=step, data=payload, time=at))

    model_stats = info.get("model_stats") if isinstance(info.get("model_stats"), dict) else {}
    cost = _seconds(model_stats.get("total_cost", model_stats.get("instance_cost", 0.0)))
    tokens_in = int(_seconds(model_stats.get("tokens_sent", 0)))
    tokens_out = int(_seconds(model_stats.get("tokens_received", 0)))
    calls = int(_seconds(model_stats.get("api_calls", 0)))
    history = raw.get("history") if isinstance(raw.get("history"), list) else []
    source_status = info.get("exit_status") if isinstance(info.get("exit_status"), str) else None
    raw_status = source_status or "unknown"
    status = normalize_exit_status(source_status or "")
    last_action = None
    if source_status == "":  # MLGym's scripts name such an ending by the last action
        last_action = next((str(h.get("action") or "").strip() for h in reversed(history)
                            if isinstance(h, dict) and h.get("role") == "assistant"), None)
        if last_action is None and steps and isinstance(steps[-1], dict):
            last_action = str(steps[-1].get("action") or "").strip()
    base_score = baseline_metrics.get(metric)

    emit(EventKind.EPISODE_STARTED, 0, clock, task=task, task_name=task, agent=agent, model=model,
         backend=agent, seed=attempt, max_steps=None, wall_time=None, cost_limit=names.get("cost_limit"),
         metric=metric, direction=direction, baseline=base_score, stand_in=False, imported=True)
    task_text = next((h.get("content") for h in history if isinstance(h, dict) and h.get("role") == "user"), "")
    if not isinstance(task_text, str):
        task_text = _text(task_text, "history[1].content", warnings)
    emit(EventKind.OBSERVATION, 0, clock, text=task_text, exit_code=0, duration=0.0, timed_out=False,
         cut_bytes=0, tool="task")

    evaluations: list[tuple[Evaluation, int]] = []  # (validation, index of its event)
    submit_step: int | None = None
    for i, item in enumerate(steps, start=1):
        if not isinstance(item, dict):
            warnings.append(f"trajectory[{i - 1}]: expected an object, got {type(item).__name__}; step kept empty")
            item = {}
        where = f"trajectory[{i - 1}]"
        thought = _text(item.get("thought"), f"{where}.thought", warnings)
        response = _text(item.get("response"), f"{where}.response", warnings)
        action = _text(item.get("action"), f"{where}.action", warnings).removesuffix("\n")
        observation, cut = _cut(_text(item.get("observation"), f"{where}.observation", warnings), i, warnings)
        duration = durations[i - 1]
        extra = {"response": response} if response and response != thought else {}
        emit(EventKind.THOUGHT, i, clock, text=thought, **extra)
        emit(EventKind.ACTION, i, clock, action=action)
        done = clock + duration
        tool = _tool(action)
        if tool is None and observation:
            emit(EventKind.OUTPUT, i, done, text=observation)
        if tool == "validate":
            valid, metrics, base, error = parse_evaluation(observation)
            ev = Evaluation(step=i, valid=valid, metrics=metrics, score=metrics.get(metric), error=error)
            if base and not baseline_metrics:
                baseline_metrics = base
                base_score = base.get(metric)
            evaluations.append((ev, len(events)))
            emit(EventKind.VALIDATION, i, done, **_evaluation_data(ev, base_score, metric, direction))
        elif tool == "submit":
            submit_step = i
        for kind, payload in editor_events(tool, action, observation):  # MLGym records no editor events
            emit(EventKind(kind), i, done, **payload, synthesized=True)
        emit(EventKind.OBSERVATION, i, done, text=observation, exit_code=None, duration=round(duration, 4),
             timed_out=False, cut_bytes=cut, tool=tool)
        clock = done

    validations = [ev for ev, _ in evaluations]
    submission: Evaluation | None = None
    if scores is not None:
        valid_idx = [k for k, (ev, _) in enumerate(evaluations) if ev.valid]
        final = scores[-1] if scores else None
        if len(scores) == len(valid_idx) + 1:
            for k, metrics in zip(valid_idx, scores[:-1], strict=True):
                validations[k] = _with_metrics(validations[k], metrics, metric)
        elif len(scores) == len(valid_idx) and not _final_scored(source_status):
            final = None  # every score belongs to a validation: the final evaluation produced none
            for k, metrics in zip(valid_idx, scores, strict=True):
                validations[k] = _with_metrics(validations[k], metrics, metric)
        else:
            warnings.append(
                f"{len(scores)} score(s) in the results but {len(valid_idx)} valid validation(s) in the "
                "trajectory; the last score is taken as the submission"
            )
        for k, (_, index) in enumerate(evaluations):
            old = events[index]
            events[index] = Event(old.kind, old.step, _evaluation_data(validations[k], base_score, metric, direction), old.time)
        if final is not None:
            score = final.get(metric)
            submission = Evaluation(step=submit_step or len(steps), valid=score is not None, metrics=final,
                                    score=score, error=None if score is not None else f"no '{metric}' in the final score")
        elif status in (ExitStatus.SUBMITTED,) or submit_step is not None:
            submission = Evaluation(step=submit_step or len(steps), valid=False, error=_final_error(source_status))
    if submission is not None:
        emit(EventKind.SUBMISSION, submission.step, clock, **_evaluation_data(submission, base_score, metric, direction))
    if cost or tokens_in or tokens_out or calls:
        emit(EventKind.MODEL_USAGE, len(steps), clock, tokens_in=tokens_in, tokens_out=tokens_out, cost=cost,
             calls=calls, total_tokens_in=tokens_in, total_tokens_out=tokens_out, total_cost=cost)
    if status != ExitStatus.SUBMITTED:
        emit(EventKind.LIMIT, len(steps), clock, status=status, message=raw_status)
    final_score = submission.score if submission and submission.valid else None
    emit(EventKind.EPISODE_ENDED, len(steps), clock, exit_status=status, message=raw_status, score=final_score,
         steps=len(steps), wall_time=round(clock - start_time, 3), cost=cost, tokens_in=tokens_in,
         tokens_out=tokens_out, source_exit_status=raw_status)

    sha = hashlib.sha256(data).hexdigest()
    source = "mlgym" if is_mlgym else "swe-agent"
    config = {k: names[k] for k in ("config", "temperature", "top_p", "cost_limit", "install") if k in names}
    header = {
        "kind": "header",
        "schema": SCHEMA,
        "version": SCHEMA_VERSION,
        "task": task,
        "agent": agent,
        "model": model,
        "backend": source,
        "seed": attempt,
        "config": config,
        "metric": metric,
        "direction": direction,
        "baseline": baseline_metrics,
        "stand_in": False,
        "imported": {
            "format": f"{source}-traj",
            "file": path.name,
            "folder": path.parent.name,
            "sha256": sha,
            "exit_status": raw_status if source_status is None else source_status,
            "environment": str(raw.get("environment", "")),
            "times": "synthesized from execution_time",
            "editor": EDITOR_NOTE,
        },
    }
    result = EpisodeResult(
        task=task,
        agent=agent,
        model=model,
        backend=source,
        seed=attempt,
        exit_status=status,
        primary_metric=metric,
        direction=direction,
        steps=len(steps),
        wall_time=round(clock - start_time, 3),
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        cost=cost,
        validations=validations,
        submission=submission,
        baseline=baseline_metrics,
        stand_in=False,
        started=_iso(start_time),
        ended=_iso(clock),
        source=source,
        source_exit_status=source_status,
        source_last_action=last_action,
        source_id=f"sha256:{sha}",
    )
    return ImportedRun(source=path, header=header, events=events, result=result, sha256=sha, warnings=warnings)


def _final_scored(source_status: str | None) -> bool:
    """Whether the source says its final evaluation produced a score (so the last score is the submission)."""
    text = (source_status or "").strip()
    shape = split_mlgym(text)
    return text == "submitted" or (shape is not None and shape[0] == "autosubmission")


def _final_error(source_status: str | None) -> str:
    shape = split_mlgym((source_status or "").strip())
    outcome = shape[0] if shape else ""
    if outcome == "evaluation_format_error":
        return f"the evaluation rejected the submission ({source_status})"
    if outcome == "submission_not_found":
        return f"submission artefact not found ({source_status})"
    return "no score for the submission"


def _with_metrics(ev: Evaluation, metrics: dict[str, float], metric: str) -> Evaluation:
    return Evaluation(step=ev.step, valid=True, metrics=metrics, score=metrics.get(metric), error=None)


def _evaluation_data(ev: Evaluation, baseline: float | None, metric: str, direction: str) -> dict[str, Any]:
    return {"valid": ev.valid, "metrics": ev.metrics, "score": ev.score, "error": ev.error, "tampered": False,
            "baseline": baseline, "metric": metric, "direction": direction}


def _iso(moment: float) -> str:
    try:
        return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds")
    except (OverflowError, OSError, ValueError):
        return ""

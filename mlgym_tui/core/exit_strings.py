"""MLGym's exit-status strings and ours, both ways.

MLGym writes ``<outcome> (<trigger>)``: the outcome of the final evaluation (``autosubmission`` — it
scored, ``evaluation_format_error`` — the evaluation rejected the artefact, ``submission_not_found`` —
there was none) and what ended the episode (``submit``, ``max_steps``, ``exit_context``, ``exit_cost``,
``exit_format``, ``exit_api``); plus ``submitted``, ``early_exit``, and ``""`` when the run died without
saying why. SWE-agent writes the trigger alone (``exit_cost`` …).

:func:`ours_from_mlgym` reads the trigger into our :class:`~mlgym_tui.core.exits.ExitStatus` (the
outcome is in the submission's validity); :func:`mlgym_from_ours` writes our status (with the outcome
of the submission) in MLGym's spelling, for ``.traj`` export and for grouping our runs with MLGym's
(see :mod:`mlgym_tui.core.scoring.exit_groups`). An imported run keeps the source's string verbatim
beside ours (``source_exit_status``), so nothing is lost either way.
"""

from __future__ import annotations

import re

from mlgym_tui.core.exits import ExitStatus

_SHAPE = re.compile(r"^\s*([a-z_]+)\s*\((.*)\)\s*$", re.S)

OUTCOMES = ("autosubmission", "evaluation_format_error", "submission_not_found")
"""MLGym's outcomes of the final evaluation: it scored, it was rejected, there was no artefact."""

TRIGGERS: dict[str, ExitStatus] = {
    "submit": ExitStatus.SUBMITTED,
    "max_steps": ExitStatus.MAX_STEPS,
    "wall_time": ExitStatus.WALL_TIME,
    "exit_context": ExitStatus.CONTEXT,
    "exit_cost": ExitStatus.COST,
    "exit_format": ExitStatus.FORMAT,
    "exit_api": ExitStatus.API,
}
"""MLGym's triggers (what ended the episode) → our status. ``wall_time`` is ours; MLGym has no wall clock."""

_KEYWORDS: tuple[tuple[str, ExitStatus], ...] = (
    ("max_steps", ExitStatus.MAX_STEPS),
    ("wall_time", ExitStatus.WALL_TIME),
    ("context", ExitStatus.CONTEXT),
    ("cost", ExitStatus.COST),
    ("format", ExitStatus.FORMAT),
    ("api", ExitStatus.API),
    ("permission", ExitStatus.PERMISSION),
    ("early_exit", ExitStatus.ERROR),
    ("runtime", ExitStatus.RUNTIME),
    ("interrupt", ExitStatus.INTERRUPTED),
    ("error", ExitStatus.ERROR),
)
"""Fallback for strings of no known shape (SWE-agent's, older MLGym's): the first keyword found wins."""


def split_mlgym(status: str) -> tuple[str, str] | None:
    """``("autosubmission", "max_steps")`` for ``"autosubmission (max_steps)"``; None for other shapes."""
    m = _SHAPE.match(status)
    return (m[1], m[2].strip()) if m else None


def ours_from_mlgym(raw: str) -> str:
    """An MLGym / SWE-agent exit string as our :class:`ExitStatus` value (unknown strings kept as they are).

    The trigger decides: ``evaluation_format_error (submit)`` is ``submitted`` (with an invalid
    submission), ``submission_not_found (max_steps)`` is ``autosubmission_max_steps``. An empty string or
    ``unknown_error (…)`` (the run died) is ``exit_error``.
    """
    text = raw.strip()
    low = text.lower()
    if low in ("submitted", "submit"):
        return ExitStatus.SUBMITTED
    shape = split_mlgym(low)
    if shape is not None:
        outcome, trigger = shape
        if outcome == "unknown_error":
            return ExitStatus.ERROR
        if trigger in TRIGGERS:
            return TRIGGERS[trigger]
    for key, status in _KEYWORDS:
        if key in low:
            return status
    return text or ExitStatus.ERROR


_TRIGGER_OF: dict[str, str] = {str(v): k for k, v in TRIGGERS.items()}


def mlgym_from_ours(status: str, submission_valid: bool | None = None, submission_error: str | None = None) -> str:
    """Our exit status in MLGym's spelling, with the outcome of the final evaluation when it is known.

    ``submission_valid`` None (not known) writes the scored outcome (``autosubmission``). Statuses MLGym
    has no word for (a runtime error, a person stopping the run, the permission limit) are written as
    ours, except runtime errors, which MLGym calls ``early_exit``.
    """
    if status in (ExitStatus.RUNTIME, ExitStatus.ERROR):
        return "early_exit"
    trigger = _TRIGGER_OF.get(str(status))
    if trigger is None:
        return str(status)
    if submission_valid is None or submission_valid:
        return "submitted" if trigger == "submit" else f"autosubmission ({trigger})"
    error = (submission_error or "").lower()
    missing = not error or "not found" in error or "no submission" in error
    return f"{'submission_not_found' if missing else 'evaluation_format_error'} ({trigger})"

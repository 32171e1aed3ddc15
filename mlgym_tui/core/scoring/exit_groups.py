"""How episodes ended, grouped the way the MLGym paper reports them: one table, :data:`MLGYM_EXIT_GROUPS`.

The table is keyed by MLGym's exit strings (``<outcome> (<trigger>)``, see :mod:`mlgym_tui.core.exit_strings`).
An imported run is looked up by the string its source wrote (``source_exit_status``, verbatim); one of
our runs by its status written in MLGym's spelling with the outcome of its submission, so both land in
the same groups. As in the paper, one ending can count in two groups: ``evaluation_format_error (submit)``
is an *evaluation* failure at *submit*, ``submission_not_found (exit_format)`` one of *evaluation* and
*format*. A run that died without a status (``""``) is named by its last action, as MLGym's scripts do.
"""

from __future__ import annotations

from mlgym_tui.core.exit_strings import OUTCOMES, mlgym_from_ours, split_mlgym
from mlgym_tui.core.exits import ExitStatus

SUCCESS = "success"
EXIT_GROUPS: tuple[str, ...] = (
    "context",
    "max steps",
    "evaluation",
    "format",
    "permission",
    "cost",
    "runtime",
    "API",
    "submit",
    SUCCESS,
    "other",
)
"""The paper's groups in display order, and ``other`` for what it has no group for (a person stopped the
run, an unknown string)."""

MLGYM_EXIT_GROUPS: dict[str, tuple[str, ...]] = {
    "submitted": (SUCCESS,),
    "autosubmission (max_steps)": ("max steps",),
    "autosubmission (exit_context)": ("context",),
    "autosubmission (exit_cost)": ("cost",),
    "autosubmission (exit_format)": ("format",),
    "autosubmission (exit_api)": ("API",),
    "evaluation_format_error (submit)": ("evaluation", "submit"),
    "evaluation_format_error (max_steps)": ("evaluation",),
    "evaluation_format_error (exit_context)": ("evaluation", "context"),
    "evaluation_format_error (exit_cost)": ("evaluation", "cost"),
    "evaluation_format_error (exit_format)": ("evaluation", "format"),
    "submission_not_found (submit)": ("evaluation",),
    "submission_not_found (max_steps)": ("evaluation",),
    "submission_not_found (exit_context)": ("evaluation", "context"),
    "submission_not_found (exit_format)": ("evaluation", "format"),
    "unknown_error (validate)": ("evaluation",),
    "early_exit": ("runtime",),
}
"""Every exit string MLGym's evaluation scripts group, with the paper's groups (the paper counts a run in
each of its groups). Strings not listed are grouped by :func:`exit_groups`' rules below."""

_TRIGGER_GROUPS: dict[str, tuple[str, ...]] = {
    "submit": ("submit",),
    "max_steps": (),
    "wall_time": (),
    "exit_context": ("context",),
    "exit_cost": ("cost",),
    "exit_format": ("format",),
    "exit_api": ("API",),
}
"""For outcome/trigger pairs not in the table: an evaluation failure plus the trigger's group, as the table does."""

_OURS: dict[str, tuple[str, ...]] = {
    ExitStatus.WALL_TIME: ("max steps",),
    ExitStatus.PERMISSION: ("permission",),
    ExitStatus.INTERRUPTED: ("other",),
    "exit_permission": ("permission",),
    "exit_interrupted": ("other",),
}
"""Our statuses with no MLGym string (a wall-clock limit counts with max steps: a budget ran out)."""


def _by_last_action(action: str) -> tuple[str, ...]:
    """A run that died without a status, by its last action (MLGym's ``unknown_error (<action>)``)."""
    words = action.split()
    first = words[0] if words else ""
    if first in ("validate", "submit"):
        return ("evaluation",)
    if first == "open" and any("data" in w for w in words[1:]):
        return ("permission",)  # MLGym's one such case: opening the read-only data failed
    return ("runtime",)


def groups_of_mlgym(status: str, last_action: str | None = None) -> tuple[str, ...]:
    """The paper's groups of one MLGym exit string (``last_action`` names an empty one)."""
    text = status.strip()
    if text in MLGYM_EXIT_GROUPS:
        return MLGYM_EXIT_GROUPS[text]
    if not text:
        return _by_last_action(last_action or "")
    shape = split_mlgym(text)
    if shape is not None:
        outcome, trigger = shape
        if outcome == "unknown_error":
            return _by_last_action(trigger)
        if outcome == "autosubmission" and trigger == "wall_time":
            return ("max steps",)
        if outcome in OUTCOMES and trigger in _TRIGGER_GROUPS:
            extra = _TRIGGER_GROUPS[trigger]
            if outcome == "autosubmission":
                return extra or ("other",)
            return ("evaluation", *(g for g in extra if g != "submit" or outcome == "evaluation_format_error"))
    if text in _OURS:
        return _OURS[text]
    low = text.lower()
    for key, group in (("context", "context"), ("cost", "cost"), ("format", "format"), ("api", "API"),
                       ("permission", "permission"), ("max_steps", "max steps"), ("error", "runtime")):
        if key in low:
            return (group,)
    return ("other",)


def exit_groups(
    status: str | None,
    submission_valid: bool | None = None,
    submission_error: str | None = None,
    *,
    source_status: str | None = None,
    last_action: str | None = None,
) -> tuple[str, ...]:
    """The paper's groups of one run.

    ``source_status`` (an imported run's verbatim string) decides when given. Otherwise ``status`` is
    ours: it is written in MLGym's spelling with the outcome of the submission (valid, rejected, none)
    and looked up in the same table, so ``submitted`` is *success* only with a valid submission.
    """
    if source_status is not None:
        return groups_of_mlgym(source_status, last_action)
    text = (status or "").strip()
    if text in _OURS:
        return _OURS[text]
    return groups_of_mlgym(mlgym_from_ours(text, submission_valid, submission_error), last_action)


def exit_group(
    status: str | None,
    submission_valid: bool | None = None,
    submission_error: str | None = None,
    *,
    source_status: str | None = None,
    last_action: str | None = None,
) -> str:
    """The groups of one run as one label (``evaluation + submit``), for one-line displays."""
    return " + ".join(exit_groups(status, submission_valid, submission_error,
                                  source_status=source_status, last_action=last_action))

"""How episodes ended, grouped the way the MLGym paper reports them.

Our :class:`~mlgym_tui.core.exits.ExitStatus` values and MLGym's / SWE-agent's strings (``"submitted"``,
``"autosubmission (max_steps)"``, ``"exit_cost"``, ``"autosubmission (exit_context)"`` …) all map onto
one short list of groups, so runs from either source share one breakdown.
"""

from __future__ import annotations

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
"""Display order. ``other`` holds what fits nowhere else (a person stopped the run, unknown strings)."""

_OURS: dict[str, str] = {
    ExitStatus.CONTEXT: "context",
    ExitStatus.MAX_STEPS: "max steps",
    ExitStatus.WALL_TIME: "max steps",  # a budget ran out and the episode was autosubmitted, like max steps
    ExitStatus.FORMAT: "format",
    ExitStatus.PERMISSION: "permission",
    ExitStatus.COST: "cost",
    ExitStatus.RUNTIME: "runtime",
    ExitStatus.ERROR: "runtime",
    ExitStatus.API: "API",
    ExitStatus.INTERRUPTED: "other",
}

# Keywords of foreign exit strings, checked in this order (the first that occurs wins).
_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("context", "context"),
    ("max_steps", "max steps"),
    ("max steps", "max steps"),
    ("wall_time", "max steps"),
    ("cost", "cost"),
    ("format", "format"),
    ("permission", "permission"),
    ("api", "API"),
    ("eval", "evaluation"),
    ("not_found", "submit"),
    ("no_submission", "submit"),
    ("runtime", "runtime"),
    ("timeout", "runtime"),
    ("early_exit", "runtime"),
    ("error", "runtime"),
    ("interrupt", "other"),
)


def exit_group(status: str | None, submission_valid: bool | None = None, submission_error: str | None = None) -> str:
    """The group of one run.

    ``submitted`` counts as success only with a valid submission: a submission the evaluation rejected
    is ``evaluation`` (the script failed, or the read-only files were changed), and no artefact at all is
    ``submit``. Limits (max steps, cost, context …) are grouped by the limit, whatever the autosubmission
    scored, because the paper counts why an episode ended.
    """
    text = (status or "").strip()
    if text in _OURS:
        return _OURS[text]
    low = text.lower()
    if low in ("submitted", ExitStatus.SUBMITTED) or low == "submit":
        if submission_valid:
            return SUCCESS
        if submission_error and "not found" not in submission_error.lower() and "no submission" not in submission_error.lower():
            return "evaluation"
        return "submit"
    for keyword, group in _KEYWORDS:
        if keyword in low:
            return group
    if "submi" in low:
        return SUCCESS if submission_valid else "submit"
    return "other"

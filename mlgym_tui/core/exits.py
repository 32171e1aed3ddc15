"""How episodes end: exit statuses, and the exceptions agents raise to end one.

Endings are exceptions (as in mini-swe-agent) so one ``try`` in the session loop handles them all; the
status strings are what ``result.json`` and the scoring reports use.
"""

from __future__ import annotations

from enum import StrEnum

from mlgym_tui.core.agent import Usage


class ExitStatus(StrEnum):
    SUBMITTED = "submitted"
    MAX_STEPS = "autosubmission_max_steps"
    WALL_TIME = "autosubmission_wall_time"
    COST = "exit_cost"
    CONTEXT = "exit_context"
    FORMAT = "exit_format"
    API = "exit_api"
    RUNTIME = "exit_runtime"
    PERMISSION = "exit_permission"
    INTERRUPTED = "exit_interrupted"
    ERROR = "exit_error"


class EpisodeEnd(Exception):
    """Raised (by an agent or a limit) to end the episode with ``status``.

    ``usage`` is what the model calls of the step that ended the episode cost (an LLM agent that runs
    out of budget mid-step still spent it); the session adds it to the totals.
    """

    status: ExitStatus = ExitStatus.ERROR

    def __init__(self, message: str = "", status: ExitStatus | None = None, usage: Usage | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status
        self.usage: Usage = usage if usage is not None else Usage()


class CostLimitExceeded(EpisodeEnd):
    status = ExitStatus.COST


class ContextWindowExceeded(EpisodeEnd):
    status = ExitStatus.CONTEXT


class FormatErrorLimit(EpisodeEnd):
    status = ExitStatus.FORMAT


class ModelAPIError(EpisodeEnd):
    status = ExitStatus.API


class UserStopped(EpisodeEnd):
    """A person stopped the episode (TUI stop, Ctrl-C)."""

    status = ExitStatus.INTERRUPTED

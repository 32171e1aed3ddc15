"""What an observation shows beyond its text: the editor window it printed, and whether the step failed.

Two readers of the same observation text, shared by the importer, the workbench and the exports:

- :func:`editor_events` rebuilds the editor's state from an editor tool's answer. MLGym (like SWE-agent
  and our own tools) answers ``open``, ``goto``, ``scroll_*``, ``create``, ``edit`` and ``insert`` with
  the window it shows — ``[File: PATH (N lines total)]``, ``(K more lines above)``, then numbered lines
  ``N:text`` — and a successful ``edit S:E`` / ``insert N`` names the lines it wrote. MLGym records no
  ``file_opened`` / ``file_changed`` events, so the importer synthesises them from these answers.
- :func:`step_outcome` says how a step ended: *known* (the exit code was recorded), *unknown* (it was
  not: MLGym records none, and unknown must never be shown as success), or *failed by content* (no exit
  code, but the text itself shows a failure). The content rule, in order:

  1. a Python traceback line (``Traceback (most recent call last):``) anywhere in the text;
  2. an edit or insertion the tools refused (MLGym's "Your proposed edit has introduced new syntax
     error(s)" / "Your changes have NOT been applied", ours "Your edit was not applied");
  3. an editor tool's usage error (the answer starts with ``Error:``, ``Usage:``, "Malformed edit
     command", "No file open", or "File … not found");
  4. a ``validate`` or ``submit`` whose answer holds no score (no ``Evaluation Score:`` /
     ``Validation result:``): artefact missing, metrics not decodable.

  A timed-out command is a failure whatever its code. Anything else without a code is *unknown*.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from mlgym_tui.core.events import Event, EventKind
from mlgym_tui.core.tools import EDITOR_TOOLS, EVALUATION_TOOLS

EDITOR_NOTE = "file_opened / file_changed synthesized from the editor tools' answers"
"""What an imported header's ``imported.editor`` says."""

_HEADER = re.compile(r"^\[File: (?P<path>.+) \((?P<total>\d+) lines total\)\]\s*$")
_EDIT = re.compile(r"^\s*edit\s+(?P<start>\d+)\s*:\s*(?P<end>\d+)\s*$")
_INSERT = re.compile(r"^\s*insert\s+(?P<after>\d+)\s*$")
_TRACEBACK = "Traceback (most recent call last):"
_REFUSED = (
    "Your proposed edit has introduced",
    "Your proposed insertion has introduced",
    "Your changes have NOT been applied",
    "Your edit was not applied",
)
_TOOL_ERROR = re.compile(r"^(Error:|Usage:|Malformed edit command|No file open|File .+ not found)")
_SCORED = ("Evaluation Score:", "Validation result:", "Submission result:")


@dataclass(frozen=True)
class Window:
    """One editor window as a tool printed it: which lines of which file."""

    path: str
    total: int
    first: int
    last: int


def parse_window(text: str) -> Window | None:
    """The window an editor tool's answer shows, or None when the answer is not a window.

    Only an answer that *starts* with the ``[File: …]`` header is a window: a refused edit prints two
    windows further down (the edit as it would have been, and the original), and neither is the
    editor's state.
    """
    head, _, rest = text.partition("\n")
    m = _HEADER.match(head)
    if m is None:
        return None
    first = last = 0
    for row in rest.split("\n"):
        number, colon, _line = row.partition(":")
        if colon and number.isdigit():
            n = int(number)
            if not last:
                first = last = n
                continue
            if n == last + 1:
                last = n
                continue
        if last:  # the numbered lines ended; rows before them ("(K more lines above)") are skipped
            break
    if not last:  # an empty file (``create``): no numbered lines
        return Window(m["path"], int(m["total"]), 1, 0)
    return Window(m["path"], int(m["total"]), first, last)


def _written_lines(action: str, end_marker: str) -> list[str]:
    body = action.split("\n")[1:]
    if end_marker in [b.strip() for b in body]:
        body = body[: [b.strip() for b in body].index(end_marker)]
    return body


def editor_events(tool: str | None, action: str, observation: str) -> list[tuple[str, dict[str, Any]]]:
    """``file_opened`` (and for a successful edit, insert or create, ``file_changed``) for one step.

    Returns ``(kind, data)`` pairs in the shape our own editor tools publish; empty when the step did
    not show a window (a refused edit, an error, a shell command).
    """
    if tool not in EDITOR_TOOLS:
        return []
    window = parse_window(observation)
    if window is None:
        return []
    events: list[tuple[str, dict[str, Any]]] = [
        ("file_opened", {"path": window.path, "first": window.first, "last": window.last, "total": window.total})
    ]
    first_line = action.split("\n", 1)[0]
    if tool == "edit" and (m := _EDIT.match(first_line)):
        lines = _written_lines(action, "end_of_edit")
        events.append(("file_changed", {"path": window.path, "start": int(m["start"]), "end": int(m["end"]),
                                        "lines": lines}))
    elif tool == "insert" and (m := _INSERT.match(first_line)):
        after = int(m["after"])
        lines = _written_lines(action, "end_of_insert")
        events.append(("file_changed", {"path": window.path, "start": after + 1, "end": after, "lines": lines}))
    elif tool == "create":
        events.append(("file_changed", {"path": window.path, "start": 1, "end": 0, "lines": [], "created": True}))
    return events


def with_editor_events(events: list[Event]) -> list[Event]:
    """``events`` with :func:`editor_events` before each step's observation (for runs imported before
    the importer synthesised them); each synthesised event is marked ``synthesized``."""
    out: list[Event] = []
    actions: dict[int, str] = {}
    for event in events:
        if event.kind is EventKind.ACTION:
            actions[event.step] = str(event.data.get("action") or "")
        elif event.kind is EventKind.OBSERVATION and event.step > 0:
            text = str(event.data.get("text") or "")
            for kind, payload in editor_events(event.data.get("tool"), actions.get(event.step, ""), text):
                out.append(Event(EventKind(kind), event.step, {**payload, "synthesized": True}, event.time))
        out.append(event)
    return out


Outcome = Literal["ok", "failed", "unknown"]


@dataclass(frozen=True)
class StepOutcome:
    """How a step ended; ``known`` says whether the exit code was recorded or inferred from the text."""

    outcome: Outcome
    exit_code: int | None
    reason: str = ""

    @property
    def known(self) -> bool:
        return self.exit_code is not None

    @property
    def failed(self) -> bool:
        return self.outcome == "failed"


def failure_in_text(tool: str | None, text: str) -> str:
    """The content rule of the module docstring: a short reason, or "" when the text shows no failure."""
    if _TRACEBACK in text:
        return "Python traceback"
    if tool in EDITOR_TOOLS or tool in EVALUATION_TOOLS:
        head = text[:4096]
        if any(marker in head for marker in _REFUSED):
            return "edit refused"
        if tool in EDITOR_TOOLS and _TOOL_ERROR.match(head.lstrip()):
            return "tool error"
    if tool in EVALUATION_TOOLS and text.strip() and not any(marker in text for marker in _SCORED):
        if tool == "submit" and text.strip().startswith("Exited"):
            return ""
        return "no score"
    return ""


def step_outcome(data: dict[str, Any]) -> StepOutcome:
    """The outcome of an ``observation`` event's data (see the module docstring)."""
    code = data.get("exit_code")
    code = code if isinstance(code, int) and not isinstance(code, bool) else None
    if data.get("timed_out"):
        return StepOutcome("failed", code, "timed out")
    if code is not None:
        return StepOutcome("ok" if code == 0 else "failed", code)
    reason = failure_in_text(data.get("tool"), str(data.get("text") or ""))
    return StepOutcome("failed", None, reason) if reason else StepOutcome("unknown", None)

"""The shell panel as an asciicast v2 recording (``asciinema play run.cast``).

Line 1 is the header; then one ``[seconds, "o", text]`` event per prompt+command (at the action's time)
and per output chunk (at its own time). Tools (open, edit, validate …) have no live output, so their
observation is printed when they finish. Times are relative to the episode start and never decrease.
"""

from __future__ import annotations

import json

from mlgym_tui.core.events import EventKind
from mlgym_tui.core.formats.grade import grade
from mlgym_tui.core.formats.loaded import LoadedRun

WIDTH = 120
HEIGHT = 36
PROMPT = "\x1b[1;32m$\x1b[0m "


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def export_cast(run: LoadedRun) -> str:
    g = grade(run)
    start = run.started_at or 0.0
    header = {
        "version": 2,
        "width": WIDTH,
        "height": HEIGHT,
        "timestamp": int(start),
        "title": f"{g.task}: {g.agent}" + (f" ({g.model})" if g.model else ""),
        "env": {"SHELL": "/bin/bash", "TERM": "xterm-256color"},
    }
    lines = [json.dumps(header, ensure_ascii=False)]
    last = 0.0
    at_line_start = True
    live: set[int] = set()

    def out(at: float, text: str) -> None:
        nonlocal last, at_line_start
        if not text:
            return
        offset = max(last, round(max(0.0, at - start), 6))
        last = offset
        at_line_start = text.endswith("\n")
        lines.append(json.dumps([offset, "o", text], ensure_ascii=False))

    for e in run.events:
        if e.kind is EventKind.ACTION:
            action = str(e.data.get("action", ""))
            out(e.time, ("" if at_line_start else "\r\n") + PROMPT + _crlf(action) + "\r\n")
        elif e.kind is EventKind.OUTPUT:
            live.add(e.step)
            out(e.time, _crlf(str(e.data.get("text", ""))))
        elif e.kind is EventKind.OBSERVATION and e.step > 0 and e.step not in live and e.data.get("tool"):
            text = str(e.data.get("text", ""))
            if text:
                out(e.time, _crlf(text if text.endswith("\n") else text + "\n"))
        elif e.kind is EventKind.EPISODE_ENDED:
            score = "-" if g.score is None else f"{g.score:.6g}"
            out(e.time, _crlf(f"\n# episode ended: {g.exit_status}; {g.metric} {score}\n"))
    return "\n".join(lines) + "\n"

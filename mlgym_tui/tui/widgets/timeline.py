"""The replay timeline: where in the episode the panels are, where the validations and errors were,
and whether it is playing or following a run that is still being written. Click to jump."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby

from rich.text import Text
from textual import events
from textual.message import Message
from textual.widget import Widget

from mlgym_tui.tui.colors import theme_style


@dataclass
class TimelineState:
    position: int = 0
    last: int = 0
    playing: bool = False
    speed: float = 2.0
    following: bool = False
    finished: bool = True
    validations: set[int] = field(default_factory=set)
    errors: set[int] = field(default_factory=set)
    search: str = ""


class Timeline(Widget):
    """Two lines: the bar, then the position and the keys."""

    class Seek(Message):
        """The person clicked the bar at ``step``."""

        def __init__(self, step: int) -> None:
            super().__init__()
            self.step = step

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.state = TimelineState()

    def update_state(self, **changes: object) -> None:
        for key, value in changes.items():
            setattr(self.state, key, value)
        self.refresh()

    def _bar_width(self) -> int:
        return max(self.size.width - 2, 10)

    def _step_at(self, x: int) -> int:
        width = self._bar_width()
        return round(min(max(x - 1, 0), width - 1) / max(width - 1, 1) * self.state.last)

    def render(self) -> Text:
        s = self.state
        v = self.app.theme_variables
        width = self._bar_width()
        muted, done = theme_style(v, "foreground-muted", "foreground"), theme_style(v, "primary")
        marks = {"◆": theme_style(v, "success", bold=True), "✖": theme_style(v, "error", bold=True),
                 "●": theme_style(v, "accent", bold=True)}

        def cell(step: int) -> int:
            return 0 if s.last <= 0 else round(step / s.last * (width - 1))

        pos = cell(s.position)
        cells = ["━"] * pos + ["─"] * (width - pos)
        for step in s.validations:
            cells[cell(step)] = "◆"
        for step in s.errors:
            cells[cell(step)] = "✖"
        cells[pos] = "●"
        text = Text(" ", no_wrap=True, overflow="ellipsis")
        for ch, run in groupby(cells):  # one span per run of equal cells (a span per cell cost ~5 ms a paint)
            text.append(ch * len(list(run)), style=marks.get(ch) or (done if ch == "━" else muted))
        text.append("\n ")
        state = "▶ playing" if s.playing else "‖ paused"
        text.append(f"step {s.position}/{s.last}", style=theme_style(v, "primary", bold=True))
        text.append(f" · {state} {s.speed:g} steps/s")
        if s.following:
            text.append(" · following live", style=theme_style(v, "success", bold=True))
        elif not s.finished:
            text.append(" · still being written (f follows)", style=theme_style(v, "warning"))
        if s.search:
            text.append(f" · search “{s.search}”")
        text.append("   space play · ←/→ step · v/x next validation/error · / search",
                    style=theme_style(v, "foreground-muted", "foreground"))
        return text

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            self.post_message(self.Seek(self._step_at(event.x)))

"""The status bar: task, agent, model, backend, step N/max, cost/limit, the clock, the exit status, and
the switches a person has flipped (paused, approve mode, a person in control).

The clock is computed, never counted: elapsed = now − start − paused time, where "now" is the app's
clock (frozen in tests) while live and the current event's time in a replay.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.style import Style
from rich.text import Text
from textual.widgets import Static

from mlgym_tui.core.events import Event, EventKind
from mlgym_tui.tui.colors import theme_style


@dataclass
class Segment:
    """One field of the bar: its full and short forms, and how much it is needed (higher stays longer)."""

    priority: int
    full: str
    short: str
    style: Style
    task: bool = False
    flag: bool = False


def _width(segments: list[Segment], short: bool) -> int:
    return sum(len(s.short if short else s.full) + 3 for s in segments) + 1


def clock_text(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


@dataclass
class StatusModel:
    task: str = "—"
    agent: str = "—"
    model: str | None = None
    backend: str = "—"
    max_steps: int | None = None
    cost_limit: float | None = None
    wall_time: float | None = None
    started: float | None = None
    step: int = 0
    cost: float = 0.0
    cost_known: bool = True
    """False in a replay of a source that records cost only at the end (MLGym), until that point."""
    exit_status: str | None = None
    ended_at: float | None = None
    last_time: float | None = None
    paused_total: float = 0.0
    clock_paused_at: float | None = None
    flags: set[str] = field(default_factory=set)

    def apply(self, event: Event) -> None:
        d = event.data
        kind = event.kind
        self.last_time = event.time
        self.step = max(self.step, event.step)
        if kind is EventKind.EPISODE_STARTED:
            self.task = str(d.get("task", "—"))
            self.agent = str(d.get("agent", "—"))
            self.model = d.get("model")  # type: ignore[assignment]
            self.backend = str(d.get("backend", "—"))
            self.max_steps = d.get("max_steps")  # type: ignore[assignment]
            self.cost_limit = d.get("cost_limit")  # type: ignore[assignment]
            self.wall_time = d.get("wall_time")  # type: ignore[assignment]
            self.started = event.time
            self.cost_known = not d.get("imported")
        elif kind is EventKind.MODEL_USAGE:
            self.cost = float(d.get("total_cost", self.cost))
            self.cost_known = True
        elif kind is EventKind.EPISODE_ENDED:
            self.exit_status = str(d.get("exit_status"))
            self.ended_at = event.time
        elif kind is EventKind.INTERVENTION:
            action = d.get("action")
            if action == "clock_paused":
                self.clock_paused_at = event.time
            elif action == "clock_resumed":
                self.paused_total += float(d.get("paused_seconds") or 0.0)  # type: ignore[arg-type]
                self.clock_paused_at = None

    def elapsed(self, now: float) -> float:
        if self.started is None:
            return 0.0
        end = self.ended_at or self.clock_paused_at or now
        return max(end - self.started - self.paused_total, 0.0)


class StatusBar(Static):
    """One line at the bottom of an episode screen."""

    DEFAULT_CLASSES = "status-bar"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.model = StatusModel()
        self.show_remaining = False
        """Human mode: show the time left against the task's wall-time limit."""
        self._shown: tuple[object, ...] | None = None

    def reset(self) -> None:
        flags = self.model.flags
        self.model = StatusModel(flags=flags)

    def apply(self, event: Event) -> None:
        self.model.apply(event)

    def set_flag(self, flag: str, on: bool) -> None:
        (self.model.flags.add if on else self.model.flags.discard)(flag)

    def segments(self, now: float) -> list[Segment]:
        """What the bar can show, each with a short form and a priority (the most needed last to go)."""
        m = self.model
        v = self.app.theme_variables
        cost = (f"${m.cost:.4f}" if m.cost_known else "$ at end") + (f"/${m.cost_limit:g}" if m.cost_limit else "")
        out = [
            Segment(9, f"{m.task}", f"{m.task}", theme_style(v, "primary", bold=True), task=True),
            Segment(2, m.agent + (f" · {m.model}" if m.model else ""), m.agent, Style()),
            Segment(0, m.backend, m.backend, Style()),
            Segment(8, f"step {m.step}/{m.max_steps}" if m.max_steps else f"step {m.step}",
                    f"{m.step}/{m.max_steps}" if m.max_steps else f"#{m.step}", Style()),
            Segment(1 if not m.cost else 5, cost, cost, Style()),
        ]
        elapsed = m.elapsed(now)
        if self.show_remaining and m.wall_time:
            left = m.wall_time - elapsed
            style = theme_style(v, "error" if left < 300 else "foreground", bold=left < 300)
            paused = " (paused)" if m.clock_paused_at is not None and m.exit_status is None else ""
            out.append(Segment(10, f"time left {clock_text(left)}{paused}", f"left {clock_text(left)}{paused and ' ‖'}",
                               style))
        else:
            out.append(Segment(10, f"time {clock_text(elapsed)}", clock_text(elapsed), Style()))
        if m.exit_status:
            good = m.exit_status == "submitted"
            out.append(Segment(7, m.exit_status, m.exit_status, theme_style(v, "success" if good else "warning", bold=True)))
        elif m.started is None:
            out.append(Segment(7, "starting…", "starting…", Style()))
        else:
            out.append(Segment(3, "running", "running", theme_style(v, "success")))
        flag_style = theme_style(v, "background", bold=True) + theme_style(v, "warning", background=True)
        for flag in sorted(m.flags):
            out.append(Segment(6, f" {flag} ", f" {flag} ", flag_style, flag=True))
        return out

    def render_status(self, now: float, width: int | None = None) -> Text:
        """The line; at ``width`` columns labels get short, then the least needed fields go — values are
        never cut (the task name, last, is the only text that may end in an ellipsis)."""
        segments = self.segments(now)
        if width is None:
            width = self.size.width or 10_000
        short = False
        while _width(segments, short) > width:
            if not short:
                short = True
                continue
            droppable = [s for s in segments if not s.task]
            if not droppable:
                break
            segments.remove(min(droppable, key=lambda s: s.priority))
        v = self.app.theme_variables
        sep = (" │ ", theme_style(v, "foreground-muted", "foreground"))
        text = Text(no_wrap=True, overflow="ellipsis")
        for i, seg in enumerate(segments):
            if i and seg.flag:
                text.append(" ")
            elif i:
                text.append(*sep)
            text.append((" " if seg.task else "") + (seg.short if short else seg.full), style=seg.style)
        if text.cell_len > width:
            text.truncate(width, overflow="ellipsis")
        return text

    def on_resize(self) -> None:
        self._shown = None  # the next refresh fits the new width

    def refresh_status(self, now: float) -> None:
        """Repaint only when the line changed (a one-line bar never needs a layout pass)."""
        text = self.render_status(now)
        key = (text.plain, tuple(text.spans))
        if key != self._shown:
            self._shown = key
            self.update(text, layout=False)

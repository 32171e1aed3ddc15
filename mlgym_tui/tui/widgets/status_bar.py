"""The status bar: task, agent, model, backend, step N/max, cost/limit, the clock, the exit status, and
the switches a person has flipped (paused, approve mode, a person in control).

The clock is computed, never counted: elapsed = now − start − paused time, where "now" is the app's
clock (frozen in tests) while live and the current event's time in a replay.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text
from textual.widgets import Static

from mlgym_tui.core.events import Event, EventKind
from mlgym_tui.tui.colors import theme_style


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

    def render_status(self, now: float) -> Text:
        m = self.model
        v = self.app.theme_variables
        sep = (" │ ", theme_style(v, "foreground-muted", "foreground"))
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f" {m.task}", style=theme_style(v, "primary", bold=True))
        text.append(*sep)
        text.append(m.agent + (f" · {m.model}" if m.model else ""))
        text.append(*sep)
        text.append(m.backend)
        text.append(*sep)
        text.append(f"step {m.step}/{m.max_steps}" if m.max_steps else f"step {m.step}")
        text.append(*sep)
        text.append((f"${m.cost:.4f}" if m.cost_known else "$ at end") + (f"/${m.cost_limit:g}" if m.cost_limit else ""))
        text.append(*sep)
        elapsed = m.elapsed(now)
        if self.show_remaining and m.wall_time:
            left = m.wall_time - elapsed
            style = theme_style(v, "error" if left < 300 else "foreground", bold=left < 300)
            text.append(f"time left {clock_text(left)}", style=style)
            if m.clock_paused_at is not None and m.exit_status is None:
                text.append(" (paused)", style=theme_style(v, "warning", bold=True))
        else:
            text.append(f"time {clock_text(elapsed)}")
        text.append(*sep)
        if m.exit_status:
            good = m.exit_status == "submitted"
            text.append(m.exit_status, style=theme_style(v, "success" if good else "warning", bold=True))
        elif m.started is None:
            text.append("starting…")
        else:
            text.append("running", style=theme_style(v, "success"))
        for flag in sorted(m.flags):
            text.append(" ")
            text.append(f" {flag} ", style=theme_style(v, "warning", bold=True) + theme_style(v, "panel", background=True))
        return text

    def refresh_status(self, now: float) -> None:
        """Repaint only when the line changed (a one-line bar never needs a layout pass)."""
        text = self.render_status(now)
        key = (text.plain, tuple(text.spans))
        if key != self._shown:
            self._shown = key
            self.update(text, layout=False)

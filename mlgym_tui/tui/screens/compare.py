"""Compare: two runs of one task side by side — what each thought and ran, and both score curves on one
plot — moved together, aligned by step or by validation.

Each side is a reasoning panel over a shell panel, fed from its own :class:`RecordedRun` exactly as the
replay feeds its panels (a catch-up read of what is shown). Aligned by step, both show step *n* (a run
that ended earlier stays on its last step); aligned by validation, both show their *k*-th validation, so
two agents that validate at different paces are compared attempt by attempt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import get_current_worker
from textual_plotext import PlotextPlot

from mlgym_tui.core.direction import Direction
from mlgym_tui.core.events import Event, EventKind
from mlgym_tui.core.formats.loaded import FormatError
from mlgym_tui.core.trajectory import TrajectoryError
from mlgym_tui.tui.colors import theme_rgb, theme_style
from mlgym_tui.tui.replay_source import RecordedRun
from mlgym_tui.tui.screens.dialogs import MessageScreen
from mlgym_tui.tui.settings import WorkbenchSettings
from mlgym_tui.tui.widgets.key_bar import KeyBar
from mlgym_tui.tui.widgets.reasoning_panel import ReasoningPanel
from mlgym_tui.tui.widgets.shell_panel import ShellPanel

Alignment = Literal["step", "validation"]
SIDES = ("A", "B")


class CompareError(FormatError):
    """The two runs cannot be compared (different tasks)."""


def check_same_task(a: RecordedRun, b: RecordedRun) -> None:
    """Raise :class:`CompareError` unless both runs are of one task."""
    task_a, task_b = a.header.get("task"), b.header.get("task")
    if task_a != task_b:
        raise CompareError(b.path, f"a run of {task_b!r}; compare takes two runs of one task ({a.path} is "
                                   f"of {task_a!r})")


@dataclass
class Curve:
    """One run's scored evaluations: (step, score, final)."""

    points: list[tuple[int, float, bool]] = field(default_factory=list)
    metric: str = "score"
    direction: Direction = Direction.MAX
    baseline: float | None = None

    @classmethod
    def of(cls, run: RecordedRun) -> Curve:
        curve = cls()
        for event in run.evaluations():
            d = event.data
            curve.metric = str(d.get("metric") or curve.metric)
            curve.direction = Direction.of(d.get("direction"), curve.direction)
            if isinstance(d.get("baseline"), int | float):
                curve.baseline = float(d["baseline"])
            if d.get("valid") and isinstance(d.get("score"), int | float):
                curve.points.append((event.step, float(d["score"]), event.kind is EventKind.SUBMISSION))
        return curve

    def best(self, upto: int) -> tuple[int, float] | None:
        sign = 1 if self.direction is Direction.MAX else -1
        seen = [(s, y) for s, y, _f in self.points if s <= upto]
        return max(seen, key=lambda p: sign * p[1]) if seen else None


class CompareSide(Vertical):
    """One run: a title line, its reasoning cards and its shell."""

    def __init__(self, name: str, settings: WorkbenchSettings, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.side = name
        self.settings = settings
        self.run: RecordedRun | None = None
        self.curve = Curve()
        self.step = 0
        self.pending = False

    def compose(self) -> ComposeResult:
        yield Static(id=f"compare-title-{self.side}", classes="compare-title")
        yield ReasoningPanel(keep=self.settings.reasoning_steps, id=f"compare-reasoning-{self.side}")
        yield ShellPanel(max_lines=self.settings.shell_max_lines, id=f"compare-shell-{self.side}")

    @property
    def reasoning(self) -> ReasoningPanel:
        return self.query_one(ReasoningPanel)

    @property
    def shell(self) -> ShellPanel:
        return self.query_one(ShellPanel)

    def show(self, step: int) -> None:
        """The panels as they were after ``step`` (a catch-up read: only what they can show)."""
        assert self.run is not None
        self.step = max(0, min(step, self.run.last_step))
        events: list[Event] = self.run.catch_up(self.step, self.settings.reasoning_steps).events
        for panel in (self.reasoning, self.shell):
            panel.reset()
            for event in events:
                panel.apply(event)
        self.flush()
        self.query_one(".compare-title", Static).update(self.title_text())

    def flush(self) -> None:
        """Paint what the panels hold; a long output continues on the screen's next tick."""
        self.pending = False
        for panel in (self.reasoning, self.shell):
            self.pending = panel.flush() or self.pending

    def title_text(self) -> Text:
        assert self.run is not None
        h = self.run.header
        v = self.app.theme_variables
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f" {self.side} ", style=theme_style(v, "primary" if self.side == "A" else "warning", bold=True))
        model = f" · {h.get('model')}" if h.get("model") else ""
        text.append(f" {h.get('agent', '?')}{model}")
        text.append(f" · step {self.step}/{self.run.last_step}", style=theme_style(v, "primary", bold=True))
        best = self.curve.best(self.step)
        if best is not None:
            text.append(f" · best {best[1]:.4g} @ {best[0]}", style=theme_style(v, "success"))
        if self.step in self.run.errors:
            text.append(" · ✖ failed here", style=theme_style(v, "error", bold=True))
        return text


class CompareScreen(Screen[None]):
    """See the module docstring."""

    BINDINGS = [
        Binding("right", "move(1)", "Next", id="compare.next", priority=True, tooltip="Both runs one step (or validation) on"),
        Binding("left", "move(-1)", "Previous", id="compare.previous", priority=True),
        Binding("pagedown,shift+right", "move(10)", "+10", id="compare.forward10", priority=True, show=False),
        Binding("pageup,shift+left", "move(-10)", "−10", id="compare.back10", priority=True, show=False),
        Binding("home", "jump(0)", "Start", id="compare.start", priority=True, show=False),
        Binding("end", "jump(-1)", "End", id="compare.end", priority=True, show=False),
        Binding("a", "toggle_alignment", "Align by step/validation", id="compare.align",
                tooltip="Align the runs step by step, or validation by validation"),
        Binding("escape", "back", "Back", id="compare.back"),
    ]

    def __init__(self, settings: WorkbenchSettings, first: Path, second: Path, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.settings = settings
        self.paths = (Path(first), Path(second))
        self.alignment: Alignment = "step"
        self.position = 0
        self.loaded = False

    def compose(self) -> ComposeResult:
        with Horizontal(id="compare-sides"):
            yield CompareSide("A", self.settings, id="compare-A", classes="compare-side")
            yield CompareSide("B", self.settings, id="compare-B", classes="compare-side")
        yield PlotextPlot(id="compare-plot")
        yield Static(id="compare-status", classes="status-bar")
        yield KeyBar()

    @property
    def sides(self) -> tuple[CompareSide, CompareSide]:
        return self.query_one("#compare-A", CompareSide), self.query_one("#compare-B", CompareSide)

    def on_mount(self) -> None:
        self._open()
        self.set_interval(self.settings.drain_interval, self._paint)

    def _paint(self) -> None:
        for side in self.sides:
            if side.pending:
                side.flush()

    @work(thread=True, exclusive=True, group="compare-read", exit_on_error=False)
    def _open(self) -> None:
        try:
            runs = (RecordedRun(self.paths[0]), RecordedRun(self.paths[1]))
            check_same_task(*runs)
            curves = (Curve.of(runs[0]), Curve.of(runs[1]))
        except (OSError, TrajectoryError, FormatError) as exc:
            self.app.call_from_thread(self.app.push_screen, MessageScreen("Cannot compare", str(exc)))
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._opened, runs, curves)

    def _opened(self, runs: tuple[RecordedRun, RecordedRun], curves: tuple[Curve, Curve]) -> None:
        for side, run, curve in zip(self.sides, runs, curves, strict=True):
            side.run, side.curve = run, curve
        self.loaded = True
        self.seek(0)

    # -- positions -------------------------------------------------------------------------------
    def _validation_steps(self, side: CompareSide) -> list[int]:
        assert side.run is not None
        return sorted(side.run.validations)

    @property
    def last(self) -> int:
        """The last position: the longer run's last step, or its number of validations."""
        if self.alignment == "step":
            return max(s.run.last_step for s in self.sides if s.run)
        return max(len(self._validation_steps(s)) for s in self.sides)

    def step_of(self, side: CompareSide, position: int) -> int:
        """Where ``side`` stands at ``position``: the same step, or its ``position``-th validation."""
        assert side.run is not None
        if self.alignment == "step":
            return min(position, side.run.last_step)
        steps = self._validation_steps(side)
        if position == 0 or not steps:
            return 0
        return steps[min(position, len(steps)) - 1]

    def seek(self, position: int) -> None:
        if not self.loaded:
            return
        self.position = max(0, min(position, self.last))
        for side in self.sides:
            side.show(self.step_of(side, self.position))
        self._plot()
        self.query_one("#compare-status", Static).update(self.status_text())

    def status_text(self) -> Text:
        v = self.app.theme_variables
        a, b = self.sides
        text = Text(no_wrap=True, overflow="ellipsis")
        if self.alignment == "step":
            text.append(f" step {self.position}/{self.last}", style=theme_style(v, "primary", bold=True))
        else:
            text.append(f" validation {self.position}/{self.last}", style=theme_style(v, "primary", bold=True))
            text.append(f" (A at step {a.step}, B at step {b.step})")
        text.append(f" · aligned by {self.alignment} (a switches) · ←/→ move both · home/end",
                    style=theme_style(v, "foreground-muted", "foreground"))
        return text

    def _plot(self) -> None:
        plot = self.query_one("#compare-plot", PlotextPlot)
        v = self.app.theme_variables
        plt = plot.plt
        plt.clear_figure()
        a, b = self.sides
        curve = a.curve
        arrow = curve.direction.arrow
        plt.title(f"{curve.metric} {arrow} per validation: A and B")
        colours = {"A": theme_rgb(v, "primary"), "B": theme_rgb(v, "warning")}
        values: list[float] = []
        for side in (a, b):
            points = side.curve.points
            if points:
                xs = [s for s, _y, _f in points]
                ys = [y for _s, y, _f in points]
                values += ys
                plt.plot(xs, ys, marker="braille", color=colours[side.side], label=side.side)
                plt.scatter(xs, ys, marker="●", color=colours[side.side])
            plt.vline(side.step, color=colours[side.side])
        if curve.baseline is not None:
            values.append(curve.baseline)
            plt.hline(curve.baseline, color=theme_rgb(v, "baseline-line", "accent"))
        if values:
            lo, hi = min(values), max(values)
            pad = (hi - lo) * 0.1 or abs(hi) * 0.05 or 1.0
            plt.ylim(lo - pad, hi + pad)
        plt.xlim(0, max(max(s.run.last_step for s in self.sides if s.run), 1))
        plt.xlabel("step")
        plot.refresh()

    # -- actions ---------------------------------------------------------------------------------
    def action_move(self, delta: int) -> None:
        self.seek(self.position + delta)

    def action_jump(self, position: int) -> None:
        self.seek(self.last if position < 0 else position)

    def action_toggle_alignment(self) -> None:
        """Switch alignment, keeping the runs near where they were."""
        a = self.sides[0]
        here = a.step
        self.alignment = "validation" if self.alignment == "step" else "step"
        if self.alignment == "step":
            self.seek(here)
        else:
            steps = self._validation_steps(a)
            self.seek(sum(1 for s in steps if s <= here))

    def action_back(self) -> None:
        self.app.pop_screen()

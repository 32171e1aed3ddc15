"""The Metrics panel: every validation over steps against the baseline, the best so far, steps and budget
left, and the model's cost and tokens over time (plotext plots in the theme's colours).

Direction-aware: for a lower-is-better metric "best" means lowest, the best-so-far line steps down, and
the summary says which way is better, so the plot reads correctly for every task.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text
from textual.widgets import Static
from textual_plotext import PlotextPlot

from mlgym_tui.core.direction import Direction
from mlgym_tui.core.events import Event, EventKind
from mlgym_tui.tui.colors import theme_rgb, theme_style
from mlgym_tui.tui.widgets.panel import Panel


@dataclass
class Evaluated:
    step: int
    score: float | None
    valid: bool
    final: bool = False


@dataclass
class MetricsModel:
    """Numbers the panel shows, accumulated from events."""

    metric: str = "score"
    direction: Direction = Direction.MAX
    baseline: float | None = None
    max_steps: int | None = None
    cost_limit: float | None = None
    step: int = 0
    evaluations: list[Evaluated] = field(default_factory=list)
    usage: list[tuple[int, float, int]] = field(default_factory=list)
    """(step, total cost, total tokens) after each model call."""
    cost_at_end: bool = False
    """The source records cost and tokens only for the whole run (MLGym): say so until the last step."""

    def better(self, a: float, b: float | None) -> bool:
        return self.direction.better(a, b)

    @property
    def best(self) -> Evaluated | None:
        best: Evaluated | None = None
        for e in self.evaluations:
            if e.valid and e.score is not None and self.better(e.score, best.score if best else None):
                best = e
        return best

    @property
    def submission(self) -> Evaluated | None:
        return next((e for e in reversed(self.evaluations) if e.final), None)

    def gain(self, score: float) -> float | None:
        """Signed gain over the baseline, positive is better whatever the direction."""
        if self.baseline is None:
            return None
        return self.direction.improvement(score, self.baseline)

    def apply(self, event: Event) -> bool:
        """Update from one event; True when the plots need redrawing."""
        d = event.data
        kind = event.kind
        self.step = max(self.step, event.step)
        if kind is EventKind.EPISODE_STARTED:
            self.metric = str(d.get("metric") or self.metric)
            self.direction = Direction.of(d.get("direction"), self.direction)
            self.baseline = d.get("baseline")  # type: ignore[assignment]
            self.max_steps = d.get("max_steps")  # type: ignore[assignment]
            self.cost_limit = d.get("cost_limit")  # type: ignore[assignment]
            self.cost_at_end = bool(d.get("imported"))
            return True
        if kind in (EventKind.VALIDATION, EventKind.SUBMISSION):
            score = d.get("score")
            self.evaluations.append(
                Evaluated(
                    event.step,
                    float(score) if isinstance(score, int | float) else None,
                    bool(d.get("valid")),
                    kind is EventKind.SUBMISSION,
                )
            )
            return True
        if kind is EventKind.MODEL_USAGE:
            tokens = int(d.get("total_tokens_in", 0)) + int(d.get("total_tokens_out", 0))
            self.usage.append((event.step, float(d.get("total_cost", 0.0)), tokens))
            return True
        return kind in (EventKind.ACTION, EventKind.EPISODE_ENDED)


def step_points(xs: list[int], ys: list[float], x_end: int) -> tuple[list[float], list[float]]:
    """The best-so-far line as the step function it is: flat until the next improvement, then straight
    up (or down), and flat to ``x_end`` — never a diagonal between two validations."""
    out_x: list[float] = []
    out_y: list[float] = []
    for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
        if i:
            out_x.append(x)
            out_y.append(ys[i - 1])
        out_x.append(x)
        out_y.append(y)
    if out_x and x_end > out_x[-1]:
        out_x.append(x_end)
        out_y.append(out_y[-1])
    return out_x, out_y


class MetricsPanel(Panel):
    """See the module docstring."""

    TITLE = "Metrics"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.model = MetricsModel()
        self._dirty = False

    def compose(self):  # noqa: ANN201
        yield Static(id="metrics-summary")
        yield PlotextPlot(id="score-plot")
        yield PlotextPlot(id="usage-plot")

    def on_mount(self) -> None:
        super().on_mount()
        self.app.theme_changed_signal.subscribe(self, lambda _t: self._redraw())

    def _redraw(self) -> None:
        self._dirty = True
        self.flush()

    def reset(self) -> None:
        self.model = MetricsModel()
        self._dirty = True

    def apply(self, event: Event) -> None:
        if self.model.apply(event):
            self._dirty = True

    # -- rendering -----------------------------------------------------------------------------
    def summary(self) -> Text:
        m = self.model
        v = self.app.theme_variables
        way = f"{m.direction.word} is better"
        text = Text()
        text.append(f"{m.metric}", style=theme_style(v, "primary", bold=True))
        text.append(f" · {way}")
        if m.baseline is not None:
            text.append(f" · baseline {m.baseline:.4g}", style=theme_style(v, "baseline-line", "accent"))
        text.append("\n")
        best = m.best
        if best is None or best.score is None:
            text.append("best: no valid validation yet", style=theme_style(v, "foreground-muted", "foreground"))
        else:
            gain = m.gain(best.score)
            good = gain is None or gain >= 0
            text.append(f"best {best.score:.4g} @ step {best.step}", style=theme_style(v, "success" if good else "error", bold=True))
            if gain is not None:
                text.append(f" ({gain:+.4g} vs baseline)")
        sub = m.submission
        if sub is not None:
            shown = f"{sub.score:.4g}" if sub.valid and sub.score is not None else "invalid"
            text.append(f" · submitted {shown}", style=theme_style(v, "accent", bold=True))
        text.append("\n")
        if m.max_steps:
            text.append(f"step {m.step}/{m.max_steps} ({max(m.max_steps - m.step, 0)} left)")
        else:
            text.append(f"step {m.step}")
        if m.usage:
            _s, cost, tokens = m.usage[-1]
            limit = f" / ${m.cost_limit:g}" if m.cost_limit else ""
            text.append(f" · ${cost:.4f}{limit} · {tokens:,} tokens")
        elif m.cost_at_end:
            text.append(" · cost known at the end (not recorded per step)",
                        style=theme_style(v, "foreground-muted", "foreground"))
        else:
            text.append(" · no model calls")
        return text

    def _plot_scores(self, plot: PlotextPlot) -> None:
        m = self.model
        v = self.app.theme_variables
        plt = plot.plt
        plt.clear_figure()
        arrow = m.direction.arrow
        plt.title(f"{m.metric} {arrow} per validation")
        valid = [e for e in m.evaluations if e.valid and e.score is not None]
        x_hi = self._last_step()
        if m.baseline is not None:
            plt.hline(m.baseline, color=theme_rgb(v, "baseline-line", "accent"))
        if valid:
            xs = [e.step for e in valid]
            ys = [float(e.score) for e in valid]  # type: ignore[arg-type]
            best_ys: list[float] = []
            for y in ys:
                best_ys.append(y if not best_ys or m.better(y, best_ys[-1]) else best_ys[-1])
            step_xs, step_ys = step_points(xs, best_ys, x_hi)
            plt.plot(step_xs, step_ys, marker="braille", color=theme_rgb(v, "success"), label="best so far")
            plt.scatter(xs, ys, marker="●", color=theme_rgb(v, "primary"), label="validation")
            lo = min([*ys, *([m.baseline] if m.baseline is not None else [])])
            hi = max([*ys, *([m.baseline] if m.baseline is not None else [])])
            pad = (hi - lo) * 0.1 or abs(hi) * 0.05 or 1.0
            plt.ylim(lo - pad, hi + pad)
        elif m.baseline is not None:
            pad = abs(m.baseline) * 0.05 or 1.0
            plt.ylim(m.baseline - pad, m.baseline + pad)
        plt.xlim(0, x_hi)
        plt.xlabel("step")
        plot.refresh()

    def _last_step(self) -> int:
        """The right end of both charts: the last step seen (so the two x axes line up)."""
        m = self.model
        return max([m.step, *[e.step for e in m.evaluations], *[s for s, _c, _t in m.usage], 1])

    def _plot_usage(self, plot: PlotextPlot) -> None:
        m = self.model
        v = self.app.theme_variables
        plt = plot.plt
        plt.clear_figure()
        plot.display = bool(m.usage)
        if not m.usage:
            return
        xs = [s for s, _c, _t in m.usage]
        if any(c for _s, c, _t in m.usage):
            plt.title("cost ($) over steps")
            plt.plot(xs, [c for _s, c, _t in m.usage], marker="braille", color=theme_rgb(v, "warning"))
            if m.cost_limit:
                plt.hline(m.cost_limit, color=theme_rgb(v, "error"))
        else:
            plt.title("tokens over steps")
            plt.plot(xs, [t for _s, _c, t in m.usage], marker="braille", color=theme_rgb(v, "secondary"))
        plt.xlim(0, self._last_step())
        plot.refresh()

    def flush(self) -> bool:
        if not self._dirty or not self.is_mounted:
            return False
        self._dirty = False
        self.query_one("#metrics-summary", Static).update(self.summary())
        self._plot_scores(self.query_one("#score-plot", PlotextPlot))
        self._plot_usage(self.query_one("#usage-plot", PlotextPlot))
        return False

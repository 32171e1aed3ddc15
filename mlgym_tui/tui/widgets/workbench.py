"""The panels side by side, in a layout that follows the terminal's size (or the person's choice).

The workbench is where events enter a screen: :meth:`Workbench.feed` applies a batch to every panel's
model and then repaints each panel once. Live episodes, human attempts and replays all call it; the
panels never know which one they are showing.

:data:`PANELS` is the one list of panels: the grid's size, the number keys (:func:`panel_bindings`) and the
palette entries (:func:`panel_commands`) are derived from it, so a panel added there is laid out, keyed and
listed everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from textual.binding import Binding
from textual.containers import Container
from textual.message import Message

from mlgym_tui.core.events import Event
from mlgym_tui.tui.widgets.editor_panel import EditorPanel
from mlgym_tui.tui.widgets.metrics_panel import MetricsPanel
from mlgym_tui.tui.widgets.panel import Panel
from mlgym_tui.tui.widgets.reasoning_panel import ReasoningPanel
from mlgym_tui.tui.widgets.shell_panel import ShellPanel

Layout = Literal["auto", "columns", "grid", "single"]
LAYOUTS: list[Layout] = ["auto", "columns", "grid", "single"]
WIDE = 200
"""Columns from which "auto" puts all four panels side by side."""
NARROW = 90
"""Below this many columns (or 20 rows) "auto" shows one panel at a time."""


@dataclass(frozen=True)
class PanelSpec:
    """One panel of the workbench."""

    name: str
    """Short name: the widget id is ``<name>-panel``, key bindings are ``<screen>.panel_<name>``."""
    title: str
    make: Callable[[Workbench], Panel]
    """Builds the panel (a screen may pass its own instead, e.g. the human mode's editable editor)."""


PANELS: tuple[PanelSpec, ...] = (
    PanelSpec("shell", "Shell", lambda wb: ShellPanel(max_lines=wb.shell_max_lines, id="shell-panel")),
    PanelSpec("reasoning", "Reasoning", lambda wb: ReasoningPanel(keep=wb.reasoning_steps, id="reasoning-panel")),
    PanelSpec("editor", "Editor", lambda wb: EditorPanel(id="editor-panel")),
    PanelSpec("metrics", "Metrics", lambda wb: MetricsPanel(id="metrics-panel")),
)
"""The panels, in order: number key ``i + 1`` shows ``PANELS[i]``."""


def panel_bindings(screen: str, panels: tuple[PanelSpec, ...] = PANELS) -> list[Binding]:
    """Number keys 1…9 showing each panel, with ids ``<screen>.panel_<name>`` (remappable in settings)."""
    return [
        Binding(str(i + 1), f"show_panel({i})", spec.title, id=f"{screen}.panel_{spec.name}", show=False)
        for i, spec in enumerate(panels[:9])
    ]


def panel_commands(show: Callable[[int], Any], panels: tuple[PanelSpec, ...] = PANELS) -> list[tuple[str, str, Callable[[], Any]]]:
    """Command-palette entries ``Panel: <title>`` calling ``show(index)``."""
    return [
        (f"Panel: {spec.title}", f"show and focus the {spec.title.lower()} panel", lambda i=i: show(i))
        for i, spec in enumerate(panels)
    ]


def grid_shape(layout: str, count: int) -> tuple[int, int]:
    """(columns, rows) of ``layout`` for ``count`` panels: every panel gets a cell."""
    if layout == "single":
        return 1, 1
    if layout == "columns":
        return count, 1
    columns = max(1, math.ceil(math.sqrt(count)))
    return columns, math.ceil(count / columns)


class Workbench(Container):
    """The panels of :data:`PANELS` (Shell, Reasoning, Editor, Metrics); see the module docstring."""

    class LayoutChanged(Message):
        """The effective layout changed (the status bar and help mention it)."""

        def __init__(self, layout: str) -> None:
            super().__init__()
            self.layout = layout

    def __init__(self, *, shell_max_lines: int = 10_000, reasoning_steps: int = 30,
                 editor: EditorPanel | None = None, specs: tuple[PanelSpec, ...] = PANELS,
                 **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.shell_max_lines = shell_max_lines
        self.reasoning_steps = reasoning_steps
        given: dict[str, Panel] = {"editor": editor} if editor is not None else {}
        self.specs = specs
        self.by_name: dict[str, Panel] = {s.name: given.get(s.name) or s.make(self) for s in specs}
        self.layout_choice: Layout = "auto"
        self.current = 0
        self.events_applied = 0
        self._effective = ""

    @property
    def panels(self) -> list[Panel]:
        return list(self.by_name.values())

    @property
    def shell(self) -> ShellPanel:
        return self.by_name["shell"]  # type: ignore[return-value]

    @property
    def reasoning(self) -> ReasoningPanel:
        return self.by_name["reasoning"]  # type: ignore[return-value]

    @property
    def editor(self) -> EditorPanel:
        return self.by_name["editor"]  # type: ignore[return-value]

    @property
    def metrics(self) -> MetricsPanel:
        return self.by_name["metrics"]  # type: ignore[return-value]

    def compose(self):  # noqa: ANN201
        # The layout's classes before the first styling, from the terminal's size (the workbench is as
        # wide as it and a few rows shorter): set after mounting, they restyled every panel's widgets
        # once more, a good part of a replay's first render.
        width, height = self.app.size
        self._relayout(self.effective_layout((width, height - 4)), update=False)
        yield from self.panels

    def on_mount(self) -> None:
        if self.size.area:  # before the first layout the size is 0×0: compose chose from the terminal's
            self._relayout()

    def on_resize(self) -> None:
        self._relayout()

    # -- events --------------------------------------------------------------------------------
    def reset(self) -> None:
        for panel in self.panels:
            panel.reset()
        self.events_applied = 0

    def feed(self, events: Iterable[Event]) -> bool:
        """Apply a batch and repaint; True when a panel still has work for the next tick."""
        self.apply(events)
        return self.flush()

    def apply(self, events: Iterable[Event]) -> None:
        """Apply a batch to the panels' models only: before the workbench is mounted (a replay that
        opens at once) the panels then compose with what they hold."""
        panels = self.panels
        n = 0
        for event in events:
            for panel in panels:
                panel.apply(event)
            n += 1
        self.events_applied += n

    def flush(self) -> bool:
        more = False
        for panel in self.panels:
            more = panel.flush() or more
        return more

    # -- layout --------------------------------------------------------------------------------
    def effective_layout(self, size: tuple[int, int] | None = None) -> str:
        if self.layout_choice != "auto":
            return self.layout_choice
        width, height = size if size is not None else self.size
        if width >= WIDE:
            return "columns"
        if width < NARROW or height < 20:
            return "single"
        return "grid"

    def _relayout(self, layout: str | None = None, *, update: bool = True) -> None:
        layout = layout or self.effective_layout()
        for name in ("columns", "grid", "single"):
            self.set_class(layout == name, f"-{name}", update=update)
        columns, rows = grid_shape(layout, len(self.panels))
        self.styles.grid_size_columns, self.styles.grid_size_rows = columns, rows
        self.styles.grid_columns = " ".join(["1fr"] * columns)
        self.styles.grid_rows = " ".join(["1fr"] * rows)
        for i, panel in enumerate(self.panels):
            panel.set_class(layout == "single" and i != self.current, "-hidden", update=update)
            panel.set_hint(f"{i + 1}/{len(self.panels)} · f4 next" if layout == "single" else "")
        if layout != self._effective:
            self._effective = layout
            self.post_message(self.LayoutChanged(layout))

    def cycle_layout(self) -> str:
        self.layout_choice = LAYOUTS[(LAYOUTS.index(self.layout_choice) + 1) % len(LAYOUTS)]
        self._relayout()
        return self.layout_choice

    def show_panel(self, index: int) -> Panel:
        """Bring panel ``index`` forward (the only one shown in the single layout) and focus it."""
        self.current = index % len(self.panels)
        self._relayout()
        panel = self.panels[self.current]
        focusable = [w for w in panel.query("*") if w.focusable]
        if focusable:
            focusable[0].focus()
        elif self.screen.focused is not None:
            self.screen.set_focus(None)  # the focus must not stay in another panel (zoom follows it)
        return panel

"""The four panels side by side, in a layout that follows the terminal's size (or the person's choice).

The workbench is where events enter a screen: :meth:`Workbench.feed` applies a batch to every panel's
model and then repaints each panel once. Live episodes, human attempts and replays all call it; the
panels never know which one they are showing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

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


class Workbench(Container):
    """Shell, Reasoning, Editor and Metrics; see the module docstring."""

    class LayoutChanged(Message):
        """The effective layout changed (the status bar and help mention it)."""

        def __init__(self, layout: str) -> None:
            super().__init__()
            self.layout = layout

    def __init__(self, *, shell_max_lines: int = 10_000, reasoning_steps: int = 30,
                 editor: EditorPanel | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.shell = ShellPanel(max_lines=shell_max_lines, id="shell-panel")
        self.reasoning = ReasoningPanel(keep=reasoning_steps, id="reasoning-panel")
        self.editor = editor or EditorPanel(id="editor-panel")
        self.metrics = MetricsPanel(id="metrics-panel")
        self.layout_choice: Layout = "auto"
        self.current = 0
        self.events_applied = 0
        self._effective = ""

    @property
    def panels(self) -> list[Panel]:
        return [self.shell, self.reasoning, self.editor, self.metrics]

    def compose(self):  # noqa: ANN201
        yield from self.panels

    def on_mount(self) -> None:
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
        panels = self.panels
        n = 0
        for event in events:
            for panel in panels:
                panel.apply(event)
            n += 1
        self.events_applied += n
        return self.flush()

    def flush(self) -> bool:
        more = False
        for panel in self.panels:
            more = panel.flush() or more
        return more

    # -- layout --------------------------------------------------------------------------------
    def effective_layout(self) -> str:
        if self.layout_choice != "auto":
            return self.layout_choice
        width, height = self.size
        if width >= WIDE:
            return "columns"
        if width < NARROW or height < 20:
            return "single"
        return "grid"

    def _relayout(self) -> None:
        layout = self.effective_layout()
        for name in ("columns", "grid", "single"):
            self.set_class(layout == name, f"-{name}")
        for i, panel in enumerate(self.panels):
            panel.set_class(layout == "single" and i != self.current, "-hidden")
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
        return panel

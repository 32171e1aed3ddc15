"""What the watch, human and replay screens share: the workbench, the status bar, layout and zoom keys,
and the drain loop that moves events from a feed into the panels.

The drain runs on a short timer (``drain_interval``, ~20 ms) and hands the panels everything that
arrived as one batch; panels that have more to paint (a flood of output) continue on the next tick, so
key presses are handled between ticks however fast a command prints.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen

from mlgym_tui.core.events import Event, EventKind
from mlgym_tui.tui.feed import EventFeed
from mlgym_tui.tui.settings import WorkbenchSettings
from mlgym_tui.tui.widgets.key_bar import KeyBar
from mlgym_tui.tui.widgets.status_bar import StatusBar
from mlgym_tui.tui.widgets.workbench import Workbench, panel_commands

PaletteCommand = tuple[str, str, Callable[[], object]]
"""(title "Group: Verb", help text, callback) — what a screen offers the command palette."""


class EpisodeScreen(Screen[None]):
    """Base class; subclasses add their controls and a source of events."""

    BINDINGS = [
        Binding("f2", "cycle_layout", "Layout", id="episode.layout", tooltip="Cycle auto / columns / grid / single"),
        Binding("f3", "zoom", "Zoom", id="episode.zoom", show=False, tooltip="Maximise the focused panel, or restore"),
        Binding("f4", "next_panel", "Panel", id="episode.next_panel", show=False, tooltip="Focus the next panel"),
    ]

    def __init__(self, settings: WorkbenchSettings, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.settings = settings
        self.feed: EventFeed | None = None
        self.events: list[Event] = []
        """Every event seen (the screen's own record; a replay seeks in it)."""
        self.keep_output = True
        """Keep ``output`` events too (replays seek in them; live screens leave them to the trajectory)."""
        self._more = False

    # -- layout --------------------------------------------------------------------------------
    def compose_workbench(self) -> Workbench:
        return Workbench(
            shell_max_lines=self.settings.shell_max_lines,
            reasoning_steps=self.settings.reasoning_steps,
            id="workbench",
        )

    def compose(self) -> ComposeResult:
        yield self.compose_workbench()
        yield from self.compose_controls()
        yield StatusBar(id="status-bar")
        yield KeyBar()

    def compose_controls(self) -> ComposeResult:
        """Widgets between the workbench and the status bar (approval bar, shell input, timeline)."""
        yield from ()

    @property
    def workbench(self) -> Workbench:
        return self.query_one("#workbench", Workbench)

    @property
    def status_bar(self) -> StatusBar:
        return self.query_one("#status-bar", StatusBar)

    def _on_resize(self, event: events.Resize) -> None:
        """Textual sends a screen a Resize after its first layout, at the size it was just laid out for,
        and lays everything out again (and the screens below it): a sixth of a replay's first render.
        A Resize to the size already laid out stops here; a real one goes on to Textual's handler (the
        base classes' ``_on_resize`` run after this one unless the default is prevented)."""
        if event.size == self._compositor.size and self.is_attached:
            event.prevent_default()
            event.stop()

    def on_mount(self) -> None:
        self.status_bar.refresh_status(self.now())
        self.set_interval(1.0, self._tick_clock)
        if self.feed is not None:
            self.set_interval(self.settings.drain_interval, self.drain)

    def now(self) -> float:
        return self.settings.now()

    def _tick_clock(self) -> None:
        self.status_bar.refresh_status(self.now())

    # -- events --------------------------------------------------------------------------------
    def drain(self) -> None:
        """Move what the feed holds into the panels (timer callback)."""
        assert self.feed is not None
        events = self.feed.drain()
        if not events and not self._more:
            return
        self.show_events(events)

    def show_events(self, events: list[Event]) -> None:
        if self.keep_output:
            self.events.extend(events)
        else:
            self.events.extend(e for e in events if e.kind is not EventKind.OUTPUT)
        status = self.status_bar
        for event in events:
            status.apply(event)
        self._more = self.workbench.feed(events)
        if any(e.kind is not EventKind.OUTPUT for e in events):
            self.on_events(events)
            status.refresh_status(self.now())

    def on_events(self, events: list[Event]) -> None:
        """Hook for subclasses: react to a batch after the panels have it (approval requests, the end)."""

    # -- actions -------------------------------------------------------------------------------
    def action_cycle_layout(self) -> None:
        layout = self.workbench.cycle_layout()
        self.notify(f"Layout: {layout}", timeout=1.5)

    def action_zoom(self) -> None:
        if self.maximized is not None:
            self.minimize()
            return
        panel = self._focused_panel() or self.workbench.panels[self.workbench.current]
        self.maximize(panel, container=False)

    def action_next_panel(self) -> None:
        current = self._focused_panel()
        panels = self.workbench.panels
        index = panels.index(current) + 1 if current in panels else self.workbench.current + 1
        self.workbench.show_panel(index)

    def action_show_panel(self, index: int) -> None:
        self.workbench.show_panel(index)

    def _focused_panel(self):  # noqa: ANN202
        node = self.focused
        while node is not None and node not in self.workbench.panels:
            node = node.parent  # type: ignore[assignment]
        return node

    @on(Workbench.LayoutChanged)
    def _layout_changed(self) -> None:
        self.status_bar.refresh_status(self.now())

    def palette_commands(self) -> list[PaletteCommand]:
        return [
            ("Layout: Cycle", "auto / columns / grid / single", self.action_cycle_layout),
            ("Layout: Zoom focused panel", "maximise the panel with the focus, or restore", self.action_zoom),
            *panel_commands(self.action_show_panel, self.workbench.specs),
        ]

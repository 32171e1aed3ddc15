"""Scoreboard (placeholder until core scoring lands)."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from mlgym_tui.tui.settings import WorkbenchSettings


class ScoreboardScreen(Screen[None]):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="scoreboard.back")]

    def __init__(self, settings: WorkbenchSettings, folder: Path) -> None:
        super().__init__()
        self.settings = settings
        self.folder = folder

    def compose(self) -> ComposeResult:
        yield Static(f"Scoreboard of {self.folder}", id="scoreboard-body")
        yield Footer()

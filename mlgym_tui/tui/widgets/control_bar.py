"""The line above the status bar that says what the episode is waiting for and which keys answer it:
a proposal awaiting approval, a pause, a person in control."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from mlgym_tui.tui.colors import theme_style


class ControlBar(Static):
    """Hidden when nothing waits; see the module docstring."""

    DEFAULT_CLASSES = "control-bar"

    def show_state(self, *, awaiting: str | None, paused: bool, human: bool, ended: bool) -> None:
        v = self.app.theme_variables
        text = Text(no_wrap=True, overflow="ellipsis")
        if ended:
            self.display = False
            return
        if human:
            text.append(" YOU ARE IN CONTROL ", style=theme_style(v, "warning", bold=True))
            text.append("  type commands below · ctrl+t hands control back to the agent")
        elif awaiting is not None:
            first = awaiting.strip().splitlines()[0] if awaiting.strip() else ""
            more = f" (+{len(awaiting.strip().splitlines()) - 1} lines)" if "\n" in awaiting.strip() else ""
            text.append(" PROPOSED ", style=theme_style(v, "warning", bold=True))
            text.append(" " + first[:200] + more, style=theme_style(v, "primary", bold=True))
            text.append("   y approve · e edit · r reject")
        elif paused:
            text.append(" PAUSED ", style=theme_style(v, "warning", bold=True))
            text.append("  the next action waits · space resumes · n runs one step")
        else:
            self.display = False
            return
        self.display = True
        self.update(text)

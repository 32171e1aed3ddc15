"""The lines above the status bar that say what the episode is waiting for and which keys answer it: a
proposal awaiting approval (shown whole: a person approves what they can read), a pause, a person in
control, a model call in flight."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.style import Style
from rich.syntax import Syntax
from rich.text import Text
from textual.widgets import Static

from mlgym_tui.tui.colors import theme_style
from mlgym_tui.tui.widgets.editor_panel import syntax_theme

SHOWN_LINES = 12
"""Lines of a proposal shown in the bar; a longer one says how many more and that ``e`` shows all."""
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


def badge(variables: dict[str, str], label: str) -> tuple[str, Style]:
    """A label drawn in the background colour on the warning colour: readable in every theme."""
    style = theme_style(variables, "background", bold=True) + theme_style(variables, "warning", background=True)
    return f" {label} ", style


def proposal_view(variables: dict[str, str], action: str, keys: str) -> RenderableType:
    """The proposed action, body included (an ``edit``'s new lines), with the keys that decide it."""
    lines = action.rstrip().splitlines() or [""]
    head = Text(no_wrap=True, overflow="ellipsis")
    head.append(*badge(variables, "PROPOSED"))
    head.append(f"  {keys}")
    if len(lines) > 1:
        head.append(f"  ({len(lines)} lines)", style=theme_style(variables, "foreground-muted", "foreground"))
    shown = "\n".join(lines[:SHOWN_LINES])
    body = Syntax(shown, "bash", theme=syntax_theme(variables), word_wrap=True, line_numbers=len(lines) > 1)
    parts: list[RenderableType] = [head, body]
    if len(lines) > SHOWN_LINES:
        parts.append(Text(f"… {len(lines) - SHOWN_LINES} more lines: e shows them all (and lets you edit)",
                          style=theme_style(variables, "warning", bold=True)))
    return Group(*parts)


class ControlBar(Static):
    """Hidden when nothing waits; see the module docstring."""

    DEFAULT_CLASSES = "control-bar"

    def show_state(self, *, awaiting: str | None, paused: bool, human: bool, ended: bool,
                   thinking: float | None = None, tick: int = 0) -> None:
        """``thinking``: seconds the agent's current model call has taken (None when none is in flight)."""
        v = self.app.theme_variables
        if ended:
            self.display = False
            return
        renderable: RenderableType
        if human:
            text = Text(no_wrap=True, overflow="ellipsis")
            text.append(*badge(v, "YOU ARE IN CONTROL"))
            text.append("  type commands below · ctrl+t hands control back to the agent")
            renderable = text
        elif awaiting is not None:
            renderable = proposal_view(v, awaiting, "y approve · e edit · r reject")
        elif paused:
            text = Text(no_wrap=True, overflow="ellipsis")
            text.append(*badge(v, "PAUSED"))
            text.append("  the next action waits · space resumes · n runs one step")
            renderable = text
        elif thinking is not None:
            text = Text(no_wrap=True, overflow="ellipsis")
            text.append(f" {SPINNER[tick % len(SPINNER)]} ", style=theme_style(v, "primary", bold=True))
            text.append(f"the agent is thinking · {int(thinking)} s", style=theme_style(v, "foreground"))
            renderable = text
        else:
            self.display = False
            return
        self.display = True
        self.update(renderable)

"""The command line a person types into when they act (human mode, or after taking over).

It keeps a history (up / down, like a shell) and posts :class:`ShellInput.CommandEntered`; the screen
decides where the command goes. Tools work here as they do for agents (``open strategy.py``,
``validate``), since the command becomes the person's action.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input


class ShellInput(Input):
    """See the module docstring."""

    BINDINGS = [
        Binding("up", "history(-1)", "Previous command", id="shell_input.previous", show=False),
        Binding("down", "history(1)", "Next command", id="shell_input.next", show=False),
    ]

    class CommandEntered(Message):
        """The person pressed enter on a non-empty command."""

        def __init__(self, command: str) -> None:
            super().__init__()
            self.command = command

    PLACEHOLDER = "type a command or a tool (open FILE, validate, submit) and press enter"

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("placeholder", self.PLACEHOLDER)
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.history: list[str] = []
        self._index = 0

    def action_history(self, delta: int) -> None:
        if not self.history:
            return
        self._index = max(0, min(len(self.history), self._index + delta))
        self.value = self.history[self._index] if self._index < len(self.history) else ""
        self.cursor_position = len(self.value)

    async def action_submit(self) -> None:
        """Enter: post the command (instead of Input.Submitted) and remember it."""
        command = self.value
        if not command.strip():
            return
        if not self.history or self.history[-1] != command:
            self.history.append(command)
        self._index = len(self.history)
        self.value = ""
        self.post_message(self.CommandEntered(command))

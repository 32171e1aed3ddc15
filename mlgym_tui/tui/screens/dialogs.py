"""Small modal dialogs: confirm, ask for a line of text, edit an action, show an error."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, TextArea


class ConfirmScreen(ModalScreen[bool]):
    """Yes or no; escape is no."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="dialog.yes"),
        Binding("n,escape", "answer(False)", "No", id="dialog.no"),
    ]

    def __init__(self, question: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__(classes="dialog")
        self.question, self.yes, self.no = question, yes, no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-body"):
            yield Label(self.question, classes="dialog-title")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} [y]", variant="primary", id="yes")
                yield Button(f"{self.no} [n]", id="no")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class PromptScreen(ModalScreen[str | None]):
    """One line of text (interjection, search, file to open); escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, title: str, placeholder: str = "", value: str = "", cursor_blink: bool = True) -> None:
        super().__init__(classes="dialog")
        self.title_text, self.placeholder, self.value = title, placeholder, value
        self.cursor_blink = cursor_blink

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-body"):
            yield Label(self.title_text, classes="dialog-title")
            field = Input(value=self.value, placeholder=self.placeholder, id="prompt-input")
            field.cursor_blink = self.cursor_blink
            yield field

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class EditActionScreen(ModalScreen[str | None]):
    """Edit the action an agent proposed; ctrl+s runs the edited text, escape goes back undecided."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Run edited", id="edit_action.run", priority=True),
        Binding("escape", "cancel", "Cancel", id="edit_action.cancel"),
    ]

    def __init__(self, action: str, cursor_blink: bool = True) -> None:
        super().__init__(classes="dialog")
        self.action_text = action
        self.cursor_blink = cursor_blink

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-body wide"):
            yield Label("Edit the proposed action — ctrl+s runs it, escape goes back", classes="dialog-title")
            area = TextArea(self.action_text, id="edit-action", soft_wrap=True, show_line_numbers=False)
            area.cursor_blink = self.cursor_blink
            yield area
            with Horizontal(classes="dialog-buttons"):
                yield Button("Run edited [ctrl+s]", variant="primary", id="run")
                yield Button("Cancel [esc]", id="cancel")

    def action_save(self) -> None:
        self.dismiss(self.query_one("#edit-action", TextArea).text)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.action_save() if event.button.id == "run" else self.action_cancel()


class MessageScreen(ModalScreen[None]):
    """An error or notice that needs reading (worker failures land here)."""

    BINDINGS = [Binding("escape,enter", "close", "Close", id="dialog.close")]

    def __init__(self, title: str, body: str) -> None:
        super().__init__(classes="dialog")
        self.title_text, self.body = title, body

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-body wide"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.body, classes="dialog-text", markup=False)
            yield Button("Close [esc]", id="close")

    def action_close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed)
    def _pressed(self) -> None:
        self.dismiss(None)

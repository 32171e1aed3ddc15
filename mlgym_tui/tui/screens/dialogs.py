"""Small modal dialogs: confirm, ask for a line of text, edit an action, show an error, resolve a conflict."""

from __future__ import annotations

import difflib

from rich.syntax import Syntax
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, Static, TextArea

from mlgym_tui.tui.widgets.editor_panel import syntax_theme


class ConfirmScreen(ModalScreen[bool]):
    """A question whose yes ends something (an attempt, an episode): yes needs a deliberate key.

    No letter answers it, because the person may be typing when it opens (a stray ``y`` in
    ``python train.py`` once ended an attempt): yes is ``ctrl+y`` or the yes button; escape, ``n`` and
    enter (the "no" button has the focus) keep working. The whole question wraps; nothing is cut.
    """

    BINDINGS = [
        Binding("ctrl+y", "answer(True)", "Yes", id="dialog.yes", priority=True),
        Binding("escape,n", "answer(False)", "No", id="dialog.no"),
    ]

    def __init__(self, question: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__(classes="dialog")
        self.question, self.yes, self.no = question, yes, no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-body"):
            yield Static(self.question, classes="dialog-title", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.no} [esc]", id="no")
                yield Button(f"{self.yes} [ctrl+y]", variant="error", id="yes")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class StartScreen(ModalScreen[bool]):
    """Start an episode, or go back: enter starts (nothing is lost by starting), escape goes back."""

    BINDINGS = [Binding("escape", "answer(False)", "Back", id="start.back")]

    def __init__(self, question: str) -> None:
        super().__init__(classes="dialog")
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-body"):
            yield Static(self.question, classes="dialog-title", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Start [enter]", variant="primary", id="start")
                yield Button("Back [esc]", id="back")

    def on_mount(self) -> None:
        self.query_one("#start", Button).focus()

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "start")


class PromptScreen(ModalScreen[str | None]):
    """One line of text (interjection, search, file to open); escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, title: str, placeholder: str = "", value: str = "", cursor_blink: bool = True,
                 suggestions: list[str] | None = None) -> None:
        super().__init__(classes="dialog")
        self.title_text, self.placeholder, self.value = title, placeholder, value
        self.cursor_blink = cursor_blink
        self.suggestions = suggestions or []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-body"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            suggester = SuggestFromList(self.suggestions, case_sensitive=True) if self.suggestions else None
            field = Input(value=self.value, placeholder=self.placeholder, id="prompt-input", suggester=suggester)
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


class ConflictScreen(ModalScreen[str | None]):
    """A file changed on disk under unsaved edits: show both, and let the person choose.

    Answers ``"mine"`` (keep the editor's text; the next save writes it over the disk version),
    ``"disk"`` (load the disk version; the editor's text is kept as a draft in the run folder) or None
    (decide later: the conflict stays and nothing is written). Buttons only — no letter decides, since
    the dialog can open while the person is typing.
    """

    BINDINGS = [Binding("escape", "later", "Decide later", id="conflict.later")]

    def __init__(self, path: str, mine: str, disk: str) -> None:
        super().__init__(classes="dialog")
        self.path, self.mine, self.disk = path, mine, disk

    def compose(self) -> ComposeResult:
        diff = "".join(difflib.unified_diff(
            self.disk.splitlines(keepends=True), self.mine.splitlines(keepends=True),
            fromfile=f"{self.path} (on disk now)", tofile=f"{self.path} (your unsaved text)",
        )) or "(the texts differ only in line endings)"
        with Vertical(classes="dialog-body wide"):
            yield Static(f"{self.path} changed on disk while you had unsaved edits. Nothing has been written. "
                         "The difference (- on disk, + yours):", classes="dialog-title", markup=False)
            with VerticalScroll(id="conflict-diff"):
                yield Static(Syntax(diff, "diff", theme=syntax_theme(self.app.theme_variables)), id="conflict-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Decide later [esc]", id="later")
                yield Button("Keep mine (save overwrites disk)", variant="warning", id="mine")
                yield Button("Take the disk version", variant="primary", id="disk")

    def on_mount(self) -> None:
        self.query_one("#later", Button).focus()

    def action_later(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None if event.button.id == "later" else event.button.id)

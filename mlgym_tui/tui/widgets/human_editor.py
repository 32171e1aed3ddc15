"""The Editor panel for a person: the whole open file in an editable text area, saved into the sandbox.

It follows the same events as the read-only editor (``open strategy.py`` typed in the shell opens it
here); the text itself is loaded through the runtime's file API by the screen, and ctrl+s hands the text
back to the screen, which saves it as an ``edit`` action so the change is recorded like an agent's.
"""

from __future__ import annotations

import posixpath

from textual.binding import Binding
from textual.message import Message
from textual.widgets import TextArea

from mlgym_tui.core.events import Event, EventKind
from mlgym_tui.tui.widgets.editor_panel import EditorPanel

LANGUAGES = {".py": "python", ".json": "json", ".md": "markdown", ".sh": "bash", ".toml": "toml",
             ".yaml": "yaml", ".yml": "yaml", ".css": "css", ".html": "html", ".js": "javascript"}


class HumanEditorPanel(EditorPanel):
    """See the module docstring."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save file", id="human.save", priority=True,
                tooltip="Save the editor's text into the sandbox (an edit action)"),
    ]

    class LoadRequested(Message):
        """The environment's editor moved to ``path``; the screen should load the whole file."""

        def __init__(self, path: str) -> None:
            super().__init__()
            self.path = path

    class SaveRequested(Message):
        """The person saved; ``text`` should replace ``path`` in the sandbox."""

        def __init__(self, path: str, text: str) -> None:
            super().__init__()
            self.path = path
            self.text = text

    def __init__(self, cursor_blink: bool = True, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.cursor_blink = cursor_blink
        self.loaded_path: str | None = None
        self.saved_text = ""
        self._load: tuple[str, str] | None = None

    def compose(self):  # noqa: ANN201
        area = TextArea(id="human-editor-area", show_line_numbers=True, tab_behavior="indent", theme="css",
                        soft_wrap=False)
        area.cursor_blink = self.cursor_blink
        area.read_only = True
        area.text = "Open a file with `open PATH` in the command line (or ctrl+o)."
        yield area

    @property
    def area(self) -> TextArea:
        return self.query_one("#human-editor-area", TextArea)

    @property
    def dirty(self) -> bool:
        return self.loaded_path is not None and self.area.text != self.saved_text

    def apply(self, event: Event) -> None:
        before = self.model.path
        super().apply(event)
        path = self.model.path
        if event.kind is EventKind.FILE_OPENED and path and (path != before or path != self.loaded_path) or event.kind is EventKind.FILE_CHANGED and path and path == self.loaded_path and not self.dirty:
            self.post_message(self.LoadRequested(path))

    def load(self, path: str, text: str) -> None:
        """The screen's answer to :class:`LoadRequested`."""
        self._load = (path, text)
        self._dirty = True
        self.flush()

    def flush(self) -> bool:
        if not self._dirty or not self.is_mounted:
            return False
        self._dirty = False
        if self._load is not None:
            path, text = self._load
            self._load = None
            area = self.area
            keep = area.cursor_location if path == self.loaded_path else (0, 0)
            area.read_only = False
            area.language = LANGUAGES.get(posixpath.splitext(path)[1]) if self._has_language(path) else None
            area.load_text(text)
            self.loaded_path = path
            self.saved_text = text
            row = min(keep[0], max(area.document.line_count - 1, 0))
            area.cursor_location = (row, 0)
        name = posixpath.basename(self.loaded_path) if self.loaded_path else ""
        self.set_title(f"{self.TITLE} · {name}" + (" ●" if self.dirty else "") if name else self.TITLE)
        self.border_subtitle = "ctrl+s saves · esc to the command line" if self.loaded_path else ""
        return False

    def _has_language(self, path: str) -> bool:
        language = LANGUAGES.get(posixpath.splitext(path)[1])
        return language is not None and language in self.area.available_languages

    def on_text_area_changed(self, _event: TextArea.Changed) -> None:
        self._dirty = True
        self.flush()

    def action_save(self) -> None:
        if self.loaded_path is None:
            self.notify("No file open. Type `open PATH` first.", severity="warning")
            return
        self.post_message(self.SaveRequested(self.loaded_path, self.area.text))

    def mark_saved(self, text: str) -> None:
        self.saved_text = text
        self._dirty = True
        self.flush()

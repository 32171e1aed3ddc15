"""The Editor panel for a person: the whole open file in an editable text area, saved into the sandbox.

It follows the same events as the read-only editor (``open strategy.py`` typed in the shell opens it
here); the text itself is loaded through the runtime's file API by the screen, and ctrl+s hands the text
back to the screen, which saves it (recorded as the hunks that changed; see
:mod:`mlgym_tui.tui.human_files`).

The panel never drops what the person typed: a file changed on disk while the buffer has unsaved edits
becomes a *conflict* (both versions kept, the title says so, ctrl+s asks instead of writing), and
opening another file keeps the unsaved text of this one for when it is opened again.
"""

from __future__ import annotations

import posixpath

from textual.binding import Binding
from textual.message import Message

from mlgym_tui.core.events import Event, EventKind
from mlgym_tui.tui.widgets.code_area import CodeArea
from mlgym_tui.tui.widgets.editor_panel import EditorPanel

LANGUAGES = {".py": "python", ".json": "json", ".md": "markdown", ".sh": "bash", ".toml": "toml",
             ".yaml": "yaml", ".yml": "yaml", ".css": "css", ".html": "html", ".js": "javascript"}


class HumanEditorPanel(EditorPanel):
    """See the module docstring."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save file", id="human.save", priority=True,
                tooltip="Save the editor's text into the sandbox (recorded as the lines that changed)"),
        Binding("ctrl+f", "find", "Find", id="human.find", priority=True, tooltip="Find text in the file"),
        Binding("ctrl+g", "go_to_line", "Go to line", id="human.goto", priority=True,
                tooltip="Move the cursor to a line number"),
    ]

    class LoadRequested(Message):
        """The environment's editor moved to ``path``; the screen should load the whole file.

        ``opened``: the person opened it (``open``, ctrl+o), so the editor takes the focus once loaded."""

        def __init__(self, path: str, opened: bool = True, line: int | None = None) -> None:
            super().__init__()
            self.path = path
            self.opened = opened
            self.line = line

    class SaveRequested(Message):
        """The person saved; ``text`` should replace ``base`` (what the editor loaded) at ``path``."""

        def __init__(self, path: str, text: str, base: str) -> None:
            super().__init__()
            self.path = path
            self.text = text
            self.base = base

    class ConflictShown(Message):
        """The person asked to save a file in conflict: the screen shows both versions and asks."""

    class Prompt(Message):
        """Ask the person for one line (find, go to line); the screen shows the dialog."""

        def __init__(self, what: str) -> None:
            super().__init__()
            self.what = what

    def __init__(self, cursor_blink: bool = True, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.cursor_blink = cursor_blink
        self.loaded_path: str | None = None
        self.saved_text = ""
        """The text the file had on disk when loaded or last saved (what a save replaces)."""
        self.conflict: str | None = None
        """The file's text on disk when it changed under unsaved edits; None when there is no conflict."""
        self.kept: dict[str, tuple[str, str]] = {}
        """Unsaved buffers of files the person moved away from: path → (their text, the base it edits)."""
        self._load: tuple[str, str] | None = None

    def compose(self):  # noqa: ANN201
        area = CodeArea(id="human-editor-area", show_line_numbers=True, tab_behavior="indent", theme="css",
                        soft_wrap=False)
        area.cursor_blink = self.cursor_blink
        area.read_only = True
        area.text = "Open a file with `open PATH` in the command line (or ctrl+o)."
        yield area

    @property
    def area(self) -> CodeArea:
        return self.query_one("#human-editor-area", CodeArea)

    @property
    def dirty(self) -> bool:
        return self.loaded_path is not None and self.area.text != self.saved_text

    def apply(self, event: Event) -> None:
        super().apply(event)
        d = event.data
        if event.kind is EventKind.FILE_OPENED and d.get("path"):
            first = d.get("first")
            self.post_message(self.LoadRequested(str(d["path"]), opened=True,
                                                 line=int(first) if isinstance(first, int) and first > 1 else None))
        elif event.kind is EventKind.FILE_CHANGED and d.get("path") == self.loaded_path and d.get("by") != "human":
            self.post_message(self.LoadRequested(str(d["path"]), opened=False))

    # -- the screen's answers ------------------------------------------------------------------
    def load(self, path: str, text: str) -> None:
        """Show ``text`` as the saved content of ``path`` (replacing the buffer)."""
        self._load = (path, text)
        self._dirty = True
        self.flush()

    def disk_text(self, path: str, text: str) -> str:
        """The file as it is on disk now: load it, keep the person's edits, or mark a conflict.

        Returns what happened: ``loaded`` (another file, or this one unchanged by the person),
        ``same``, ``restored`` (unsaved text kept from before came back) or ``conflict``."""
        if path != self.loaded_path:
            if self.dirty and self.loaded_path is not None:
                self.kept[self.loaded_path] = (self.area.text, self.saved_text)
            self.conflict = None
            self.load(path, text)
            kept = self.kept.pop(path, None)
            if kept is None:
                return "loaded"
            mine, base = kept
            self.area.load_text(mine)
            if base != text:
                self.conflict = text
                self.saved_text = base
                self._refresh_title()
                return "conflict"
            self._refresh_title()
            return "restored"
        if text == self.saved_text or text == self.conflict:
            return "same"
        if not self.dirty:
            self.load(path, text)
            return "loaded"
        self.conflict = text
        self._refresh_title()
        return "conflict"

    def keep_mine(self) -> None:
        """Resolve a conflict for the person's text: the next save writes it over the disk version."""
        if self.conflict is not None:
            self.saved_text = self.conflict
            self.conflict = None
            self._refresh_title()

    def take_disk(self) -> None:
        """Resolve a conflict for the disk version (the screen has kept the person's text as a draft)."""
        if self.conflict is not None and self.loaded_path is not None:
            text, self.conflict = self.conflict, None
            self.load(self.loaded_path, text)

    def mark_saved(self, text: str) -> None:
        self.saved_text = text
        self._refresh_title()

    # -- rendering -----------------------------------------------------------------------------
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
            area.cursor_location = (row, keep[1] if path == self.loaded_path else 0)
        self._refresh_title()
        return False

    def _refresh_title(self) -> None:
        name = posixpath.basename(self.loaded_path) if self.loaded_path else ""
        if not name:
            self.set_title(self.TITLE)
            self.border_subtitle = ""
            return
        mark = " ⚠ changed on disk" if self.conflict is not None else (" ●" if self.dirty else "")
        self.set_title(f"{self.TITLE} · {name}{mark}")
        self.border_subtitle = ("ctrl+s: resolve the conflict" if self.conflict is not None
                                else "ctrl+s save · ctrl+f find · ctrl+g line · esc command line")

    def _has_language(self, path: str) -> bool:
        language = LANGUAGES.get(posixpath.splitext(path)[1])
        return language is not None and language in self.area.available_languages

    def on_text_area_changed(self, _event: CodeArea.Changed) -> None:
        self._refresh_title()

    # -- keys ----------------------------------------------------------------------------------
    def action_save(self) -> None:
        if self.loaded_path is None:
            self.notify("No file open. Type `open PATH` first.", severity="warning")
            return
        if self.conflict is not None:
            self.post_message(self.ConflictShown())
            return
        self.post_message(self.SaveRequested(self.loaded_path, self.area.text, self.saved_text))

    def action_find(self) -> None:
        if self.loaded_path is not None:
            self.post_message(self.Prompt("find"))

    def action_go_to_line(self) -> None:
        if self.loaded_path is not None:
            self.post_message(self.Prompt("line"))

"""The text area a person edits code in: a TextArea that indents like a Python editor, finds text and
goes to a line. Escape is left to the screen (back to the command line), not used to move the focus."""

from __future__ import annotations

from textual import events
from textual.widgets import TextArea
from textual.widgets.text_area import Selection

INDENT = "    "
OPENS_BLOCK = (":", "(", "[", "{")


def next_indent(line_before_cursor: str) -> str:
    """The indentation of a new line typed after ``line_before_cursor``: the same, one level more after a
    line that opens a block (``def f():``, an open bracket)."""
    indent = line_before_cursor[: len(line_before_cursor) - len(line_before_cursor.lstrip())]
    stripped = line_before_cursor.split("#", 1)[0].rstrip()
    if stripped.endswith(OPENS_BLOCK):
        return indent + INDENT
    return indent


class CodeArea(TextArea):
    """See the module docstring."""

    async def _on_key(self, event: events.Key) -> None:
        """Runs before TextArea's own handler (Textual calls each class's in turn unless one prevents
        the default), so it only takes the keys it changes."""
        if event.key == "escape":
            event.prevent_default()  # not TextArea's focus-next: the screen's escape binding runs
            return
        if event.key == "enter" and not self.read_only:
            event.stop()
            event.prevent_default()
            row, column = self.cursor_location
            before = self.document.get_line(row)[:column]
            start, end = self.selection
            self._replace_via_keyboard("\n" + next_indent(before), start, end)

    def find(self, needle: str) -> bool:
        """Select the next occurrence of ``needle`` after the cursor (wrapping); False if there is none."""
        if not needle:
            return False
        text = self.text
        row, column = self.cursor_location
        lines = text.split("\n")
        offset = sum(len(line) + 1 for line in lines[:row]) + column
        if self.selected_text == needle:
            offset += 1
        at = text.find(needle, offset)
        if at < 0:
            at = text.find(needle)
        if at < 0:
            return False
        self.selection = Selection(_location(text, at), _location(text, at + len(needle)))
        self.scroll_cursor_visible(center=True)
        return True

    def go_to_line(self, line: int) -> None:
        """Put the cursor at the start of ``line`` (1-based, clamped to the file)."""
        row = min(max(line, 1), self.document.line_count) - 1
        self.cursor_location = (row, 0)
        self.scroll_cursor_visible(center=True)


def _location(text: str, index: int) -> tuple[int, int]:
    before = text[:index]
    row = before.count("\n")
    return row, index - (before.rfind("\n") + 1)

"""The Editor panel: the file the agent has open or just edited, syntax-highlighted, edited lines marked.

Its model is rebuilt from the event stream alone (so a replay shows it too): ``file_opened`` says which
window of which file is shown, the editor tool's observation carries that window's numbered lines, and
``file_changed`` says which lines the last edit wrote. Colours come from the theme's variables.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field

from pygments.token import Comment, Keyword, Name, Number, Operator, String, Token
from rich.style import Style
from rich.syntax import ANSISyntaxTheme, Syntax
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from mlgym_tui.core.events import Event, EventKind
from mlgym_tui.core.tools import EDITOR_TOOLS
from mlgym_tui.tui.colors import theme_style
from mlgym_tui.tui.widgets.panel import Panel


def syntax_theme(variables: dict[str, str]) -> ANSISyntaxTheme:
    """A Pygments token map in the current theme's colours (no background: the panel's shows)."""

    def s(*names: str, **kw: bool) -> Style:
        return theme_style(variables, *names, **kw)

    return ANSISyntaxTheme(
        {
            Token: s("foreground"),
            Comment: s("foreground-muted", "foreground", italic=True),
            Keyword: s("secondary", bold=True),
            Keyword.Constant: s("accent"),
            Name.Function: s("primary"),
            Name.Class: s("primary", bold=True),
            Name.Builtin: s("accent"),
            Name.Decorator: s("warning"),
            String: s("success"),
            Number: s("accent"),
            Operator: s("foreground"),
        }
    )


@dataclass
class EditorModel:
    """What the editor shows: one window of one file, and the lines of the last edit."""

    path: str | None = None
    first: int = 1
    last: int = 0
    total: int = 0
    lines: dict[int, str] = field(default_factory=dict)
    edited: set[int] = field(default_factory=set)
    edited_path: str | None = None

    def on_opened(self, d: dict[str, object]) -> None:
        path = str(d.get("path") or "")
        if path != self.path:
            self.lines.clear()
        self.path = path
        self.first = int(d.get("first") or 1)  # type: ignore[arg-type]
        self.last = int(d.get("last") or 0)  # type: ignore[arg-type]
        self.total = int(d.get("total") or 0)  # type: ignore[arg-type]

    def on_changed(self, d: dict[str, object]) -> None:
        start = int(d.get("start") or 1)  # type: ignore[arg-type]
        new = d.get("lines") or []
        written = set(range(start, start + len(new))) if isinstance(new, list) else set()  # type: ignore[arg-type]
        path = str(d.get("path") or "")
        if int(d.get("hunk") or 0) > 0 and path == self.edited_path:  # a later hunk of one save: keep the
            end = int(d.get("end") or start - 1)  # type: ignore[arg-type]  # earlier hunks' lines, moved
            shift = len(written) - (end - start + 1)
            written |= {n + shift if n > end else n for n in self.edited if not start <= n <= end}
        self.edited = written
        self.edited_path = path

    def on_window_text(self, text: str) -> None:
        """Read the numbered lines ``N:text`` of the window the tool printed."""
        rows = text.split("\n")
        if not rows or not rows[0].startswith("[File: "):
            return
        window: dict[int, str] = {}
        want = self.first
        for row in rows[1:]:
            if want > self.last:
                break
            prefix = f"{want}:"
            if row.startswith(prefix):
                window[want] = row[len(prefix) :]
                want += 1
        self.lines = window

    @property
    def code(self) -> str:
        return "\n".join(self.lines.get(n, "") for n in range(self.first, self.last + 1))

    @property
    def marked(self) -> set[int]:
        return self.edited if self.edited_path == self.path else set()


RowSource = Callable[[int, int], list[Text]]
"""Rows ``start``..``stop`` of the window, highlighted."""
BLOCK = 24
"""Most rows highlighted together, from the first one shown: a panel's height and some (lexing a
1,000-line window at once took ~0.5 s; 100 Python lines take ~33 ms, 24 ~8 ms; a replay's first render
pays for one block)."""

LEXERS = {".py": "python", ".sh": "bash", ".md": "markdown", ".toml": "toml", ".yaml": "yaml", ".yml": "yaml",
          ".json": "json", ".txt": "text", ".csv": "text", ".cfg": "ini", ".ini": "ini", ".c": "c", ".cpp": "cpp"}
"""Lexers of the files agents open most, by extension: Pygments' own lookup by file name loads every
lexer's patterns first (~0.1 s of the first file shown in a process); other files still go through it."""


def lexer_for(path: str) -> str:
    """The Pygments lexer name for ``path``, from its name only (guessing from the content costs ~1 s on
    a long file)."""
    return LEXERS.get(posixpath.splitext(path)[1].lower()) or Syntax.guess_lexer(path)


class CodeView(ScrollView, can_focus=True):
    """The highlighted window, painted line by line: only the rows on screen are rendered, and a block
    of rows is highlighted only when one of its rows is first shown.

    (A ``Static`` with a ``Syntax`` renders, measures and lexes its whole content on every update;
    with MLGym's 1,000-line windows that made each editor update cost about a second.)
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._count = 1
        self._source: RowSource = lambda _a, _b: [Text("No file open yet.", style="italic", end="")]
        self._rows: dict[int, Text] = {}
        self._strips: dict[int, Strip] = {}
        self._focus_row: int | None = None
        """The row to bring into view once the view has a height (shown before its first layout)."""

    def show(self, count: int, source: RowSource, width: int, focus_row: int | None = None) -> None:
        """Show ``count`` rows from ``source``; scroll so ``focus_row`` (an edit) is in view, else to the top."""
        self._count = count
        self._source = source
        self._rows.clear()
        self._strips.clear()
        self.virtual_size = Size(width, count)
        self._focus_row = focus_row
        self._scroll_to_focus()
        if self._focus_row is not None:  # not laid out yet for this size: once it is
            self.call_after_refresh(self._scroll_to_focus)
        self.refresh()

    def _scroll_to_focus(self) -> None:
        """Scroll to the focus row, and forget it once there. Before the view is laid out (a replay's
        first render fills the panels before that) or for a new virtual size not yet applied, the scroll
        is clamped short: the row is kept for the resize or refresh that follows."""
        row = self._focus_row
        target = 0 if row is None else max(row - self.size.height // 3, 0)
        self.scroll_to(0, target, animate=False, immediate=True)
        reachable = min(target, max(self.virtual_size.height - self.size.height, 0))
        if row is None or (self.size.height and self.scroll_y == reachable):
            self._focus_row = None

    def on_resize(self) -> None:
        if self._focus_row is not None:
            self._scroll_to_focus()

    def row(self, n: int) -> Text:
        """Row ``n``, highlighted with the rows after it that are not yet (painting goes top down, so the
        first row on screen brings the rest of the panel's rows with it: one block per view)."""
        if n not in self._rows:
            stop = min(n + BLOCK, self._count)
            stop = next((i for i in range(n + 1, stop) if i in self._rows), stop)
            for i, text in enumerate(self._source(n, stop), start=n):
                self._rows[i] = text
        return self._rows[n]

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        n = y + scroll_y
        width = self.size.width
        if n >= self._count:
            return Strip.blank(width, self.rich_style)
        strip = self._strips.get(n)
        if strip is None:
            text = self.row(n)
            strip = Strip(list(text.render(self.app.console)), text.cell_len).apply_style(self.rich_style)
            self._strips[n] = strip
        return strip.crop_extend(scroll_x, scroll_x + width, self.rich_style)


class EditorPanel(Panel):
    """See the module docstring."""

    TITLE = "Editor"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.model = EditorModel()
        self._dirty = False
        self._pending_window = False

    def compose(self):  # noqa: ANN201
        yield CodeView(id="code-view")

    def on_mount(self) -> None:
        super().on_mount()
        self.app.theme_changed_signal.subscribe(self, lambda _t: self._mark_dirty())

    def _mark_dirty(self) -> None:
        self._dirty = True
        self.flush()

    def reset(self) -> None:
        self.model = EditorModel()
        self._dirty = True

    def apply(self, event: Event) -> None:
        d = event.data
        if event.kind is EventKind.FILE_OPENED:
            self.model.on_opened(d)
            self._pending_window = True
            self._dirty = True
        elif event.kind is EventKind.FILE_CHANGED:
            self.model.on_changed(d)
            self._dirty = True
        elif event.kind is EventKind.OBSERVATION and self._pending_window and d.get("tool") in EDITOR_TOOLS:
            self.model.on_window_text(str(d.get("text", "")))
            self._pending_window = False
            self._dirty = True

    def show_disk_text(self, path: str, text: str) -> bool:
        """A live screen read the open file after a shell command: show what is on disk now (a ``sed``
        leaves no editor event). True when the window changed."""
        m = self.model
        if path != m.path:
            return False
        lines = text.splitlines()
        window = {n: lines[n - 1] for n in range(m.first, min(m.first + max(m.last - m.first + 1, 1), len(lines) + 1))}
        if window == m.lines and len(lines) == m.total:
            return False
        m.lines, m.total = window, len(lines)
        m.last = m.first + len(window) - 1
        m.edited = set()
        self._dirty = True
        self.flush()
        return True

    def subtitle(self) -> str:
        m = self.model
        if m.path is None:
            return ""
        span = f"lines {m.first}–{m.last} of {m.total}" if m.total else "empty file"
        marked = sorted(m.marked)
        if marked:
            span += f" · edited {marked[0]}–{marked[-1]}" if len(marked) > 1 else f" · edited {marked[0]}"
        return span

    def code_rows(self, start: int, stop: int) -> list[Text]:
        """Rows ``start``..``stop`` of the window (0 is its first line): gutter, number, highlighted code."""
        m = self.model
        if m.path is None:
            return [Text("No file open yet.", style="italic", end="")]
        variables = self.app.theme_variables
        code = "\n".join(m.lines.get(n, "") for n in range(m.first + start, m.first + stop))
        lexer = lexer_for(m.path)
        body = Syntax(code, lexer, theme=syntax_theme(variables), word_wrap=False).highlight(code)
        width = len(str(max(m.last, 1)))
        number = theme_style(variables, "foreground-muted", "foreground")
        pointer = theme_style(variables, "error", bold=True)
        mark = theme_style(variables, "edited-line", "boost", background=True)
        marked = m.marked
        rows: list[Text] = []
        for n, line in enumerate(body.split("\n", allow_blank=True)[: stop - start], start=m.first + start):
            edited = n in marked
            row = Text(no_wrap=True, end="")
            row.append("❯ " if edited else "  ", style=pointer)
            row.append(f"{n:>{width}} ", style=number)
            row.append_text(line)
            if edited:
                row.stylize(mark, 2)
            rows.append(row)
        return rows

    def flush(self) -> bool:
        if not self._dirty or not self.is_mounted:
            return False
        self._dirty = False
        m = self.model
        self.set_title(f"{self.TITLE} · {posixpath.basename(m.path)}" if m.path else self.TITLE)
        self.border_subtitle = self.subtitle()
        marked = sorted(m.marked)
        count = max(m.last - m.first + 1, 0) if m.path else 1
        width = 4 + len(str(max(m.last, 1))) + max((len(line) for line in m.lines.values()), default=20)
        self.query_one("#code-view", CodeView).show(count, self.code_rows, width,
                                                    marked[0] - m.first if marked else None)
        return False

"""The Editor panel: the file the agent has open or just edited, syntax-highlighted, edited lines marked.

Its model is rebuilt from the event stream alone (so a replay shows it too): ``file_opened`` says which
window of which file is shown, the editor tool's observation carries that window's numbered lines, and
``file_changed`` says which lines the last edit wrote. Colours come from the theme's variables.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from pygments.token import Comment, Keyword, Name, Number, Operator, String, Token
from rich.style import Style
from rich.syntax import ANSISyntaxTheme, Syntax
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from mlgym_tui.core.events import Event, EventKind
from mlgym_tui.tui.colors import theme_style
from mlgym_tui.tui.widgets.panel import Panel

EDITOR_TOOLS = {"open", "goto", "scroll_up", "scroll_down", "create", "edit", "insert"}


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
        self.edited = set(range(start, start + len(new))) if isinstance(new, list) else set()  # type: ignore[arg-type]
        self.edited_path = str(d.get("path") or "")

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


class CodeView(Static):
    """The syntax-highlighted window (a renderable: cheap for the ≤ 100 lines the tools show)."""


class EditorPanel(Panel):
    """See the module docstring."""

    TITLE = "Editor"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.model = EditorModel()
        self._dirty = False
        self._pending_window = False

    def compose(self):  # noqa: ANN201
        with VerticalScroll(id="editor-scroll"):
            yield CodeView(Text("No file open yet.", style="italic"), id="code-view")

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

    def subtitle(self) -> str:
        m = self.model
        if m.path is None:
            return ""
        span = f"lines {m.first}–{m.last} of {m.total}" if m.total else "empty file"
        marked = sorted(m.marked)
        if marked:
            span += f" · edited {marked[0]}–{marked[-1]}" if len(marked) > 1 else f" · edited {marked[0]}"
        return span

    def render_code(self) -> Syntax | Text:
        m = self.model
        if m.path is None:
            return Text("No file open yet.", style="italic")
        variables = self.app.theme_variables
        syntax = Syntax(
            m.code,
            Syntax.guess_lexer(m.path, m.code),
            theme=syntax_theme(variables),
            line_numbers=True,
            start_line=m.first,
            highlight_lines=m.marked,
            word_wrap=False,
            indent_guides=False,
        )
        mark = theme_style(variables, "edited-line", "boost", background=True)
        for n in m.marked:
            row = n - m.first + 1
            if row >= 1:
                syntax.stylize_range(mark, (row, 0), (row + 1, 0))
        return syntax

    def flush(self) -> bool:
        if not self._dirty or not self.is_mounted:
            return False
        self._dirty = False
        m = self.model
        self.set_title(f"{self.TITLE} · {posixpath.basename(m.path)}" if m.path else self.TITLE)
        self.border_subtitle = self.subtitle()
        self.query_one("#code-view", CodeView).update(self.render_code())
        return False

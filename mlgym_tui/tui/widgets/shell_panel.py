"""The Shell panel: each command the sandbox ran, its streamed output, exit code and duration.

Built for floods: a plain ``Log`` with bounded scrollback, lines cleaned of escape codes,
pending lines kept in a bounded deque (what would scroll out before it is ever seen is dropped and
counted), at most :data:`WRITE_BATCH` lines per ``write_lines`` call, one call per tick.
"""

from __future__ import annotations

import time
from collections import deque

from rich.highlighter import Highlighter
from rich.style import Style
from rich.text import Text
from textual.widgets import Log

from mlgym_tui.core.events import Event, EventKind
from mlgym_tui.core.observations import step_outcome
from mlgym_tui.core.tools import EDITOR_TOOLS
from mlgym_tui.tui.colors import theme_style
from mlgym_tui.tui.text import LineSplitter, clean_line
from mlgym_tui.tui.widgets.panel import Panel

WRITE_BATCH = 2_500
"""Lines per ``Log.write_lines`` call (larger calls stall the event loop; measured with benchmarks/tui_stream.py)."""
FLOOD_WRITE_INTERVAL = 0.05
"""During a flood (more waiting than one batch) write at most every this many seconds: the UI then
writes at most ~50,000 lines a second however fast a command prints, the rest scrolls past unsplit,
and key presses keep getting the event loop between writes."""
"""Tools whose answer is a file window: the Editor panel shows it, the shell shows one line."""
TOOL_OUTPUT_LINES = 40
"""Lines of a tool's answer (open, validate …) shown in the shell; the rest is in the other panels."""
HEAD_LINES = 200
"""Lines kept from the start of one output chunk too long for the scrollback (the rest is its tail)."""


def _split_after(text: str, lines: int) -> tuple[str, str, str]:
    """``text`` cut after its ``lines``-th newline: (head with that newline, "\\n", rest)."""
    at = -1
    for _ in range(lines):
        at = text.index("\n", at + 1)
    return text[: at + 1], "\n", text[at + 1 :]


def _fit(text: str, budget: int) -> str:
    """``text`` cut to its first and last lines when it has more than ``budget``, the cut announced in place.

    One chunk longer than the scrollback (an imported observation of 50,000 lines) would otherwise push
    its own step rule and command out of the panel; cut here, they stay, with the head of the output,
    a line saying what was left out, and the tail.
    """
    n = text.count("\n") + (0 if text.endswith("\n") else 1)
    if n <= budget:
        return text
    head_n = min(HEAD_LINES, budget // 4)
    tail_n = budget - head_n
    head, _sep, _rest = _split_after(text, head_n)
    at = len(text)
    for _ in range(tail_n + (1 if text.endswith("\n") else 0)):
        at = text.rindex("\n", 0, at)
    tail = text[at + 1 :]
    cut = n - head_n - tail_n
    return f"{head}[… {cut:,} lines of this output not shown: the shell keeps its first {head_n} and last {tail_n:,} …]\n{tail}"


def _step_rule(text: str) -> str:
    return f"── {text} " + "─" * max(4, 60 - len(text))


class ShellHighlighter(Highlighter):
    """Colours command lines, exit lines and step rules; styles come from theme variables."""

    def __init__(self) -> None:
        self.styles: dict[str, Style] = {}

    def use_theme(self, variables: dict[str, str]) -> None:
        self.styles = {
            "command": theme_style(variables, "shell-command", "primary", bold=True),
            "ok": theme_style(variables, "shell-ok", "success"),
            "fail": theme_style(variables, "shell-fail", "error", bold=True),
            "step": theme_style(variables, "shell-step", "secondary"),
            "unknown": theme_style(variables, "shell-unknown", "warning"),
        }

    def highlight(self, text: Text) -> None:
        plain = text.plain
        if not self.styles or not plain:
            return
        if plain.startswith("$ "):
            text.stylize(self.styles["command"])
        elif plain.startswith("── "):
            text.stylize(self.styles["step"])
        elif plain.startswith("✔ exit"):
            text.stylize(self.styles["ok"])
        elif plain.startswith(("✖ ", "! ")):
            text.stylize(self.styles["fail"])
        elif plain.startswith("? exit"):
            text.stylize(self.styles["unknown"])


class ShellPanel(Panel):
    """See the module docstring."""

    TITLE = "Shell"

    def __init__(self, max_lines: int = 10_000, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.max_lines = max_lines
        self._backlog: deque[tuple[str, int]] = deque()
        self._backlog_lines = 0
        self._skipped = 0
        self._splitter = LineSplitter()
        self._had_output = False
        self.lines_received = 0
        self._scrolled_to = 0.0
        self._following = True
        self._last_write = 0.0
        self._empty = True
        """Nothing written since the last reset: the next flush writes the whole backlog in one call (a
        replay's jump fills the panel at once; in batches, each batch cost the screen a layout)."""
        self.highlighter = ShellHighlighter()
        self.command = ""
        """The step and command whose output the panel is showing (its subtitle: visible however long
        the output, whose own command line may be thousands of lines up)."""

    def compose(self):  # noqa: ANN201 - textual compose
        log = Log(max_lines=self.max_lines, highlight=True, id="shell-log")
        log.highlighter = self.highlighter
        log.can_focus = True
        yield log

    @property
    def log_widget(self) -> Log:
        return self.query_one("#shell-log", Log)

    def on_mount(self) -> None:
        super().on_mount()
        self.highlighter.use_theme(self.app.theme_variables)
        self.app.theme_changed_signal.subscribe(self, lambda _t: self._retheme())

    def on_resize(self) -> None:
        """A new size moves the end; stay on it if we were following."""
        if self._following:
            self.call_after_refresh(self._to_end)

    def _to_end(self) -> None:
        log = self.log_widget
        log.scroll_end(animate=False, immediate=True, x_axis=False)
        self._scrolled_to = log.scroll_y

    def _retheme(self) -> None:
        self.highlighter.use_theme(self.app.theme_variables)
        self.log_widget.notify_style_update()
        self.log_widget.refresh()

    # -- model ---------------------------------------------------------------------------------
    # The backlog holds text not yet written to the Log, as received: output chunks unsplit (splitting
    # and cleaning happen in flush, for the lines that are kept), and the panel's own lines. It is
    # bounded by lines: what would scroll out of the Log's scrollback before being seen is dropped
    # unsplit and counted, so a flood costs the UI thread little more than the lines it shows.
    def _push(self, text: str) -> None:
        n = text.count("\n")
        self._backlog.append((text, n))
        self._backlog_lines += n
        self.lines_received += n
        while self._backlog_lines > self.max_lines and len(self._backlog) > 1:
            _old, dropped = self._backlog.popleft()
            self._backlog_lines -= dropped
            self._skipped += dropped
            self._splitter.partial = ""

    def _add(self, lines: list[str]) -> None:
        """The panel's own lines (command, exit status …), each on a line of its own."""
        if not lines:
            return
        open_line = self._backlog[-1][0][-1:] not in ("\n", "") if self._backlog else bool(self._splitter.partial)
        self._push(("\n" if open_line else "") + "\n".join(lines) + "\n")

    def reset(self) -> None:
        self._backlog.clear()
        self._backlog_lines = 0
        self._skipped = 0
        self._splitter = LineSplitter()
        self._had_output = False
        self.lines_received = 0
        self._scrolled_to = 0.0
        self._empty = True
        self.command = ""
        if self.is_mounted:
            self.log_widget.clear()

    def apply(self, event: Event) -> None:
        d = event.data
        kind = event.kind
        if kind is EventKind.OUTPUT:
            text = str(d.get("text", ""))
            if text:
                self._had_output = True
                self._push(_fit(text, self.max_lines // 2))
        elif kind is EventKind.ACTION:
            self._had_output = False
            lines = str(d.get("action", "")).strip("\n").split("\n")
            more = f"   (+{len(lines) - 1} lines)" if len(lines) > 1 else ""
            self._add([_step_rule(f"step {event.step}"), f"$ {clean_line(lines[0])}{more}"])
            self.command = f"step {event.step} · $ {clean_line(lines[0])[:80]}"
        elif kind is EventKind.OBSERVATION:
            self._observation(event)
        elif kind is EventKind.EPISODE_STARTED:
            self._add([_step_rule(f"{d.get('task')} · {d.get('agent')} · {d.get('backend')} · seed {d.get('seed')}")])
        elif kind is EventKind.EPISODE_ENDED:
            self._add([_step_rule(f"episode ended: {d.get('exit_status')}")])
        elif kind is EventKind.ERROR:
            self._add([f"! {clean_line(str(d.get('message', '')))}"])

    def _observation(self, event: Event) -> None:
        d = event.data
        tool = d.get("tool")
        if tool == "task":
            return
        if tool in EDITOR_TOOLS and str(d.get("text", "")).startswith("[File: "):
            first = str(d.get("text", "")).split("\n", 1)[0]
            self._add([clean_line(first) + "  → Editor panel"])
        elif tool is not None or not self._had_output:
            text = str(d.get("text", "")).split("\n")
            shown = [clean_line(t) for t in text[:TOOL_OUTPUT_LINES]]
            if len(text) > TOOL_OUTPUT_LINES:
                shown.append(f"… {len(text) - TOOL_OUTPUT_LINES} more lines")
            self._add(shown)
        outcome = step_outcome(d)
        extra = f" · {float(d.get('duration') or 0):.2f} s"
        if d.get("timed_out"):
            extra += " · timed out"
        if d.get("cut_bytes"):
            extra += f" · {int(d['cut_bytes']):,} bytes cut"
        if outcome.known:
            line = f"{'✖' if outcome.failed else '✔'} exit {outcome.exit_code}{extra}"
        elif outcome.failed:  # no exit code recorded, but the text shows the failure
            line = f"✖ {outcome.reason} (exit code not recorded){extra}"
        else:
            line = f"? exit unknown (not recorded){extra}"
        self._add([line])
        self._had_output = False

    # -- render --------------------------------------------------------------------------------
    def flush(self) -> bool:
        if self.border_subtitle != self.command:
            self.border_subtitle = self.command
        if not self._backlog and not self._skipped:
            return False
        now = time.monotonic()
        limit = max(self._backlog_lines + 2, WRITE_BATCH) if self._empty else WRITE_BATCH
        if self._backlog_lines > limit and now - self._last_write < FLOOD_WRITE_INTERVAL:
            return True  # a flood: let this tick go to keys and painting
        self._last_write = now
        self._empty = False
        log = self.log_widget
        batch: list[str] = []
        if self._skipped:
            batch.append(f"[… {self._skipped:,} lines scrolled past unseen …]")
            self._skipped = 0
        while self._backlog and len(batch) < limit:
            text, n = self._backlog.popleft()
            room = limit - len(batch)
            if n > room:  # write part of a big chunk now, the rest next tick
                head, _sep, rest = _split_after(text, room)
                self._backlog.appendleft((rest, n - room))
                text, n = head, room
            self._backlog_lines -= n
            batch.extend(line or " " for line in self._splitter.feed(text))  # Log drops empty strings
        before = len(log.lines)
        # Follow the end unless the person scrolled up from where we left the view. (Log's own
        # auto-scroll compares with an end that moves under it when the size or a scrollbar changes,
        # and then stops following for good.)
        follow = log.scroll_y >= min(self._scrolled_to, log.max_scroll_y) - 1
        log.write_lines(batch, scroll_end=False)
        self._following = follow
        if follow:
            log.scroll_end(animate=False, immediate=True, x_axis=False)
            self._scrolled_to = log.scroll_y
        if before + len(batch) > self.max_lines:
            log.refresh()  # a full Log stops repainting correctly after pruning (seen in Textual 8)
        return bool(self._backlog)

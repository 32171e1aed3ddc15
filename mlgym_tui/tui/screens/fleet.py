"""Fleet: every episode of a benchmark run on one screen, live, with control of each.

One row per run folder under the fleet's root (and per batch cell not started yet): status, step, best
score against the baseline, a sparkline of its validations, cost, time and host. The header keeps the
running AUP of the finished episodes, computed by :mod:`mlgym_tui.core.scoring` exactly as the
Scoreboard and ``mlgym-tui score`` do. Enter opens the episode in the replay view, following it live;
escape comes back. Pause, resume, stop-and-submit and interject go to the episode through its
``control.jsonl`` (:mod:`mlgym_tui.core.control_file`), so they work for episodes of any process:
``mlgym-tui run``, a local batch or Ray workers writing to a shared folder.

Reading happens on a worker thread (:class:`~mlgym_tui.tui.fleet_watcher.FleetWatcher`); this screen
only applies the snapshots it posts, updating the cells that changed.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static
from textual.worker import get_current_worker

from mlgym_tui.core.control_file import ControlRefused, send_control
from mlgym_tui.core.direction import Direction
from mlgym_tui.core.fleet import FleetIndex, FleetRow
from mlgym_tui.core.scoring.render import fmt
from mlgym_tui.tui.colors import theme_style
from mlgym_tui.tui.fleet_watcher import FleetWatcher
from mlgym_tui.tui.screens.dialogs import ConfirmScreen, PromptScreen
from mlgym_tui.tui.settings import WorkbenchSettings
from mlgym_tui.tui.widgets.key_bar import KeyBar

COLUMNS = [
    ("task", "Task"), ("competitor", "Competitor"), ("attempt", "#"), ("status", "Status"), ("step", "Step"),
    ("best", "Best"), ("gain", "vs base"), ("cost", "Cost"), ("time", "Time"), ("trend", "Validations"),
    ("host", "Host"),
]
SORTS = ["task", "competitor", "status", "gain", "cost"]
STATUS_FILTERS = ["all", "live", "finished", "failed"]
SPARK = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 12
LIVE = ("starting", "running", "paused")
GOOD_ENDS = ("submitted", "autosubmission_max_steps", "autosubmission_wall_time")


def sparkline(values: list[float], direction: Direction | str, width: int = SPARK_WIDTH) -> str:
    """The last ``width`` scores as bars, higher meaning better for either direction."""
    values = [v for v in values if math.isfinite(v)][-width:]
    if not values:
        return ""
    if Direction.of(direction) is Direction.MIN:
        values = [-v for v in values]
    low, high = min(values), max(values)
    span = high - low
    return "".join(SPARK[0 if span == 0 else round((v - low) / span * (len(SPARK) - 1))] for v in values)


def clock(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class FleetScreen(Screen[None]):
    """See the module docstring."""

    BINDINGS = [
        Binding("enter", "open", "Open", id="fleet.open", tooltip="Watch this episode (follows it live)"),
        Binding("p", "pause", "Pause/Resume", id="fleet.pause", tooltip="Pause or resume the episode"),
        Binding("s", "stop", "Stop & submit", id="fleet.stop", tooltip="End the episode and submit its workspace"),
        Binding("i", "interject", "Interject", id="fleet.interject", tooltip="Send the agent a message"),
        Binding("o", "sort", "Sort", id="fleet.sort", tooltip="Sort by task, competitor, status, gain, cost"),
        Binding("f", "filter_status", "Filter", id="fleet.filter", tooltip="All, live, finished or failed episodes"),
        Binding("slash", "search", "Search", id="fleet.search", tooltip="Show rows containing a text"),
        Binding("escape", "back", "Back", id="fleet.back"),
    ]

    class RowsChanged(Message):
        """Rows that are new or changed, and keys of rows that went away (a queued cell that started)."""

        def __init__(self, rows: list[FleetRow], removed: list[str]) -> None:
            super().__init__()
            self.rows = rows
            self.removed = removed

    class BoardChanged(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, settings: WorkbenchSettings, folder: Path, *, poll: float | None = None,
                 attempts: int | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.folder = Path(folder)
        self.poll = poll
        self.attempts = attempts
        self.rows: dict[str, FleetRow] = {}
        self.rendered: dict[str, tuple[object, ...]] = {}
        self.order: list[str] = []
        self.sort_key = "task"
        self.status_filter = "all"
        self.search_text = ""
        self.watcher: FleetWatcher | None = None
        self.board_text = "AUP: no finished episode yet"
        self._finished_seen: frozenset[str] = frozenset()
        self.last_update = 0.0
        """Monotonic time the table last changed (the benchmark reads it)."""

    def compose(self) -> ComposeResult:
        yield Static(id="fleet-summary")
        yield Static(self.board_text, id="fleet-board")
        yield Input(placeholder="search: task, competitor, status, host …", id="fleet-search")
        yield DataTable(id="fleet-table", zebra_stripes=True, cursor_type="row")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        search = self.query_one("#fleet-search", Input)
        search.display = False
        search.cursor_blink = self.settings.cursor_blink
        self._summary()
        self._watch()
        self.set_interval(1.0, self._tick)
        table.focus()

    def on_unmount(self) -> None:
        if self.watcher is not None:
            self.watcher.stop.set()

    # -- reading (worker thread) -----------------------------------------------------------------
    @work(thread=True, exclusive=True, group="fleet-watch")
    def _watch(self) -> None:
        worker = get_current_worker()
        watcher = FleetWatcher(FleetIndex(self.folder),
                               lambda rows, removed: self.post_message(self.RowsChanged(rows, removed)),
                               poll=self.poll)
        self.watcher = watcher
        if worker.is_cancelled:
            return
        watcher.run()

    @work(thread=True, exclusive=True, group="fleet-board")
    def _score(self, folders: list[Path]) -> None:
        from mlgym_tui.core.scoring import load_runs, scoreboard

        runs = load_runs(folders)
        if not runs.runs:
            return
        board = scoreboard(runs, attempts=self.attempts)
        parts = []
        for table in board.measures.values():
            ranked = sorted(table.aup.items(), key=lambda item: -item[1])
            parts.append(f"{table.title}: " + "  ".join(f"{name} {value:.3f}" for name, value in ranked))
        text = f"AUP over {board.runs} finished episodes ({len(board.tasks)} tasks)\n" + "\n".join(parts)
        self.post_message(self.BoardChanged(text))

    # -- applying snapshots ----------------------------------------------------------------------
    @on(RowsChanged)
    def _rows_changed(self, message: RowsChanged) -> None:
        for key in message.removed:
            self.rows.pop(key, None)
        for row in message.rows:
            self.rows[row.key] = row
        self._redraw({row.key for row in message.rows})
        finished = frozenset(key for key, row in self.rows.items() if row.finished)
        if finished != self._finished_seen:
            self._finished_seen = finished
            folders = [row.folder for row in self.rows.values() if row.finished and row.folder is not None]
            self._score(folders)

    @on(BoardChanged)
    def _board_changed(self, message: BoardChanged) -> None:
        self.board_text = message.text
        self.query_one("#fleet-board", Static).update(message.text)

    def _tick(self) -> None:
        """Elapsed times of live episodes move every second even when nothing is written."""
        live = {key for key, row in self.rows.items() if row.status in LIVE}
        if live:
            self._redraw(live)

    def _visible(self) -> list[FleetRow]:
        rows = [row for row in self.rows.values() if self._passes(row)]
        return sorted(rows, key=self._sort_value)

    def _passes(self, row: FleetRow) -> bool:
        f = self.status_filter
        if f == "live" and row.status not in (*LIVE, "queued"):
            return False
        if f == "finished" and not row.finished:
            return False
        if f == "failed" and (not row.finished or (row.status in GOOD_ENDS and row.scores)):
            return False
        if self.search_text:
            hay = " ".join([row.task, row.competitor, row.status, row.host, row.key]).lower()
            return all(word in hay for word in self.search_text.lower().split())
        return True

    def _sort_value(self, row: FleetRow) -> tuple[object, ...]:
        base = (row.task, row.competitor, row.attempt if row.attempt is not None else 10**9, row.key)
        if self.sort_key == "competitor":
            return (row.competitor, row.task, *base[2:])
        if self.sort_key == "status":
            return (row.status, *base)
        if self.sort_key == "gain":
            gain = row.gain
            return (gain is None, -(gain or 0.0), *base)
        if self.sort_key == "cost":
            return (-row.cost, *base)
        return base

    def _styles(self) -> dict[str, Style]:
        variables = self.app.theme_variables
        return {name: theme_style(variables, name) for name in
                ("success", "error", "foreground-muted", "primary", "warning")}

    def _cells(self, row: FleetRow, now: float, styles: dict[str, Style]) -> tuple[object, ...]:
        gain = row.gain
        if gain is None:
            best: object = fmt(row.best)
            versus: object = "-" if row.baseline is None or row.best is None else "±0"
        else:
            style = styles["success" if gain > 0 else "error" if gain < 0 else "foreground-muted"]
            best = Text(fmt(row.best), style=style)
            versus = Text(f"{gain:+.3g}", style=style)
        status_style = styles[{"running": "primary", "paused": "warning", "queued": "foreground-muted"}
                              .get(row.status, "success" if row.status in GOOD_ENDS else "error")]
        steps = f"{row.step}/{row.max_steps}" if row.max_steps else (str(row.step) if row.step else "-")
        return (
            row.task, row.competitor, "-" if row.attempt is None else str(row.attempt),
            Text(row.status, style=status_style), steps, best, versus,
            f"${row.cost:.2f}" if row.cost else "-", clock(row.elapsed(now)),
            sparkline(row.scores, row.direction) + (f" ✗{row.invalid}" if row.invalid else ""), row.host or "-",
        )

    def _redraw(self, changed: set[str] | None = None) -> None:
        """Bring the table up to date; ``changed`` limits the cells recomputed to those rows (None: all)."""
        table = self.query_one(DataTable)
        now = self.settings.now()
        styles = self._styles()
        visible = self._visible()
        order = [row.key for row in visible]
        if order != self.order:
            cursor_key = self._cursor_key()
            table.clear()
            for row in visible:
                if changed is None or row.key in changed or row.key not in self.rendered:
                    self.rendered[row.key] = self._cells(row, now, styles)
                table.add_row(*self.rendered[row.key], key=row.key)
            self.order = order
            if cursor_key in order:
                table.move_cursor(row=order.index(cursor_key))
        else:
            for row in visible:
                if changed is not None and row.key not in changed:
                    continue
                cells = self._cells(row, now, styles)
                old = self.rendered.get(row.key)
                if old == cells:
                    continue
                for (column, _label), value, before in zip(COLUMNS, cells, old or (None,) * len(COLUMNS), strict=True):
                    if value != before:
                        table.update_cell(row.key, column, value)
                self.rendered[row.key] = cells
        self.last_update = time.monotonic()
        self._summary()

    def _summary(self) -> None:
        counts: dict[str, int] = {}
        for row in self.rows.values():
            group = row.status if row.status in (*LIVE, "queued") else "finished"
            counts[group] = counts.get(group, 0) + 1
        parts = [f"{counts[k]} {k}" for k in ("running", "paused", "starting", "queued", "finished") if counts.get(k)]
        shown = len(self.order)
        filters = []
        if self.status_filter != "all":
            filters.append(f"showing {self.status_filter}")
        if self.search_text:
            filters.append(f"matching {self.search_text!r}")
        mode = f" · {self.watcher.mode}" if self.watcher is not None else ""
        text = (f"{self.folder} · {len(self.rows)} episodes: " + (", ".join(parts) or "none yet")
                + f" · {shown} shown" + (f" ({'; '.join(filters)})" if filters else "")
                + f" · sorted by {self.sort_key}{mode}")
        self.query_one("#fleet-summary", Static).update(text)

    # -- actions ---------------------------------------------------------------------------------
    def _cursor_key(self) -> str | None:
        table = self.query_one(DataTable)
        if not self.order or table.cursor_row < 0 or table.cursor_row >= len(self.order):
            return None
        return self.order[table.cursor_row]

    def _selected(self) -> FleetRow | None:
        key = self._cursor_key()
        return self.rows.get(key) if key else None

    def action_open(self) -> None:
        row = self._selected()
        if row is None or row.folder is None or row.status == "queued":
            self.notify("This episode has not started yet.", severity="warning")
            return
        from mlgym_tui.tui.screens.replay import ReplayScreen

        self.app.push_screen(ReplayScreen(self.settings, row.folder, follow=True))

    @on(DataTable.RowSelected)
    def _row_selected(self, _event: DataTable.RowSelected) -> None:
        self.action_open()

    def _send(self, row: FleetRow, command: str, text: str | None = None) -> None:
        if row.folder is None or row.status == "queued":
            self.notify("This episode has not started yet.", severity="warning")
            return
        try:
            send_control(row.folder, command, text)
        except ControlRefused as exc:
            self.notify(str(exc), severity="error")
            return
        self.notify(f"{command} sent to {row.task} · {row.competitor} #{row.attempt}; it applies between steps",
                    timeout=3)

    def action_pause(self) -> None:
        row = self._selected()
        if row is not None:
            self._send(row, "resume" if row.status == "paused" else "pause")

    def action_stop(self) -> None:
        row = self._selected()
        if row is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._send(row, "stop")

        self.app.push_screen(
            ConfirmScreen(f"Stop {row.task} · {row.competitor} #{row.attempt} and submit its workspace?",
                          yes="Stop & submit", no="Keep running"),
            answered,
        )

    def action_interject(self) -> None:
        row = self._selected()
        if row is None:
            return

        def answered(text: str | None) -> None:
            if text and text.strip():
                self._send(row, "interject", text.strip())

        self.app.push_screen(PromptScreen(f"Message to the agent of {row.task} · {row.competitor}",
                                          cursor_blink=self.settings.cursor_blink), answered)

    def action_sort(self) -> None:
        self.sort_key = SORTS[(SORTS.index(self.sort_key) + 1) % len(SORTS)]
        self._redraw(set())

    def action_filter_status(self) -> None:
        self.status_filter = STATUS_FILTERS[(STATUS_FILTERS.index(self.status_filter) + 1) % len(STATUS_FILTERS)]
        self._redraw(set())

    def action_search(self) -> None:
        field = self.query_one("#fleet-search", Input)
        field.display = True
        field.focus()

    @on(Input.Changed, "#fleet-search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.search_text = event.value.strip()
        self._redraw(set())

    @on(Input.Submitted, "#fleet-search")
    def _search_done(self, _event: Input.Submitted) -> None:
        self.query_one(DataTable).focus()

    def action_back(self) -> None:
        field = self.query_one("#fleet-search", Input)
        if field.has_focus:
            field.value = ""
            field.display = False
            self.query_one(DataTable).focus()
            return
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()

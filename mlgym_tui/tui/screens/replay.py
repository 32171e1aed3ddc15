"""Replay: the same panels driven by a recorded trajectory, with a timeline to move through it.

The trajectory is indexed once (:mod:`mlgym_tui.core.trajectory_index`, a sidecar in the cache) and read
lazily: the first render, like any long jump, reads only what the bounded panels can show (the last
steps whole, plus what adds up over the run: evaluations, model calls, the end, the editor's last window),
so it costs what is on screen, not what is in the file. Stepping forward applies the events in between.
A run folder that is still being written is followed: new events appear as the recorder appends them.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.worker import get_current_worker

from mlgym_tui.core.events import Event, EventKind
from mlgym_tui.core.formats.loaded import FormatError
from mlgym_tui.core.trajectory import TrajectoryError
from mlgym_tui.core.trajectory_index import KIND_CODE, TrajectoryIndex
from mlgym_tui.tui.feed import EventFeed
from mlgym_tui.tui.replay_source import RecordedRun, opens_at_once
from mlgym_tui.tui.screens.dialogs import MessageScreen, PromptScreen
from mlgym_tui.tui.screens.episode import EpisodeScreen, PaletteCommand
from mlgym_tui.tui.settings import WorkbenchSettings
from mlgym_tui.tui.widgets.timeline import Timeline
from mlgym_tui.tui.widgets.workbench import Workbench

SPEEDS = [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0]
FOLLOW_POLL = 0.25
SEARCHED = (EventKind.ACTION, EventKind.THOUGHT, EventKind.OUTPUT, EventKind.OBSERVATION, EventKind.INTERVENTION)
SEARCHED_CODES = {KIND_CODE[k] for k in SEARCHED}
INCREMENTAL_EVENTS = 400
"""Moving forward over at most this many events applies them; a longer jump reads only what is shown."""


@dataclass(frozen=True)
class Loaded:
    """A step read into the panels' models (:meth:`ReplayScreen._load`), not yet painted."""

    reset: bool
    """The panels were emptied first (a catch-up): the status bar starts over too."""
    status: list[Event]
    """The events the status bar must see."""


class ReplayScreen(EpisodeScreen):
    """See the module docstring."""

    BINDINGS = [
        Binding("space", "toggle_play", "Play/Pause", id="replay.play", priority=True, tooltip="Play the steps at the chosen speed"),
        Binding("right", "step(1)", "Next step", id="replay.next", priority=True),
        Binding("left", "step(-1)", "Previous step", id="replay.previous", priority=True),
        Binding("pagedown,shift+right", "step(10)", "+10 steps", id="replay.forward10", priority=True, show=False),
        Binding("pageup,shift+left", "step(-10)", "−10 steps", id="replay.back10", priority=True, show=False),
        Binding("home", "jump(0)", "Start", id="replay.start", priority=True, show=False),
        Binding("end", "jump(-1)", "End", id="replay.end", priority=True, show=False),
        Binding("plus,equals_sign", "speed(1)", "Faster", id="replay.faster", show=False),
        Binding("minus", "speed(-1)", "Slower", id="replay.slower", show=False),
        Binding("v", "next_marker('validation')", "Next validation", id="replay.next_validation"),
        Binding("x", "next_marker('error')", "Next error", id="replay.next_error"),
        Binding("slash", "search", "Search", id="replay.search"),
        Binding("n", "search_next", "Next match", id="replay.search_next", show=False),
        Binding("f", "toggle_follow", "Follow", id="replay.follow", tooltip="Keep showing the newest step"),
        Binding("escape", "back", "Back", id="replay.back"),
    ]

    def __init__(self, settings: WorkbenchSettings, path: Path, *, follow: bool = True,
                 at: str | int | None = None, **kwargs: object) -> None:
        """``at``: the step shown first — ``start``, ``end`` or a step number; None opens a finished run at
        its start (a replay is watched from the beginning) and a run still being written at its newest
        step (following it)."""
        super().__init__(settings, **kwargs)
        self.path = Path(path)
        self.follow = follow
        self.at = at
        self.feed = EventFeed()  # unused by the replay itself; its presence starts the drain timer
        self.run: RecordedRun | None = None
        self.position = 0
        self.shown = 0
        """Events up to this index are reflected in the panels."""
        self.loaded = False
        self._last_time: float | None = None
        self._last_poll = 0.0
        self._play_timer: Timer | None = None
        self._speed = SPEEDS.index(2.0)
        self._query = ""
        self._first: Loaded | None = None

    @property
    def run_folder(self) -> Path:
        return self.path if self.path.is_dir() else self.path.parent

    @property
    def index(self) -> TrajectoryIndex | None:
        return self.run.index if self.run else None

    @property
    def ends(self) -> list[int]:
        """``ends[s]``: index after the last event of step ``s`` (events of steps ≤ s)."""
        return self.run.ends if self.run else []

    def compose_controls(self) -> ComposeResult:
        yield Timeline(id="timeline")

    @property
    def timeline(self) -> Timeline:
        return self.query_one("#timeline", Timeline)

    @property
    def last_step(self) -> int:
        return max(len(self.ends) - 1, 0)

    def compose_workbench(self) -> Workbench:
        """The workbench, already holding the first step's view when the run opens at once: its panels
        then compose with their content (cards, lines) and the screen is laid out and painted once."""
        workbench = super().compose_workbench()
        if opens_at_once(self.path):
            try:
                run = RecordedRun(self.path)
            except (OSError, TrajectoryError, FormatError):
                return workbench  # the worker tries again and says why
            self.run = run
            self._first = self._load(self._first_step(run), workbench)
        return workbench

    def on_mount(self) -> None:
        super().on_mount()
        if self.run is not None:
            first, self._first = self._first, None
            self._opened(self.run, first)
        else:
            self._open()

    def now(self) -> float:
        return self._last_time if self._last_time is not None else self.settings.now()

    # -- reading -------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="replay-read", exit_on_error=False)
    def _open(self) -> None:
        """Import (a .traj) and index the trajectory off the UI thread; the panels then read lazily."""
        try:
            run = RecordedRun(self.path)
        except (OSError, TrajectoryError, FormatError) as exc:
            self.app.call_from_thread(self.app.push_screen, MessageScreen("Cannot replay", str(exc)))
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._opened, run)

    def _opened(self, run: RecordedRun, loaded: Loaded | None = None) -> None:
        """Show the opened run; ``loaded``: its first step, already read into the panels."""
        self.run = run
        self.path = run.path
        index = run.index
        self._mark()
        self.loaded = True
        if index.problems:
            self.notify("\n".join(index.problems[:5]), title=f"{len(index.problems)} lines skipped", severity="warning")
        finished = run.finished
        self.timeline.update_state(finished=finished, following=self.follow and not finished)
        if loaded is None:
            self.seek(self._first_step(run))
        else:
            self._show(loaded)

    def _first_step(self, run: RecordedRun) -> int:
        at = self.at if self.at is not None else ("start" if run.finished else "end")
        return 0 if at == "start" else self.last_step if at == "end" else int(at)

    def drain(self) -> None:
        """Timer: finish painting, and (following) index what the recorder appended since."""
        if self._more:
            self._more = self.workbench.flush()
        run = self.run
        if run is None or not self.follow or self.timeline.state.finished:
            return
        moment = time.monotonic()
        if moment - self._last_poll < FOLLOW_POLL:
            return
        self._last_poll = moment
        finished = run.finished  # checked before reading: the last events are in the file by then
        at_end = self.position >= self.last_step
        try:
            added = run.refresh()
        except (OSError, TrajectoryError) as exc:
            self.notify(str(exc), title="Cannot follow", severity="error")
            self.timeline.update_state(finished=True, following=False)
            return
        if added:
            self._mark()
            if at_end and self.timeline.state.following:
                self.seek(self.last_step)
            else:
                self._sync_timeline()
        if finished:
            run.index.save()
            if self.timeline.state.following:
                self.seek(self.last_step)
            self.timeline.update_state(finished=True, following=False)

    def _mark(self) -> None:
        """The timeline's validation and error marks, from the run's index."""
        assert self.run is not None
        self.timeline.state.validations = self.run.validations
        self.timeline.state.errors = self.run.errors

    # -- moving --------------------------------------------------------------------------------
    def seek(self, step: int) -> None:
        """Show the state after ``step``: the events in between when moving a little forward, else a
        catch-up read of only what the panels can show (:meth:`RecordedRun.catch_up`)."""
        if self.run is None or self.index is None:
            return
        self._show(self._load(step, self.workbench))

    def _load(self, step: int, workbench: Workbench) -> Loaded:
        """Bring the panels' models to the state after ``step`` (nothing painted: the workbench need not
        be mounted yet); returns what the status bar must see."""
        assert self.run is not None and self.index is not None
        step = max(0, min(step, self.last_step))
        target = self.ends[step] if self.ends else 0
        if self.shown <= target and target - self.shown <= INCREMENTAL_EVENTS:
            batch = self.index.range(self.shown, target)
            loaded = Loaded(reset=False, status=batch)
        else:
            workbench.reset()
            catch = self.run.catch_up(step, self.settings.reasoning_steps)
            for event in catch.editor:
                workbench.editor.apply(event)
            batch = catch.events
            loaded = Loaded(reset=True, status=[*catch.status, *batch])
        workbench.apply(batch)
        if batch:
            self._last_time = batch[-1].time
        self.shown = target
        self.position = step
        return loaded

    def _show(self, loaded: Loaded) -> None:
        """Paint what :meth:`_load` read."""
        bar = self.status_bar
        if loaded.reset:
            bar.reset()
        for event in loaded.status:
            bar.apply(event)
        self._more = self.workbench.flush()
        bar.refresh_status(self.now())
        self._sync_timeline()

    def _sync_timeline(self) -> None:
        self.timeline.update_state(position=self.position, last=self.last_step)

    def action_step(self, delta: int) -> None:
        self._stop_following()
        self.seek(self.position + delta)

    def action_jump(self, step: int) -> None:
        self._stop_following()
        self.seek(self.last_step if step < 0 else step)

    @on(Timeline.Seek)
    def _clicked(self, message: Timeline.Seek) -> None:
        self._stop_following()
        self.seek(message.step)

    def action_toggle_play(self) -> None:
        if self._play_timer is not None:
            self._stop_playing()
            return
        if self.position >= self.last_step:
            self.seek(0)
        self._play_timer = self.set_interval(1 / SPEEDS[self._speed], self._play_tick)
        self.timeline.update_state(playing=True)

    def _play_tick(self) -> None:
        if self.position < self.last_step:
            self.seek(self.position + 1)
        if self.position >= self.last_step:
            self._stop_playing()

    def _stop_playing(self) -> None:
        if self._play_timer is not None:
            self._play_timer.stop()
            self._play_timer = None
        self.timeline.update_state(playing=False)

    def action_speed(self, delta: int) -> None:
        self._speed = max(0, min(len(SPEEDS) - 1, self._speed + delta))
        self.timeline.update_state(speed=SPEEDS[self._speed])
        if self._play_timer is not None:
            self._stop_playing()
            self.action_toggle_play()

    def action_next_marker(self, which: str) -> None:
        marks = self.timeline.state.validations if which == "validation" else self.timeline.state.errors
        later = sorted(s for s in marks if s > self.position)
        if not later:
            self.notify(f"No {which} after step {self.position}.", timeout=2)
            return
        self._stop_following()
        self.seek(later[0])

    def action_toggle_follow(self) -> None:
        following = not self.timeline.state.following
        self.timeline.update_state(following=following)
        if following:
            self.seek(self.last_step)

    def _stop_following(self) -> None:
        if self.timeline.state.following:
            self.timeline.update_state(following=False)

    def action_search(self) -> None:
        def done(query: str | None) -> None:
            if query and query.strip():
                self._query = query.strip()
                self.timeline.update_state(search=self._query)
                self.action_search_next()

        self.app.push_screen(PromptScreen("Search the trajectory", "text in actions, thoughts and output",
                                          value=self._query, cursor_blink=self.settings.cursor_blink), done)

    def action_search_next(self) -> None:
        if not self._query or self.index is None:
            return
        index = self.index
        needle = self._query.lower()
        raw_needle = needle.encode()
        fast = needle.isascii() and needle.isprintable() and '"' not in needle and "\\" not in needle
        start = self.ends[self.position] if self.ends else 0
        with index.path.open("rb") as f:
            for order in (range(start, len(index)), range(0, start)):
                for i in order:
                    if index.kinds[i] not in SEARCHED_CODES:
                        continue
                    f.seek(index.offsets[i])
                    line = f.read(index.lengths[i])
                    if fast and raw_needle not in line.lower():
                        continue  # the needle has no character JSON escapes: absent from the raw line
                    [event] = index.read([i]) or [None]
                    if event is not None and any(needle in str(v).lower() for v in event.data.values() if isinstance(v, str)):
                        self._stop_following()
                        self.seek(bisect_right(self.ends, i))
                        return
        self.notify(f"“{self._query}” not found.", timeout=2)

    def action_back(self) -> None:
        self.app.pop_screen()

    def palette_commands(self) -> list[PaletteCommand]:
        return [
            ("Replay: Play or pause", "play the steps", self.action_toggle_play),
            ("Replay: Start", "jump to the first step", lambda: self.action_jump(0)),
            ("Replay: End", "jump to the last step", lambda: self.action_jump(-1)),
            ("Replay: Next validation", "jump to the next validation", lambda: self.action_next_marker("validation")),
            ("Replay: Next error", "jump to the next failed command or error", lambda: self.action_next_marker("error")),
            ("Replay: Search", "find text in actions, thoughts and output", self.action_search),
            ("Replay: Follow", "keep showing the newest step of a run being written", self.action_toggle_follow),
            *super().palette_commands(),
        ]

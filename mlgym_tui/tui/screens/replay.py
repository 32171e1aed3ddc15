"""Replay: the same panels driven by a recorded trajectory, with a timeline to move through it.

Seeking forward applies only the events in between; seeking backward resets the panels and applies the
events up to the new position in one batch (panels keep bounded models, so that costs one repaint). A
run folder that is still being written is followed: new events appear as the recorder appends them.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.worker import get_current_worker

from mlgym_tui.core.events import Event, EventKind
from mlgym_tui.core.formats.loaded import FormatError
from mlgym_tui.core.formats.replayable import replayable
from mlgym_tui.core.observations import step_outcome
from mlgym_tui.core.trajectory import TrajectoryError
from mlgym_tui.tui.feed import EventFeed
from mlgym_tui.tui.replay_source import TrajectoryTail
from mlgym_tui.tui.screens.dialogs import MessageScreen, PromptScreen
from mlgym_tui.tui.screens.episode import EpisodeScreen, PaletteCommand
from mlgym_tui.tui.settings import WorkbenchSettings
from mlgym_tui.tui.widgets.timeline import Timeline

SPEEDS = [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0]
FOLLOW_POLL = 0.25
SEARCHED = (EventKind.ACTION, EventKind.THOUGHT, EventKind.OUTPUT, EventKind.OBSERVATION, EventKind.INTERVENTION)


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

    def __init__(self, settings: WorkbenchSettings, path: Path, *, follow: bool = True, **kwargs: object) -> None:
        super().__init__(settings, **kwargs)
        self.path = Path(path)
        self.follow = follow
        self.feed = EventFeed()
        self.ends: list[int] = []
        """``ends[s]``: index after the last event of step ``s`` (events of steps ≤ s)."""
        self.position = 0
        self.shown = 0
        """Events applied to the panels so far."""
        self.tail: TrajectoryTail | None = None
        self.loaded = False
        self._play_timer: Timer | None = None
        self._speed = SPEEDS.index(2.0)
        self._query = ""

    @property
    def run_folder(self) -> Path:
        return self.path if self.path.is_dir() else self.path.parent

    def compose_controls(self) -> ComposeResult:
        yield Timeline(id="timeline")

    @property
    def timeline(self) -> Timeline:
        return self.query_one("#timeline", Timeline)

    @property
    def last_step(self) -> int:
        return max(len(self.ends) - 1, 0)

    def on_mount(self) -> None:
        super().on_mount()
        self._read()

    def now(self) -> float:
        return self.events[self.shown - 1].time if self.shown else self.settings.now()

    # -- reading -------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="replay-read", exit_on_error=False)
    def _read(self) -> None:
        """Read everything there is, then (following) poll for more until the run is finished."""
        worker = get_current_worker()
        try:
            self.path = replayable(self.path)  # a .traj or raw MLGym folder: imported into the cache once
            tail = self.tail = TrajectoryTail(self.path)
            self.feed.put_many(tail.poll())
            while self.follow and not tail.finished and not worker.is_cancelled:
                time.sleep(FOLLOW_POLL)
                self.feed.put_many(tail.poll())
            self.feed.put_many(tail.poll())
        except (OSError, TrajectoryError, FormatError) as exc:
            self.app.call_from_thread(self.app.push_screen, MessageScreen("Cannot replay", str(exc)))
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._finished)

    def _finished(self) -> None:
        self.drain()  # the last events, shown before following stops
        self.timeline.update_state(finished=True, following=False)

    def drain(self) -> None:
        """New events join the timeline; the panels follow them only at the end (or when following)."""
        events = self.feed.drain()
        if events:
            at_end = self.position >= self.last_step
            first_load = not self.loaded
            self._index(events)
            if first_load:
                self.loaded = True
                problems = self.tail.problems if self.tail else []
                if problems:
                    self.notify("\n".join(problems[:5]), title=f"{len(problems)} lines skipped", severity="warning")
                self.timeline.update_state(finished=bool(self.tail and self.tail.finished),
                                           following=self.follow and not (self.tail and self.tail.finished))
                self.seek(self.last_step)
            elif at_end and self.timeline.state.following:
                self.seek(self.last_step)
            else:
                self._sync_timeline()
        elif self._more:
            self._more = self.workbench.flush()

    def _index(self, events: list[Event]) -> None:
        base = len(self.events)
        self.events.extend(events)
        validations = self.timeline.state.validations
        errors = self.timeline.state.errors
        for i, event in enumerate(events, start=base):
            step = max(event.step, len(self.ends) - 1, 0)
            while len(self.ends) <= step:
                self.ends.append(self.ends[-1] if self.ends else 0)
            self.ends[step] = i + 1
            if event.kind in (EventKind.VALIDATION, EventKind.SUBMISSION):
                validations.add(event.step)
                if not event.data.get("valid"):
                    errors.add(event.step)  # an invalid validation is an error too: `x` stops there
            elif event.kind in (EventKind.ERROR, EventKind.FORMAT_ERROR) or (
                event.kind is EventKind.OBSERVATION and event.step > 0 and step_outcome(event.data).failed
            ):
                errors.add(event.step)

    # -- moving --------------------------------------------------------------------------------
    def seek(self, step: int) -> None:
        step = max(0, min(step, self.last_step))
        target = self.ends[step] if self.ends else 0
        if target < self.shown:
            self.workbench.reset()
            self.status_bar.reset()
            self.shown = 0
        batch = self.events[self.shown : target]
        for event in batch:
            self.status_bar.apply(event)
        self.shown = target
        self.position = step
        self._more = self.workbench.feed(batch)
        self.status_bar.refresh_status(self.now())
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
        if not self._query:
            return
        needle = self._query.lower()
        start = self.ends[self.position] if self.ends else 0
        for order in (range(start, len(self.events)), range(0, start)):
            for i in order:
                e = self.events[i]
                if e.kind in SEARCHED and any(needle in str(v).lower() for v in e.data.values() if isinstance(v, str)):
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

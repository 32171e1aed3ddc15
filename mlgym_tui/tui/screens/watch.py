"""Watch: an agent works live in the four panels, and a person can step in.

Pause / resume and single step gate the agent's next action; approve mode makes every proposal wait
for approve / edit / reject; interject sends the agent a message; take over hands the keyboard the
controls until control is handed back; stop-and-submit ends the episode with what is in the workspace.
Each of these is recorded as an ``intervention`` event by :class:`~mlgym_tui.tui.control.LiveControl`.
"""

from __future__ import annotations

import time

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.worker import Worker, WorkerState

from mlgym_tui.core.events import Event, EventKind
from mlgym_tui.tui.control import Decision
from mlgym_tui.tui.live import LiveEpisode
from mlgym_tui.tui.screens.dialogs import ConfirmScreen, EditActionScreen, MessageScreen, PromptScreen
from mlgym_tui.tui.screens.episode import PaletteCommand
from mlgym_tui.tui.screens.live_episode import LiveEpisodeScreen
from mlgym_tui.tui.settings import WorkbenchSettings
from mlgym_tui.tui.widgets.control_bar import ControlBar
from mlgym_tui.tui.widgets.shell_input import ShellInput
from mlgym_tui.tui.widgets.workbench import panel_bindings

DECIDED = {"approved", "edited", "rejected", "dropped"}
PACES = [0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0]
"""The steps of the pace keys (seconds between two of the agent's actions)."""
DECISION_GUARD = 0.3
"""Seconds a new proposal is on screen before a key can decide it, and the least gap between two decision
keys that count: the tail of a burst of ``y`` never decides a proposal the person has not seen."""
THINKING_AFTER = 0.5
"""Seconds a model call runs before the bar shows the spinner (quick agents do not flicker)."""


class WatchScreen(LiveEpisodeScreen):
    """See the module docstring. ``episode`` None shows ``preset`` events only (tests, demos)."""

    BINDINGS = [
        Binding("space", "toggle_pause", "Pause/Resume", id="watch.pause", tooltip="Hold the agent's next action"),
        Binding("n", "single_step", "Step", id="watch.step", tooltip="While paused: let one action through"),
        Binding("a", "toggle_approve", "Approve mode", id="watch.approve_mode",
                tooltip="Every proposed action waits for approve / edit / reject"),
        Binding("y", "approve", "Approve", id="watch.approve", tooltip="Run the proposed action"),
        Binding("e", "edit", "Edit", id="watch.edit", tooltip="Edit the proposed action, then run it"),
        Binding("r", "reject", "Reject", id="watch.reject", tooltip="Refuse the proposed action"),
        Binding("i", "interject", "Interject", id="watch.interject", tooltip="Send the agent a message"),
        Binding("ctrl+t", "take_over", "Take over", id="watch.take_over",
                tooltip="Control the episode from the keyboard; again to hand back"),
        Binding("s", "stop", "Stop & submit", id="watch.stop", tooltip="End now and submit the workspace"),
        Binding("plus,equals_sign", "pace(1)", "Slower", id="watch.slower", show=False,
                tooltip="More seconds between the agent's actions (a demo you can follow)"),
        Binding("minus", "pace(-1)", "Faster", id="watch.faster", show=False,
                tooltip="Fewer seconds between the agent's actions"),
        Binding("escape", "back", "Back", id="watch.back", tooltip="Back to the home screen"),
        *panel_bindings("watch"),
    ]

    def __init__(
        self,
        settings: WorkbenchSettings,
        episode: LiveEpisode | None = None,
        preset: list[Event] | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(settings, episode, preset, **kwargs)
        self.awaiting: str | None = None
        """The proposal on screen, as the bar shows it (from its ``approval_requested`` event)."""
        self.awaiting_id: int | None = None
        self._awaiting_since = 0.0
        self._last_decision_key = 0.0
        self._tick = 0

    @property
    def control(self):  # noqa: ANN201 - LiveControl | None
        return self.episode.control if self.episode is not None else None

    @property
    def human_in_control(self) -> bool:
        return self.episode is not None and self.episode.agent.human_in_control

    def compose_controls(self) -> ComposeResult:
        yield ControlBar(id="control-bar")
        shell_input = ShellInput(id="shell-input")
        shell_input.cursor_blink = self.settings.cursor_blink
        shell_input.display = False
        yield shell_input

    def on_mount(self) -> None:
        super().on_mount()
        self._spinning = False
        self._update_controls()
        self.set_interval(0.25, self._spin)
        self.start_episode()

    # -- the stream ----------------------------------------------------------------------------
    def on_events(self, events: list[Event]) -> None:
        changed = False
        for event in events:
            if event.kind is EventKind.INTERVENTION:
                action = event.data.get("action")
                if action == "approval_requested":
                    self.awaiting = str(event.data.get("proposed", ""))
                    self.awaiting_id = event.data.get("proposal")  # type: ignore[assignment]
                    self._awaiting_since = time.monotonic()
                    changed = True
                elif action in DECIDED and event.data.get("proposal", self.awaiting_id) == self.awaiting_id:
                    self.awaiting = self.awaiting_id = None
                    changed = True
                elif action == "pace":
                    changed = True
            elif event.kind is EventKind.EPISODE_ENDED:
                self.ended = True
                self.awaiting = None
                changed = True
            elif event.kind is EventKind.OBSERVATION and event.data.get("tool") is None and not self.ended:
                self._check_disk()
        if changed:
            self._update_controls()

    def _thinking(self) -> float | None:
        """Seconds the agent's model call has been running, once it has run a moment."""
        since = self.episode.agent.acting_since if self.episode is not None else None
        if since is None:
            return None
        seconds = time.monotonic() - since
        return seconds if seconds >= THINKING_AFTER else None

    def _spin(self) -> None:
        """Timer: keep the spinner and its seconds moving while a model call is in flight."""
        self._tick += 1
        if self.awaiting is None and not self.ended and (self._thinking() is not None or self._spinning):
            self._update_controls()

    def _check_disk(self) -> None:
        """After a shell command, the editor shows the open file as it is on disk (a ``sed`` by the
        agent or by a person in control changes it without an editor event)."""
        path = self.workbench.editor.model.path
        if path and self.episode is not None and self.episode.session is not None:
            self._read_open_file(path)

    @work(thread=True, group="editor-io", exit_on_error=False)
    def _read_open_file(self, path: str) -> None:
        assert self.episode is not None
        try:
            text = self.episode.read_file(path)
        except (OSError, UnicodeError):
            return
        self.app.call_from_thread(self.workbench.editor.show_disk_text, path, text)

    def _update_controls(self) -> None:
        control = self.control
        paused = bool(control and control.paused)
        human = self.human_in_control
        thinking = self._thinking()
        self._spinning = thinking is not None
        self.query_one(ControlBar).show_state(awaiting=self.awaiting, paused=paused, human=human, ended=self.ended,
                                              thinking=thinking, tick=self._tick)
        shell_input = self.query_one(ShellInput)
        shell_input.display = human and not self.ended
        status = self.status_bar
        status.set_flag("PAUSED", paused and not self.ended)
        status.set_flag("APPROVE", bool(control and control.approve) and not self.ended)
        status.set_flag("YOU", human and not self.ended)
        pace = control.pace if control is not None else 0.0
        for flag in [f for f in status.model.flags if f.startswith("PACE ")]:
            status.set_flag(flag, False)
        status.set_flag(f"PACE {pace:g}s", pace > 0 and not self.ended)
        status.refresh_status(self.now())
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        live = self.control is not None and not self.ended
        if action in ("approve", "edit", "reject"):
            return live and self.awaiting is not None
        if action == "single_step":
            return live and bool(self.control and self.control.paused)
        if action in ("toggle_pause", "toggle_approve", "take_over", "stop", "interject", "pace"):
            return live or None
        return True

    @on(Worker.StateChanged)
    def _episode_state(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "episode":
            return
        if event.state is WorkerState.SUCCESS and self.episode and self.episode.folder:
            self.notify(f"Run folder: {self.episode.folder}", title="Episode finished", timeout=8)
        elif event.state is WorkerState.ERROR:
            self.ended = True
            self._update_controls()
            error = event.worker.error
            self.app.push_screen(MessageScreen("The episode could not run", f"{type(error).__name__}: {error}"))

    # -- controls ------------------------------------------------------------------------------
    def action_toggle_pause(self) -> None:
        if self.control is not None:
            self.control.toggle_pause()
            self._update_controls()

    def action_single_step(self) -> None:
        if self.control is not None:
            self.control.step_once()

    def action_toggle_approve(self) -> None:
        if self.control is not None:
            self.control.set_approve(not self.control.approve)
            self._update_controls()

    def _decidable(self) -> bool:
        """A proposal is on screen, long enough to be the one the key is meant for, and the key is not
        the tail of a burst (a decision key within the guard of the previous one is ignored)."""
        now = time.monotonic()
        burst = now - self._last_decision_key < DECISION_GUARD
        self._last_decision_key = now
        return (self.control is not None and self.awaiting is not None and not burst
                and now - self._awaiting_since >= DECISION_GUARD)

    def _decide(self, decision: Decision) -> None:
        """One proposal, one decision: the bar clears at once, so later keys find nothing to decide."""
        assert self.control is not None
        if self.control.decide(decision):
            self.awaiting = self.awaiting_id = None
            self._update_controls()
        else:
            self.notify("That proposal was already decided.", severity="warning", timeout=3)

    def action_approve(self) -> None:
        if self._decidable():
            self._decide(Decision("approve", proposal=self.awaiting_id))

    def action_reject(self) -> None:
        if self._decidable():
            self._decide(Decision("reject", proposal=self.awaiting_id))

    def action_edit(self) -> None:
        if not self._decidable() or self.awaiting is None:
            return
        proposal, shown = self.awaiting_id, self.awaiting

        def done(text: str | None) -> None:
            if text is None or self.control is None:
                return
            if proposal != self.awaiting_id:
                self.notify("That proposal was already decided; your edit was not run.", severity="warning")
                return
            self._decide(Decision("edit", text, proposal=proposal))

        self.app.push_screen(EditActionScreen(shown, cursor_blink=self.settings.cursor_blink), done)

    def action_pace(self, direction: int) -> None:
        if self.control is None:
            return
        current = self.control.pace
        if direction > 0:
            pace = next((p for p in PACES if p > current), PACES[-1])
        else:
            pace = next((p for p in reversed(PACES) if p < current), 0.0)
        self.control.set_pace(pace)
        self.notify(f"Pace: {pace:g} s between actions" if pace else "Pace: as fast as the agent goes", timeout=1.5)
        self._update_controls()

    def action_interject(self) -> None:
        if self.control is None or self.episode is None:
            return
        control = self.control
        if not self.episode.agent.can_interject:
            self.notify(f"The {self.episode.agent.name} agent cannot take messages; ctrl+t takes over instead.",
                        severity="warning", timeout=5)
            return

        def done(text: str | None) -> None:
            if text and text.strip():
                if control.interject(text.strip()):
                    self.notify("The agent sees your message with its next observation.", timeout=3)
                else:
                    self.notify("This agent does not take messages.", severity="warning")

        self.app.push_screen(
            PromptScreen("Message to the agent", "the agent reads this with its next observation",
                         cursor_blink=self.settings.cursor_blink),
            done,
        )

    def action_take_over(self) -> None:
        if self.control is None:
            return
        if self.human_in_control:
            self.control.hand_back()
            self.notify("Control is back with the agent.", timeout=2)
        else:
            self.control.take_over()
        self._update_controls()
        if self.human_in_control:
            self.query_one(ShellInput).focus()

    @on(ShellInput.CommandEntered)
    def _command(self, event: ShellInput.CommandEntered) -> None:
        if self.control is not None and self.human_in_control:
            self.control.send(event.command)

    def action_stop(self) -> None:
        if self.control is None:
            return
        control = self.control

        def done(yes: bool | None) -> None:
            if yes:
                control.stop("stop and submit from the workbench", submit=True)
                self.notify("Submitting after the current command (recorded as your submission).", timeout=4)
                self._update_controls()

        self.app.push_screen(
            ConfirmScreen("Stop the agent and submit the workspace as it is now? This ends the episode.",
                          yes="Stop and submit", no="Keep going"),
            done,
        )


    def palette_commands(self) -> list[PaletteCommand]:
        return [
            ("Watch: Pause or resume", "hold the agent's next action", self.action_toggle_pause),
            ("Watch: Single step", "while paused, let one action through", self.action_single_step),
            ("Watch: Toggle approve mode", "every proposal waits for approve / edit / reject", self.action_toggle_approve),
            ("Watch: Interject", "send the agent a message", self.action_interject),
            ("Watch: Take over or hand back", "control the episode from the keyboard", self.action_take_over),
            ("Watch: Stop and submit", "end now and submit the workspace", self.action_stop),
            ("Watch: Slower", "more seconds between the agent's actions (+)", lambda: self.action_pace(1)),
            ("Watch: Faster", "fewer seconds between the agent's actions (-)", lambda: self.action_pace(-1)),
            *super().palette_commands(),
        ]

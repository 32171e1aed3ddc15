"""Watch: an agent works live in the four panels, and a person can step in.

Pause / resume and single step gate the agent's next action; approve mode makes every proposal wait
for approve / edit / reject; interject sends the agent a message; take over hands the keyboard the
controls until control is handed back; stop-and-submit ends the episode with what is in the workspace.
Each of these is recorded as an ``intervention`` event by :class:`~mlgym_tui.tui.control.LiveControl`.
"""

from __future__ import annotations

from textual import on
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
        self.ended = False

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
        self._update_controls()
        if self.episode is not None:
            self.run_worker(self.episode.run, thread=True, exclusive=True, group="episode", name="episode",
                            exit_on_error=False)

    # -- the stream ----------------------------------------------------------------------------
    def on_events(self, events: list[Event]) -> None:
        changed = False
        for event in events:
            if event.kind is EventKind.INTERVENTION:
                action = event.data.get("action")
                if action == "approval_requested":
                    self.awaiting = str(event.data.get("proposed", ""))
                    changed = True
                elif action in DECIDED:
                    self.awaiting = None
                    changed = True
            elif event.kind is EventKind.EPISODE_ENDED:
                self.ended = True
                self.awaiting = None
                changed = True
        if changed:
            self._update_controls()

    def _update_controls(self) -> None:
        control = self.control
        paused = bool(control and control.paused)
        human = self.human_in_control
        self.query_one(ControlBar).show_state(awaiting=self.awaiting, paused=paused, human=human, ended=self.ended)
        shell_input = self.query_one(ShellInput)
        shell_input.display = human and not self.ended
        status = self.status_bar
        status.set_flag("PAUSED", paused and not self.ended)
        status.set_flag("APPROVE", bool(control and control.approve) and not self.ended)
        status.set_flag("YOU", human and not self.ended)
        status.refresh_status(self.now())
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        live = self.control is not None and not self.ended
        if action in ("approve", "edit", "reject"):
            return live and self.awaiting is not None
        if action == "single_step":
            return live and bool(self.control and self.control.paused)
        if action == "interject":
            return live and self.episode is not None and self.episode.agent.can_interject
        if action in ("toggle_pause", "toggle_approve", "take_over", "stop"):
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

    def action_approve(self) -> None:
        if self.control is not None:
            self.control.decide(Decision("approve"))

    def action_reject(self) -> None:
        if self.control is not None:
            self.control.decide(Decision("reject"))

    def action_edit(self) -> None:
        if self.control is None or self.awaiting is None:
            return
        control = self.control

        def done(text: str | None) -> None:
            if text is not None:
                control.decide(Decision("edit", text))

        self.app.push_screen(EditActionScreen(self.awaiting, cursor_blink=self.settings.cursor_blink), done)

    def action_interject(self) -> None:
        if self.control is None:
            return
        control = self.control

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
                control.stop()
                self.notify("Stopping after the current command; the workspace is submitted.", timeout=4)
                self._update_controls()

        self.app.push_screen(ConfirmScreen("Stop the episode and submit the current workspace?"), done)


    def palette_commands(self) -> list[PaletteCommand]:
        return [
            ("Watch: Pause or resume", "hold the agent's next action", self.action_toggle_pause),
            ("Watch: Single step", "while paused, let one action through", self.action_single_step),
            ("Watch: Toggle approve mode", "every proposal waits for approve / edit / reject", self.action_toggle_approve),
            ("Watch: Interject", "send the agent a message", self.action_interject),
            ("Watch: Take over or hand back", "control the episode from the keyboard", self.action_take_over),
            ("Watch: Stop and submit", "end now and submit the workspace", self.action_stop),
            *super().palette_commands(),
        ]

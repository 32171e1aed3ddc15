"""Human: a person attempts the task in the same four panels, with a command line and an editable editor.

Everything the person does becomes an action of :class:`~mlgym_tui.agents.human.HumanAgent`, so the
trajectory is recorded and graded exactly as an agent's and human baselines compare with agents'. The
clock runs against the task's wall-time limit; pausing it is recorded and left out of the limit.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.worker import Worker, WorkerState

from mlgym_tui.agents.human import Stop
from mlgym_tui.core.events import Event, EventKind
from mlgym_tui.core.exits import ExitStatus
from mlgym_tui.tui.live import LiveEpisode
from mlgym_tui.tui.screens.dialogs import ConfirmScreen, MessageScreen, PromptScreen
from mlgym_tui.tui.screens.episode import PaletteCommand
from mlgym_tui.tui.screens.live_episode import LiveEpisodeScreen
from mlgym_tui.tui.settings import WorkbenchSettings
from mlgym_tui.tui.widgets.human_editor import HumanEditorPanel
from mlgym_tui.tui.widgets.shell_input import ShellInput
from mlgym_tui.tui.widgets.workbench import Workbench


class HumanScreen(LiveEpisodeScreen):
    """See the module docstring. ``episode`` None shows ``preset`` events only (tests)."""

    LEAVE_QUESTION = "Your attempt is running. Stop it (submitting the workspace) and leave?"

    BINDINGS = [
        Binding("f5", "validate", "Validate", id="human.validate", priority=True,
                tooltip="Score the workspace now (the score appears in Metrics)"),
        Binding("f9", "submit", "Submit", id="human.submit", priority=True, tooltip="Score and end the attempt"),
        Binding("f8", "toggle_clock", "Pause clock", id="human.clock", priority=True,
                tooltip="Pause or resume your clock (recorded)"),
        Binding("ctrl+o", "open_file", "Open file", id="human.open", priority=True,
                tooltip="Open a file of the workspace in the editor"),
        Binding("ctrl+e", "focus_editor", "Editor", id="human.focus_editor", tooltip="Move to the editor"),
        Binding("escape", "escape", "Command line / back", id="human.back",
                tooltip="To the command line; from there, back to home"),
    ]

    def __init__(
        self,
        settings: WorkbenchSettings,
        episode: LiveEpisode | None = None,
        preset: list[Event] | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(settings, episode, preset, **kwargs)
        self.clock_paused = False
        self.ended = False
        self._time_up_sent = False
        self._saving: str | None = None

    def compose_workbench(self) -> Workbench:
        return Workbench(
            shell_max_lines=self.settings.shell_max_lines,
            reasoning_steps=self.settings.reasoning_steps,
            editor=HumanEditorPanel(cursor_blink=self.settings.cursor_blink, id="editor-panel"),
            id="workbench",
        )

    def compose_controls(self) -> ComposeResult:
        shell_input = ShellInput(id="human-input")
        shell_input.cursor_blink = self.settings.cursor_blink
        yield shell_input

    @property
    def editor(self) -> HumanEditorPanel:
        return self.workbench.editor  # type: ignore[return-value]

    @property
    def command_line(self) -> ShellInput:
        return self.query_one("#human-input", ShellInput)

    def on_mount(self) -> None:
        super().on_mount()
        self.status_bar.show_remaining = True
        self.command_line.focus()
        if self.episode is not None:
            self.run_worker(self.episode.run, thread=True, exclusive=True, group="episode", name="episode",
                            exit_on_error=False)

    # -- the stream ----------------------------------------------------------------------------
    def on_events(self, events: list[Event]) -> None:
        if self.episode is None:
            return  # a preset stream (tests): nothing here is the person's doing
        for event in events:
            if event.kind is EventKind.EPISODE_ENDED:
                self.ended = True
                self.command_line.disabled = True
                score = event.data.get("score")
                shown = "no valid submission" if score is None else f"score {score:g}"
                self.notify(f"{event.data.get('exit_status')}: {shown}", title="Attempt ended", timeout=8)
            elif event.kind is EventKind.OBSERVATION and self._saving and event.data.get("tool") == "edit":
                text = str(event.data.get("text", ""))
                if text.startswith("Your edit was not applied") or event.data.get("exit_code"):
                    self.notify(text.splitlines()[0] if text else "not saved", title="Not saved", severity="error")
                else:
                    self.editor.mark_saved(self._saving)
                    self.notify("Saved into the sandbox.", timeout=2)
                self._saving = None
            elif event.kind is EventKind.VALIDATION:
                score = event.data.get("score")
                shown = f"{score:g}" if event.data.get("valid") and score is not None else "invalid"
                self.notify(f"{event.data.get('metric')}: {shown}", title="Validation", timeout=4)
        self.refresh_bindings()

    def _tick_clock(self) -> None:
        super()._tick_clock()
        m = self.status_bar.model
        if self.episode is None or self.ended or self._time_up_sent or not m.wall_time or self.clock_paused:
            return
        if m.wall_time - m.elapsed(self.now()) <= 0:
            self._time_up_sent = True
            self.episode.inbox.put(Stop(ExitStatus.WALL_TIME, "the time limit was reached"))
            self.notify("Time is up; your workspace is submitted.", severity="warning")

    @on(Worker.StateChanged)
    def _episode_state(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "episode" and event.state is WorkerState.ERROR:
            error = event.worker.error
            self.app.push_screen(MessageScreen("The attempt could not run", f"{type(error).__name__}: {error}"))

    # -- the person's actions --------------------------------------------------------------------
    def _live(self) -> LiveEpisode | None:
        if self.episode is None or self.ended:
            return None
        if self.clock_paused:
            self.notify("Your clock is paused (F8 resumes it).", severity="warning")
            return None
        return self.episode

    @on(ShellInput.CommandEntered)
    def _command(self, event: ShellInput.CommandEntered) -> None:
        episode = self._live()
        if episode is not None:
            episode.send(event.command)

    def action_validate(self) -> None:
        episode = self._live()
        if episode is not None:
            episode.send("validate")

    def action_submit(self) -> None:
        episode = self._live()
        if episode is None:
            return

        def done(yes: bool | None) -> None:
            if yes:
                episode.send("submit")

        self.app.push_screen(ConfirmScreen("Submit the workspace and end the attempt?"), done)

    def action_toggle_clock(self) -> None:
        if self.episode is None or self.ended:
            return
        self.clock_paused = not self.clock_paused
        if self.clock_paused:
            self.episode.pause_clock()
        else:
            self.episode.resume_clock()
        self.command_line.disabled = self.clock_paused
        self.status_bar.set_flag("CLOCK PAUSED", self.clock_paused)
        self.status_bar.refresh_status(self.now())

    def action_open_file(self) -> None:
        def done(path: str | None) -> None:
            episode = self._live()
            if path and path.strip() and episode is not None:
                episode.send(f"open {path.strip()}")

        self.app.push_screen(
            PromptScreen("Open a file of the workspace", "path, e.g. strategy.py", cursor_blink=self.settings.cursor_blink),
            done,
        )

    def action_focus_editor(self) -> None:
        self.editor.area.focus()

    def action_escape(self) -> None:
        if self.focused is not self.command_line and not self.command_line.disabled:
            self.command_line.focus()
            return
        self.action_back()


    @on(HumanEditorPanel.LoadRequested)
    def _load(self, event: HumanEditorPanel.LoadRequested) -> None:
        if self.episode is not None:
            self._read_file(event.path)
        else:  # a preset stream: the window the tool printed is all there is
            self.editor.load(event.path, self.editor.model.code)

    @work(thread=True, group="editor-io", exit_on_error=False)
    def _read_file(self, path: str) -> None:
        assert self.episode is not None
        try:
            text = self.episode.read_file(path)
        except (OSError, UnicodeError) as exc:
            self.app.call_from_thread(self.notify, f"{path}: {exc}", severity="error")
            return
        self.app.call_from_thread(self.editor.load, path, text)

    @on(HumanEditorPanel.SaveRequested)
    def _save(self, event: HumanEditorPanel.SaveRequested) -> None:
        if self._live() is None:
            return
        self._saving = event.text
        self._write_file(event.path, event.text)

    @work(thread=True, group="editor-io", exit_on_error=False)
    def _write_file(self, path: str, text: str) -> None:
        assert self.episode is not None
        self.episode.save_file(path, text)

    def palette_commands(self) -> list[PaletteCommand]:
        return [
            ("Human: Validate", "score the workspace now", self.action_validate),
            ("Human: Submit", "score and end the attempt", self.action_submit),
            ("Human: Pause or resume clock", "pauses are recorded", self.action_toggle_clock),
            ("Human: Open file", "open a workspace file in the editor", self.action_open_file),
            *super().palette_commands(),
        ]

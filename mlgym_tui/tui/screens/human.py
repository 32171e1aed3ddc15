"""Human: a person attempts the task in the same four panels, with a command line and an editable editor.

Everything the person does becomes an action of :class:`~mlgym_tui.agents.human.HumanAgent`, so the
trajectory is recorded and graded exactly as an agent's and human baselines compare with agents'. The
clock runs against the task's wall-time limit; pausing it is recorded and left out of the limit.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.worker import Worker, WorkerState

from mlgym_tui.agents.human import Stop
from mlgym_tui.core.events import Event, EventKind
from mlgym_tui.core.exits import ExitStatus
from mlgym_tui.tui.human_files import normalized
from mlgym_tui.tui.live import LiveEpisode
from mlgym_tui.tui.screens.dialogs import ConfirmScreen, ConflictScreen, MessageScreen, PromptScreen
from mlgym_tui.tui.screens.episode import PaletteCommand
from mlgym_tui.tui.screens.live_episode import LiveEpisodeScreen
from mlgym_tui.tui.settings import WorkbenchSettings
from mlgym_tui.tui.widgets.human_editor import HumanEditorPanel
from mlgym_tui.tui.widgets.shell_input import ShellInput
from mlgym_tui.tui.widgets.workbench import Workbench

EDITOR_VIEW_TOOLS = {"open", "goto", "scroll_up", "scroll_down", "task", "validate", "submit"}
"""Observations after which the open file cannot have changed on disk (no check needed)."""
DRAFT_EVERY = 3.0
"""Seconds between two copies of the editor's unsaved text into the run folder."""
PAUSED_PLACEHOLDER = "your clock is paused — F8 resumes it; commands wait until then"


class HumanScreen(LiveEpisodeScreen):
    """See the module docstring. ``episode`` None shows ``preset`` events only (tests)."""

    LEAVE_QUESTION = (
        "Your attempt is still running. Leaving ends it now: the workspace is submitted as it is and "
        "the attempt cannot be continued. End the attempt and leave?"
    )

    BINDINGS = [
        Binding("f5", "validate", "Validate", id="human.validate", priority=True,
                tooltip="Score the workspace now (the score appears in Metrics)"),
        Binding("f9", "submit", "Submit", id="human.submit", priority=True, tooltip="Score and end the attempt"),
        Binding("f8", "toggle_clock", "Pause clock", id="human.clock", priority=True,
                tooltip="Pause or resume your clock (recorded)"),
        Binding("ctrl+o", "open_file", "Open file", id="human.open", priority=True,
                tooltip="Open a file of the workspace in the editor"),
        Binding("ctrl+e", "focus_editor", "Editor", id="human.focus_editor", priority=True,
                tooltip="Move to the editor"),
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
        self._time_up_sent = False
        self._saving: str | None = None
        """The text of the save in flight (normalised as written), until its outcome arrives."""
        self._drafted: tuple[str, str] | None = None
        self._last_find = ""

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
        self.workbench.reasoning.set_title("Task · your steps")
        self.command_line.focus()
        self.set_interval(DRAFT_EVERY, self._keep_draft)
        self.start_episode()

    # -- the stream ----------------------------------------------------------------------------
    def on_events(self, events: list[Event]) -> None:
        if self.episode is None:
            return  # a preset stream (tests): nothing here is the person's doing
        for event in events:
            if event.kind is EventKind.EPISODE_ENDED:
                self.ended = True
                self._keep_draft()
                self.command_line.disabled = True
                score = event.data.get("score")
                shown = "no valid submission" if score is None else f"score {score:g}"
                self.notify(f"{event.data.get('exit_status')}: {shown}", title="Attempt ended", timeout=8)
            elif event.kind is EventKind.INTERVENTION and str(event.data.get("action", "")).startswith("save"):
                self._save_outcome(event)
            elif event.kind is EventKind.OBSERVATION and event.data.get("tool") not in EDITOR_VIEW_TOOLS:
                self._check_disk()
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
        elif not self.ended:
            self.command_line.value = event.command  # not sent: the person keeps what they typed
            self.command_line.cursor_position = len(event.command)

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

        self.app.push_screen(
            ConfirmScreen("Submit the workspace now? This scores it and ends the attempt.",
                          yes="Submit and end", no="Keep working"),
            done,
        )

    def action_toggle_clock(self) -> None:
        if self.episode is None or self.ended:
            return
        self.clock_paused = not self.clock_paused
        if self.clock_paused:
            self.episode.pause_clock()
        else:
            self.episode.resume_clock()
        self.command_line.placeholder = PAUSED_PLACEHOLDER if self.clock_paused else ShellInput.PLACEHOLDER
        if self.clock_paused:
            self.notify("Your clock is paused: commands wait until F8 resumes it.", timeout=4)
        self.status_bar.set_flag("CLOCK PAUSED", self.clock_paused)
        self.status_bar.refresh_status(self.now())

    def action_open_file(self) -> None:
        def done(path: str | None) -> None:
            episode = self._live()
            if path and path.strip() and episode is not None:
                episode.send(f"open {path.strip()}")

        files = [str(f) for f in self.episode.task.starter_code] if self.episode is not None else []
        example = f"path in the workspace, e.g. {files[0]}" if files else "path in the workspace"
        self.app.push_screen(
            PromptScreen("Open a file of the workspace (→ completes the task's files)", example,
                         cursor_blink=self.settings.cursor_blink, suggestions=files),
            done,
        )

    def action_focus_editor(self) -> None:
        self.editor.area.focus()

    def action_escape(self) -> None:
        if self.focused is not self.command_line and not self.command_line.disabled:
            self.command_line.focus()
            return
        self.action_back()


    # -- the editor: loading, disk changes, conflicts, saves, drafts --------------------------------
    @on(HumanEditorPanel.LoadRequested)
    def _load(self, event: HumanEditorPanel.LoadRequested) -> None:
        if self.episode is not None:
            self._read_file(event.path, event.opened, event.line)
        else:  # a preset stream: the window the tool printed is all there is
            self.editor.load(event.path, self.editor.model.code)

    def _check_disk(self) -> None:
        """After a command: has the open file changed on disk (a ``sed``, a script)?"""
        path = self.editor.loaded_path
        if path is not None and self.episode is not None and self._saving is None:
            self._read_file(path, False, None)

    @work(thread=True, group="editor-io", exit_on_error=False)
    def _read_file(self, path: str, opened: bool, line: int | None) -> None:
        assert self.episode is not None
        try:
            text = self.episode.read_file(path)
        except (OSError, UnicodeError) as exc:
            if opened:
                self.app.call_from_thread(self.notify, f"{path}: {exc}", severity="error")
            return
        self.app.call_from_thread(self._file_read, path, text, opened, line)

    def _file_read(self, path: str, text: str, opened: bool, line: int | None) -> None:
        editor = self.editor
        was = editor.loaded_path
        outcome = editor.disk_text(path, text)
        name = path.rsplit("/", 1)[-1]
        if outcome == "conflict":
            self._keep_draft()
            self._show_conflict()
        elif outcome == "restored":
            self.notify(f"{name}: your unsaved edits are back.", timeout=3)
        elif outcome == "loaded" and was == path:
            self.notify(f"{name} changed on disk; the editor shows it now.", timeout=3)
        if was is not None and was != path and was in editor.kept:
            self.notify(f"{was.rsplit('/', 1)[-1]} has unsaved edits; they come back when you open it again.",
                        severity="warning", timeout=5)
        if opened:
            if line is not None:
                editor.area.go_to_line(line)
            if not isinstance(self.app.screen, ModalScreen):
                editor.area.focus()

    def _show_conflict(self) -> None:
        editor = self.editor
        if editor.conflict is None or editor.loaded_path is None or isinstance(self.app.screen, ConflictScreen):
            return
        path, mine = editor.loaded_path, editor.area.text

        def done(choice: str | None) -> None:
            if choice == "mine":
                editor.keep_mine()
                self.notify("Kept your text: ctrl+s writes it over the disk version.", timeout=4)
            elif choice == "disk":
                self._keep_draft(path, mine)
                editor.take_disk()
                self.notify("Loaded the disk version; your text is kept in the run folder (human/drafts).",
                            timeout=6)

        self.app.push_screen(ConflictScreen(path, mine, editor.conflict), done)

    @on(HumanEditorPanel.ConflictShown)
    def _conflict_asked(self) -> None:
        self._show_conflict()

    @on(HumanEditorPanel.SaveRequested)
    def _save(self, event: HumanEditorPanel.SaveRequested) -> None:
        if self._live() is None:
            return
        assert self.episode is not None
        self._saving = normalized(event.text)
        self.episode.save_file(event.path, event.text, event.base)

    def _save_outcome(self, event: Event) -> None:
        action = event.data.get("action")
        saving, self._saving = self._saving, None
        if action == "save" and saving is not None:
            self.editor.mark_saved(saving)
            self.notify(f"Saved: {', '.join(event.data.get('hunks') or []) or 'no change'}.", timeout=2)
        elif action == "save_conflict":
            self._check_disk()
        elif action == "save_refused":
            reason = str(event.data.get("reason") or "not saved")
            self.notify(reason, title="Not saved — your text is kept", severity="error", timeout=10)

    def _keep_draft(self, path: str | None = None, text: str | None = None) -> None:
        """Copy unsaved text into the run folder (timer, conflicts, the end of the attempt)."""
        editor = self.editor
        path = path or editor.loaded_path
        if text is None:
            text = editor.area.text if editor.dirty else None
        if self.episode is None or path is None or text is None or (path, text) == self._drafted:
            return
        self._drafted = (path, text)
        self.episode.keep_draft(path, text)

    @on(HumanEditorPanel.Prompt)
    def _editor_prompt(self, event: HumanEditorPanel.Prompt) -> None:
        area = self.editor.area
        if event.what == "find":
            def found(needle: str | None) -> None:
                if needle:
                    self._last_find = needle
                    if not area.find(needle):
                        self.notify(f"“{needle}” is not in this file.", severity="warning", timeout=3)
                area.focus()

            self.app.push_screen(PromptScreen("Find in the file (enter: next match)", "text",
                                              value=self._last_find, cursor_blink=self.settings.cursor_blink), found)
        else:
            def go(line: str | None) -> None:
                if line and line.strip():
                    if line.strip().isdigit():
                        area.go_to_line(int(line.strip()))
                    else:
                        self.notify(f"“{line.strip()}” is not a line number.", severity="warning", timeout=3)
                area.focus()

            self.app.push_screen(PromptScreen("Go to line", f"1–{area.document.line_count}",
                                              cursor_blink=self.settings.cursor_blink), go)

    def palette_commands(self) -> list[PaletteCommand]:
        return [
            ("Human: Validate", "score the workspace now", self.action_validate),
            ("Human: Submit", "score and end the attempt", self.action_submit),
            ("Human: Pause or resume clock", "pauses are recorded", self.action_toggle_clock),
            ("Human: Open file", "open a workspace file in the editor", self.action_open_file),
            *super().palette_commands(),
        ]

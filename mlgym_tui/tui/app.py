"""The workbench app and the one factory that builds it for the CLI, ``serve`` and the tests.

The app owns what is global — themes, keymap, settings, the command palette, screenshots, quitting
cleanly while an episode runs — and starts on the screen the command asked for, with the home screen
underneath so escape always leads somewhere useful.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from mlgym_tui.core.events import Event
from mlgym_tui.tui.colors import markdown_theme
from mlgym_tui.tui.commands import Command, WorkbenchCommands
from mlgym_tui.tui.live import EpisodeRequest, LiveEpisode
from mlgym_tui.tui.screens.dialogs import ConfirmScreen
from mlgym_tui.tui.settings import WorkbenchSettings, config_dir, load_settings, remember
from mlgym_tui.tui.themes import ThemeSpec, load_themes

STYLES = Path(__file__).parent / "styles"
DEFAULT_THEME = "mlgym-dark"
QUIT_QUESTION = (
    "An episode is still running. Quitting stops it now, submits what is in its workspace and writes its "
    "run folder. Stop it and quit?"
)

ScreenName = Literal["home", "watch", "human", "replay", "scoreboard", "fleet"]


@dataclass
class Start:
    """Which screen the app opens on, and with what."""

    screen: ScreenName = "home"
    request: EpisodeRequest | None = None
    """Watch / human: the episode to run."""
    path: Path | None = None
    """Replay: a run folder or trajectory file. Scoreboard: the folder of runs."""
    preset: list[Event] | None = None
    """Watch / human without a live episode: show these events (tests and demos)."""
    follow: bool = True
    """Replay: keep reading a run folder that is still being written."""
    compare: Path | None = None
    """Replay: a second run of the same task, shown side by side with ``path``."""
    at: str | int | None = None
    """Replay: the step shown first (``start``, ``end`` or a number; None: the start of a finished run,
    the newest step of one still being written)."""
    poll: float | None = None
    """Fleet: poll the folder every this many seconds instead of using inotify (network file systems)."""
    attempts: int | None = None
    """Fleet: count each competitor's first k attempts per task in the running AUP."""
    episode: LiveEpisode | None = None
    """Watch / human: an episode already built from ``request`` (the CLI builds it first so a bad task
    or agent is a one-line error before the screen opens)."""


class WorkbenchApp(App[int]):
    """See the module docstring."""

    TITLE = "mlgym-tui"
    CSS_PATH = [STYLES / "app.tcss", STYLES / "episode.tcss", STYLES / "home.tcss", STYLES / "dialogs.tcss",
                STYLES / "fleet.tcss"]
    COMMANDS = App.COMMANDS | {WorkbenchCommands}
    BINDINGS = [
        Binding("f1", "help", "Help", id="app.help", tooltip="Keys of this screen"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True, tooltip="Quit (stops a running episode)"),
        Binding("f12", "screenshot", "Screenshot", id="app.screenshot", show=False, tooltip="Save an SVG screenshot"),
    ]

    def __init__(self, settings: WorkbenchSettings, start: Start, *, persist: bool = True) -> None:
        super().__init__()
        self.settings = settings
        self.start = start
        self.persist = persist
        self.theme_specs: list[ThemeSpec] = []
        self.theme_problems: list[str] = []
        self.episodes: list[LiveEpisode] = []
        """Every live episode a screen of this app started (stopped when the app ends)."""

    # -- startup -------------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.theme_specs, self.theme_problems = load_themes()
        for spec in self.theme_specs:
            self.register_theme(spec.to_textual_theme())
        names = {spec.name for spec in self.theme_specs}
        self.theme = self.settings.theme if self.settings.theme in names else DEFAULT_THEME
        self._markdown_theme_pushed = False
        self._use_markdown_theme()
        self.theme_changed_signal.subscribe(self, lambda _theme: self._use_markdown_theme())
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
        for problem in self.theme_problems:
            self.notify(problem, title="Theme skipped", severity="warning")
        from mlgym_tui.tui.screens.home import HomeScreen

        self.push_screen(HomeScreen(self.settings))
        screen = self.start_screen()
        if screen is not None:
            self.push_screen(screen)

    def _use_markdown_theme(self) -> None:
        """Rich renderables (the reasoning cards' Markdown) take their colours from the Textual theme."""
        if self._markdown_theme_pushed:
            self.console.pop_theme()
        self.console.push_theme(markdown_theme(self.theme_variables))
        self._markdown_theme_pushed = True

    def start_screen(self) -> Screen[None] | None:
        s = self.start
        if s.screen == "watch":
            return self.watch_screen(s.request, s.preset, s.episode)
        if s.screen == "human":
            return self.human_screen(s.request, s.preset, s.episode)
        if s.screen == "replay":
            from mlgym_tui.tui.screens.replay import ReplayScreen

            assert s.path is not None
            if s.compare is not None:
                from mlgym_tui.tui.screens.compare import CompareScreen

                return CompareScreen(self.settings, s.path, s.compare)
            return ReplayScreen(self.settings, s.path, follow=s.follow, at=s.at)
        if s.screen == "scoreboard":
            return self.scoreboard_screen(s.path)
        if s.screen == "fleet":
            from mlgym_tui.tui.screens.fleet import FleetScreen

            return FleetScreen(self.settings, s.path or self.settings.runs_dir, poll=s.poll, attempts=s.attempts)
        return None

    def watch_screen(
        self, request: EpisodeRequest | None, preset: list[Event] | None = None, episode: LiveEpisode | None = None
    ) -> Screen[None]:
        from mlgym_tui.tui.screens.watch import WatchScreen

        if episode is None and request is not None:
            episode = LiveEpisode(request)
        if episode is not None:
            self.episodes.append(episode)
        return WatchScreen(self.settings, episode, preset)

    def human_screen(
        self, request: EpisodeRequest | None, preset: list[Event] | None = None, episode: LiveEpisode | None = None
    ) -> Screen[None]:
        from mlgym_tui.tui.screens.human import HumanScreen

        if episode is None and request is not None:
            episode = LiveEpisode(request, human=True)
        if episode is not None:
            self.episodes.append(episode)
        return HumanScreen(self.settings, episode, preset)

    def scoreboard_screen(self, folder: Path | None) -> Screen[None]:
        from mlgym_tui.tui.screens.scoreboard import ScoreboardScreen

        return ScoreboardScreen(self.settings, folder or self.settings.runs_dir)

    # -- palette -------------------------------------------------------------------------------
    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield SystemCommand("App: Quit", "Quit (a running episode is stopped and submitted)", self.action_quit)
        yield SystemCommand("App: Keys", "Every key of this screen", self.action_help)

    def palette_commands(self) -> list[Command]:
        commands: list[Command] = [
            (f"Theme: {spec.label or spec.name}", f"switch to the {spec.name} theme (remembered)",
             lambda name=spec.name: self.use_theme(name))
            for spec in self.theme_specs
        ]
        commands += [
            ("Screen: Save screenshot", "write an SVG of the screen", self.action_screenshot),
            ("Screen: Home", "tasks, agents and recent runs", self.action_home),
            ("Screen: Scoreboard", "scores of the runs folder", self.action_scoreboard),
            ("Screen: Fleet", "every episode of the runs folder, live, with control of each", self.action_fleet),
            ("Run: Export", "export the run on screen (hands off to `mlgym-tui export`)", self.action_export),
        ]
        return commands

    def use_theme(self, name: str) -> None:
        self.theme = name
        self.settings.theme = name
        if self.persist:
            remember("theme", name)
        self.notify(f"Theme: {name}", timeout=1.5)

    # -- actions -------------------------------------------------------------------------------
    def action_help(self) -> None:
        from mlgym_tui.tui.screens.help import HelpScreen

        if type(self.screen).__name__ != "HelpScreen":
            self.push_screen(HelpScreen(self.screen))

    def action_screenshot(self) -> None:
        folder = self.settings.screenshot_dir or config_dir() / "screenshots"  # never the project folder
        folder.mkdir(parents=True, exist_ok=True)
        path = self.save_screenshot(path=str(folder))
        self.notify(path, title="Screenshot saved", timeout=4)

    def action_home(self) -> None:
        while len(self.screen_stack) > 2:
            self.pop_screen()

    def action_scoreboard(self) -> None:
        self.push_screen(self.scoreboard_screen(None))

    def action_fleet(self) -> None:
        from mlgym_tui.tui.screens.fleet import FleetScreen

        self.push_screen(FleetScreen(self.settings, self.settings.runs_dir))

    def action_export(self) -> None:
        folder = getattr(self.screen, "run_folder", None)
        if folder is None:
            self.notify("No run on this screen to export.", severity="warning")
            return
        if importlib.util.find_spec("mlgym_tui.commands.export") is None:
            self.notify("The export command is not available in this version.", severity="warning")
            return
        self._export(Path(folder))

    @work(thread=True, group="export", exit_on_error=False)
    def _export(self, folder: Path) -> None:
        target = folder / "export.html"
        proc = subprocess.run(
            [sys.executable, "-m", "mlgym_tui.cli", "export", str(folder), "--format", "html", "-o", str(target)],
            capture_output=True, text=True, timeout=300,
        )
        if proc.returncode == 0:
            self.call_from_thread(self.notify, str(target), title="Exported")
        else:
            reason = (proc.stderr.strip().splitlines() or ["export failed"])[-1]
            self.call_from_thread(self.notify, reason, title="Export failed", severity="error")

    def live_episodes(self) -> list[LiveEpisode]:
        return [e for e in self.episodes if e.running]

    def on_unmount(self) -> None:
        """However the app ends, no episode is left blocked waiting for a person who has gone."""
        for episode in self.episodes:
            if not episode.done.is_set():
                episode.control.stop("the workbench was closed")

    async def action_quit(self) -> None:
        """Quit; with an episode running, only after a deliberate yes (an attempt is someone's hour)."""
        running = self.live_episodes()
        if not running:
            self.exit(0)
            return
        if isinstance(self.screen, ConfirmScreen):
            return  # already asking

        def done(yes: bool | None) -> None:
            if yes:
                self.notify("Stopping the episode and writing its run folder…", timeout=10)
                self._stop_then_exit(running)

        self.push_screen(ConfirmScreen(QUIT_QUESTION, yes="Stop and quit", no="Keep working"), done)

    @work(thread=True, group="quit", exit_on_error=False)
    def _stop_then_exit(self, episodes: list[LiveEpisode]) -> None:
        for episode in episodes:
            episode.abort()
        self.call_from_thread(self.exit, 0)


def make_app(
    settings: WorkbenchSettings | None = None, start: Start | None = None, *, persist: bool | None = None
) -> WorkbenchApp:
    """The app as the CLI runs it. With ``settings`` given (tests), nothing is written back by default."""
    loaded = settings if settings is not None else load_settings()
    return WorkbenchApp(loaded, start or Start(), persist=settings is None if persist is None else persist)

"""What the two screens with a running episode share (watch, human): leaving asks first, and stops the
episode in order before the screen goes."""

from __future__ import annotations

from textual import work

from mlgym_tui.core.events import Event
from mlgym_tui.tui.feed import EventFeed
from mlgym_tui.tui.live import LiveEpisode
from mlgym_tui.tui.screens.dialogs import ConfirmScreen, StartScreen
from mlgym_tui.tui.screens.episode import EpisodeScreen
from mlgym_tui.tui.settings import WorkbenchSettings


class LiveEpisodeScreen(EpisodeScreen):
    """An episode screen driving a :class:`LiveEpisode`."""

    LEAVE_QUESTION = (
        "The episode is still running. Leaving stops it now and submits what is in its workspace. "
        "Stop it and leave?"
    )

    def __init__(
        self,
        settings: WorkbenchSettings,
        episode: LiveEpisode | None = None,
        preset: list[Event] | None = None,
        **kwargs: object,
    ) -> None:
        """``episode`` None shows the ``preset`` events only (snapshot and unit tests)."""
        super().__init__(settings, **kwargs)
        self.episode = episode
        self.feed = episode.feed if episode is not None else EventFeed()
        if preset:
            self.feed.put_many(preset)
        self.keep_output = False
        self.ended = False
        """The episode's end event has arrived: leaving asks nothing more (the runner may still be
        writing its result, which leaving does not disturb)."""

    def start_episode(self) -> None:
        """Run the episode on a worker thread — at once, or, in a browser under ``serve``, once the
        person says so: a page load (or a reload, or a crawler) must not start an episode."""
        if self.episode is None:
            return
        episode = self.episode

        def run() -> None:
            self.run_worker(episode.run, thread=True, exclusive=True, group="episode", name="episode",
                            exit_on_error=False)

        if episode.request.via != "browser":
            run()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                run()
            else:
                self.app.pop_screen()

        self.app.push_screen(StartScreen(f"Start {episode.request.agent} on {episode.task.id}? Nothing runs "
                                         "until you start it; the run is marked as started from a browser."),
                             answered)

    @property
    def run_folder(self):  # noqa: ANN201 - Path | None, for the palette's export
        return self.episode.folder if self.episode else None

    def action_back(self) -> None:
        if self.episode is None or self.ended or not self.episode.running:
            self.app.pop_screen()
            return

        def done(yes: bool | None) -> None:
            if yes:
                self._abort_and_leave()

        self.app.push_screen(ConfirmScreen(self.LEAVE_QUESTION, yes="Stop and leave", no="Keep working"), done)

    @work(thread=True, group="abort", exit_on_error=False)
    def _abort_and_leave(self) -> None:
        assert self.episode is not None
        self.episode.abort()
        self.app.call_from_thread(self.app.pop_screen)

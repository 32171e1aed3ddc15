"""Live episodes for the workbench: what to run, and the object that runs it on a worker thread.

A :class:`LiveEpisode` wraps the agent in a :class:`~mlgym_tui.agents.human.TakeoverAgent`, gives the
session a :class:`~mlgym_tui.tui.control.LiveControl`, and runs the core's ``run_episode`` with an
:class:`~mlgym_tui.tui.feed.EventFeed` subscribed. The screen only starts it in a thread worker and
drains the feed; it never learns whether the events come from here or from a recording.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from mlgym_tui.agents.episode import EpisodeOptions, build_episode
from mlgym_tui.agents.human import ClockPause, ClockResume, HumanAgent, InboxItem, SaveFile, TakeoverAgent
from mlgym_tui.core.agent import Agent
from mlgym_tui.core.session import Session
from mlgym_tui.core.task import TaskConfig
from mlgym_tui.core.task_sources import load_task
from mlgym_tui.core.trajectory import EpisodeResult
from mlgym_tui.tui.control import LiveControl
from mlgym_tui.tui.feed import EventFeed
from mlgym_tui.tui.human_files import apply_save, keep_copy, relative

VIA_ENV = "MLGYM_VIA"
"""Environment variable ``serve`` sets to ``browser`` for the workbench processes it starts."""


@dataclass
class EpisodeRequest(EpisodeOptions):
    """What the person asked to run (from the CLI or the home screen): the episode's options, and how the
    workbench starts it."""

    paused: bool = False
    """Start paused (the first proposal waits for resume or single step)."""
    approve: bool = False
    """Start in approve mode."""
    pace: float = 0.0
    """Seconds at least between two of the agent's actions (``watch --pace``; changed live with +/-)."""
    via: str = field(default_factory=lambda: os.environ.get(VIA_ENV) or "workbench")
    """Where the run was started from, recorded in its config: ``workbench``, or ``browser`` under
    ``serve`` (which sets :data:`VIA_ENV` for the sessions it starts)."""
    agent_factory: Callable[[], Agent] | None = None
    """Build the agent directly (tests, embedding); otherwise the agent registry builds ``agent``."""

    @classmethod
    def of(cls, options: EpisodeOptions, **workbench: Any) -> EpisodeRequest:
        return cls(**{f.name: getattr(options, f.name) for f in fields(EpisodeOptions)}, **workbench)

    def build_agent(self) -> Agent:
        if self.agent_factory is not None:
            return self.agent_factory()
        return self.make_agent()


class LiveEpisode:
    """One episode run for a screen: its feed, its control, and the outcome when it ends."""

    def __init__(self, request: EpisodeRequest, *, human: bool = False) -> None:
        self.request = request
        self.task: TaskConfig = load_task(request.task)
        self.feed = EventFeed()
        self.inbox: queue.Queue[InboxItem] = queue.Queue()
        self.human = human
        inner: Agent = HumanAgent(self.inbox) if human else request.build_agent()
        self.agent = TakeoverAgent(inner, self.inbox)
        if human:
            self.agent.take_over()
        self.control = LiveControl(self.agent, paused=request.paused, approve=request.approve, pace=request.pace)
        self.session: Session | None = None
        self.folder: Path | None = None
        self.result: EpisodeResult | None = None
        self.done = threading.Event()

    @property
    def running(self) -> bool:
        return self.session is not None and not self.done.is_set()

    def _on_session(self, session: Session) -> None:
        self.session = session
        self.control.attach(session)
        human = self.agent.human  # the one that acts whenever a person is in control
        human.publish = self.control.note
        human.on_paused = lambda seconds: setattr(session, "paused_seconds", session.paused_seconds + seconds)
        human.on_save = lambda save: apply_save(session, save)

    def run(self) -> tuple[Path, EpisodeResult]:
        """Run to the end (call on a worker thread). Exceptions propagate to the worker."""
        from mlgym_tui.core.runner import run_episode

        spec = build_episode(self.request, task=self.task, agent=self.agent, described=self.agent.inner,
                             via=self.request.via)
        try:
            self.folder, self.result = run_episode(
                spec, subscribers=[self.feed], controller=self.control, on_session=self._on_session
            )
            return self.folder, self.result
        finally:
            self.done.set()

    # -- person's actions that are not controller switches ---------------------------------------
    def send(self, command: str) -> None:
        self.control.send(command)

    def save_file(self, path: str, text: str, base: str) -> None:
        """Queue a save of ``path``: ``text`` replaces ``base``, the text the editor loaded (see
        :mod:`mlgym_tui.tui.human_files`). The outcome arrives as a ``save``, ``save_conflict`` or
        ``save_refused`` intervention."""
        self.inbox.put(SaveFile(path, text, base))

    def keep_draft(self, path: str, text: str) -> None:
        """Copy the editor's unsaved text into the run folder (``human/drafts/``); safe from any thread."""
        session = self.session
        runtime = session.env.runtime if session is not None else None
        if session is not None and runtime is not None:
            keep_copy(session.folder, "drafts", relative(path, runtime.workspace), text)

    def read_file(self, path: str) -> str:
        """The file as the sandbox has it now (human mode loads the whole file into the editor)."""
        runtime = self.session.env.runtime if self.session else None
        if runtime is None:
            raise FileNotFoundError(path)
        return runtime.read_file(path).decode("utf-8", errors="replace")

    def pause_clock(self) -> None:
        self.inbox.put(ClockPause())

    def resume_clock(self) -> None:
        self.inbox.put(ClockResume())

    def abort(self, grace: float = 3.0) -> None:
        """Stop now: request the stop, and if a command is still running after ``grace`` seconds,
        close the sandbox so the command dies with it (the run folder is still finished)."""
        self.control.stop("the workbench was closed")
        if self.done.wait(grace):
            return
        env = self.session.env if self.session else None
        if env is not None and env.runtime is not None:
            try:
                env.runtime.close()
            except Exception:  # noqa: BLE001 - best effort on the way out
                pass
        self.done.wait(grace)

"""People as agents: the human agent, and the take-over wrapper the workbench puts around any agent.

A person's actions reach the session the same way a model's do — as :class:`AgentStep` values returned
from ``act`` — so a human attempt is recorded and graded exactly like an agent's. The workbench (or any
other front end) feeds a thread-safe inbox; headless, :class:`HumanAgent` reads commands from stdin.

Nothing here imports a UI toolkit: these classes are plain threads-and-queues code that the TUI drives.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from mlgym_tui.core.agent import Agent, AgentStep
from mlgym_tui.core.exits import EpisodeEnd, ExitStatus, UserStopped
from mlgym_tui.core.task import TaskConfig
from mlgym_tui.core.tools import TOOLS

HUMAN_THOUGHT = "(typed by a person)"
"""The thought recorded for a person's action: the trajectory shows who acted, not what they thought."""


# -- what a front end puts in the inbox ------------------------------------------------------------
@dataclass(frozen=True)
class Command:
    """An action to run: a shell command or a tool call, exactly as an agent would write it."""

    text: str


@dataclass(frozen=True)
class SaveFile:
    """The person saved ``path`` (a sandbox path) in the editor: ``text`` replaces ``base``.

    ``base`` is the text the editor loaded (or last saved); a file that no longer holds it was changed
    by someone else (a shell command), and the save is refused as a conflict instead of overwriting.
    A save is not an action: it is applied by the front end's ``on_save`` between actions and does not
    count as a step (see :class:`HumanAgent`).
    """

    path: str
    text: str
    base: str


@dataclass(frozen=True)
class ClockPause:
    """The person paused their clock at ``at`` (epoch seconds)."""

    at: float = field(default_factory=time.time)


@dataclass(frozen=True)
class ClockResume:
    """The clock runs again; the pause lasted from the matching :class:`ClockPause` until ``at``."""

    at: float = field(default_factory=time.time)


@dataclass(frozen=True)
class Stop:
    """End the episode now (the session autosubmits what is in the workspace)."""

    status: ExitStatus = ExitStatus.INTERRUPTED
    reason: str = "stopped by the person"


@dataclass(frozen=True)
class HandBack:
    """Control goes back to the wrapped agent (see :class:`TakeoverAgent`)."""


InboxItem = Command | SaveFile | ClockPause | ClockResume | Stop | HandBack
Publish = Callable[..., None]
"""``publish(action=..., **data)`` records an intervention; the front end binds it to the event bus."""


class HandedBack(Exception):
    """Raised by :meth:`HumanAgent.act` when a :class:`HandBack` arrives instead of an action."""

    def __init__(self, actions: list[str]) -> None:
        super().__init__("handed back")
        self.actions = actions


def read_action(stream: IO[str], prompt: Callable[[], None] | None = None) -> str | None:
    """One action from a text stream: one line, or a block tool (``edit``…``end_of_edit``) in full.

    Returns None at end of input.
    """
    if prompt:
        prompt()
    line = stream.readline()
    if not line:
        return None
    first = line.rstrip("\n")
    words = first.strip().split(maxsplit=1)
    spec = TOOLS.get(words[0]) if words else None
    if spec is None or spec.end_marker is None:
        return first
    lines = [first]
    while True:
        more = stream.readline()
        if not more:
            break
        lines.append(more.rstrip("\n"))
        if more.strip() == spec.end_marker:
            break
    return "\n".join(lines)


class HumanAgent:
    """A person acting through a queue of :data:`InboxItem` (or through stdin when headless).

    ``act`` blocks until the person sends an action. Clock pauses are recorded as interventions and
    reported through ``on_paused`` so the session can leave paused time out of its wall-time limit.

    What counts as a step is what MLGym-Bench counts: every action handed to the environment (a shell
    command, a tool call, ``validate``, ``submit``). Saving a file from the workbench's editor is not
    an action — MLGym's human mode has no editor; its person types ``edit`` commands, which are actions
    here too — so a save is recorded (``file_changed`` hunks and a ``save`` intervention) but costs
    no step.
    """

    name = "human"
    model: str | None = None

    def __init__(
        self,
        inbox: queue.Queue[InboxItem] | None = None,
        *,
        stdin: IO[str] | None = None,
        stdout: IO[str] | None = None,
    ) -> None:
        self.inbox = inbox
        self.stdin = stdin if stdin is not None else (sys.stdin if inbox is None else None)
        self.stdout = stdout if stdout is not None else sys.stdout
        self.publish: Publish | None = None
        self.on_paused: Callable[[float], None] | None = None
        self.on_save: Callable[[SaveFile], None] | None = None
        """Applies a :class:`SaveFile` to the sandbox (called on the session's thread, between actions,
        so nothing else uses the sandbox meanwhile); the front end binds it."""
        self._pending: list[str] = []
        self._paused_at: float | None = None
        self._since_handover: list[str] = []

    # -- Agent protocol ------------------------------------------------------------------------
    def start(self, task: TaskConfig, observation: str, info: dict[str, Any]) -> None:
        self._pending.clear()
        self._since_handover.clear()
        if self.stdin is not None:
            self._echo(f"(type shell commands or tools; `submit` ends the episode; {info.get('max_steps', task.limits.max_steps)} steps)")

    def act(self, observation: str, info: dict[str, Any]) -> AgentStep:
        if self._pending:
            return self._step(self._pending.pop(0))
        if self.stdin is not None:
            return self._act_from_stream(observation)
        assert self.inbox is not None
        while True:
            item = self.inbox.get()
            step = self._handle(item, info)
            if step is not None:
                return step

    def close(self) -> None:
        pass

    # -- helpers -------------------------------------------------------------------------------
    def _step(self, action: str) -> AgentStep:
        self._since_handover.append(action)
        return AgentStep(action, thought=HUMAN_THOUGHT, extra={"by": "human"})

    def _note(self, action: str, **data: Any) -> None:
        if self.publish is not None:
            self.publish(action=action, **data)

    def _handle(self, item: InboxItem, info: dict[str, Any]) -> AgentStep | None:
        if isinstance(item, Command):
            return self._step(item.text) if item.text.strip() else None
        if isinstance(item, SaveFile):
            if self.on_save is None:
                self._note("save_refused", path=item.path, reason="this front end cannot save files")
            else:
                self.on_save(item)
            return None
        if isinstance(item, ClockPause):
            if self._paused_at is None:
                self._paused_at = item.at
                self._note("clock_paused")
            return None
        if isinstance(item, ClockResume):
            if self._paused_at is not None:
                seconds = max(item.at - self._paused_at, 0.0)
                self._paused_at = None
                self._note("clock_resumed", paused_seconds=round(seconds, 3))
                if self.on_paused is not None:
                    self.on_paused(seconds)
            return None
        if isinstance(item, Stop):
            self._note("stop", reason=item.reason)
            if item.status is ExitStatus.INTERRUPTED:
                raise UserStopped(item.reason)
            raise EpisodeEnd(item.reason, item.status)
        if isinstance(item, HandBack):
            done, self._since_handover = self._since_handover, []
            raise HandedBack(done)
        return None

    def _act_from_stream(self, observation: str) -> AgentStep:
        assert self.stdin is not None
        self._echo(observation)
        while True:
            action = read_action(self.stdin, prompt=lambda: self._echo("mlgym> ", end=""))
            if action is None:
                raise UserStopped("end of input")
            if action.strip():
                return self._step(action)

    def _echo(self, text: str, end: str = "\n") -> None:
        self.stdout.write(text + end)
        self.stdout.flush()


class TakeoverAgent:
    """Wraps an agent so a person can take control mid-episode and hand it back.

    The wrapper keeps the inner agent's name and model (the run folder and trajectory stay the agent's).
    Interjections are queued and delivered between steps, right before the inner agent's next ``act``,
    as the :class:`~mlgym_tui.core.agent.Interjectable` contract asks. When control comes back, an
    interjectable agent is told which actions the person ran, so a model's history has no hole in it.
    """

    def __init__(self, inner: Agent, inbox: queue.Queue[InboxItem] | None = None) -> None:
        self.inner = inner
        self.name = inner.name
        self.model = inner.model
        self.inbox: queue.Queue[InboxItem] = inbox or queue.Queue()
        self.human = HumanAgent(self.inbox)
        self._human_in_control = threading.Event()
        self._interjections: queue.Queue[str] = queue.Queue()
        self.acting_since: float | None = None
        """``time.monotonic()`` when the inner agent's current ``act`` began (a model call in flight);
        None between actions. A front end reads it to show how long the agent has been thinking."""

    def __getattr__(self, name: str) -> Any:
        """Optional agent hooks (``bind_bus``, ``describe``, ``uses_memory`` …) are the inner agent's."""
        if name.startswith("__") or name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    @property
    def publish(self) -> Publish | None:
        return self.human.publish

    @publish.setter
    def publish(self, value: Publish | None) -> None:
        self.human.publish = value

    @property
    def human_in_control(self) -> bool:
        return self._human_in_control.is_set()

    @property
    def can_interject(self) -> bool:
        return callable(getattr(self.inner, "interject", None))

    # -- called from the front end's thread ----------------------------------------------------
    def take_over(self) -> None:
        self._human_in_control.set()

    def hand_back(self) -> None:
        if self._human_in_control.is_set():
            self._human_in_control.clear()
            self.inbox.put(HandBack())

    def interject(self, text: str) -> None:
        self._interjections.put(text)

    # -- Agent protocol (session thread) -------------------------------------------------------
    def start(self, task: TaskConfig, observation: str, info: dict[str, Any]) -> None:
        self.inner.start(task, observation, info)
        self.human.start(task, observation, info)

    def act(self, observation: str, info: dict[str, Any]) -> AgentStep:
        while True:
            if self._human_in_control.is_set():
                try:
                    return self.human.act(observation, info)
                except HandedBack as back:
                    self._tell_inner(back.actions)
                    continue
            self._deliver_interjections()
            self.acting_since = time.monotonic()
            try:
                return self.inner.act(observation, info)
            finally:
                self.acting_since = None

    def close(self) -> None:
        self.inner.close()

    def _deliver_interjections(self) -> None:
        interject = getattr(self.inner, "interject", None)
        while True:
            try:
                text = self._interjections.get_nowait()
            except queue.Empty:
                return
            if callable(interject):
                interject(text)

    def _tell_inner(self, actions: list[str]) -> None:
        if actions and self.can_interject:
            listing = "\n".join(f"- {a.splitlines()[0][:200]}" for a in actions)
            self.inner.interject(  # type: ignore[attr-defined]
                f"A person took control for {len(actions)} step(s) and ran:\n{listing}\n"
                "You are in control again; the observation shows the state after their last action."
            )

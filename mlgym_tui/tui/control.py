"""A person's hands on a live episode: pause, single step, approve / edit / reject, take over, stop.

:class:`LiveControl` is the session's :class:`~mlgym_tui.core.session.Controller`. The session thread
calls :meth:`LiveControl.review` between the agent's proposal and its execution and blocks there while
the episode is paused or a proposal waits for approval; the UI thread flips the switches. Every
intervention is recorded at once as an ``intervention`` event on the bus (publishing is thread-safe), so
it lands in the trajectory in the order it happened and a replay shows it.

Plain threading code: no UI toolkit here, so it can be tested and reused by any front end.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Literal

from mlgym_tui.agents.human import Command, Stop, TakeoverAgent
from mlgym_tui.core.agent import AgentStep
from mlgym_tui.core.events import EventBus, EventKind
from mlgym_tui.core.exits import ExitStatus, UserStopped
from mlgym_tui.core.session import Session

POLL = 0.25
"""Seconds between checks while blocked (the condition is also notified on every change)."""


@dataclass(frozen=True)
class Decision:
    """What the person decided about a proposed action."""

    verdict: Literal["approve", "edit", "reject"]
    action: str | None = None
    proposal: int | None = None
    """The proposal this answers (``approval_requested``'s ``proposal``); a decision made for an older
    proposal than the one waiting is ignored. None answers whatever waits (approve mode switched off)."""


class LiveControl:
    """Switches shared by the UI thread and the session thread; see the module docstring."""

    def __init__(
        self, agent: TakeoverAgent, *, paused: bool = False, approve: bool = False, pace: float = 0.0
    ) -> None:
        self.agent = agent
        self.pace = max(pace, 0.0)
        """Seconds at least between two of the agent's actions (so a demo can be followed)."""
        self._next_at = 0.0
        self._cond = threading.Condition()
        self.paused = paused
        self.approve = approve
        self._steps_allowed = 0
        self._decision: Decision | None = None
        self.awaiting: AgentStep | None = None
        self.proposal = 0
        """Number of the latest proposal that asked for approval (1, 2, …)."""
        self.stopping = False
        self.submitting = False
        """Stop & submit was asked: the person's ``submit`` is queued."""
        self.session: Session | None = None
        self.bus: EventBus | None = None
        self._early: list[dict[str, Any]] = []

    # -- wiring --------------------------------------------------------------------------------
    def attach(self, session: Session) -> None:
        """Called (from the episode's thread) once the session exists; records earlier interventions."""
        self.session = session
        self.bus = session.bus
        self.agent.publish = self.note
        for data in self._early:
            self.bus.publish(EventKind.INTERVENTION, **data)
        self._early.clear()
        if self.stopping:
            session.request_stop(ExitStatus.INTERRUPTED)

    def note(self, action: str, **data: Any) -> None:
        """Record an intervention now (or as soon as the session exists)."""
        record = {"action": action, **data}
        if self.bus is None:
            self._early.append(record)
        else:
            self.bus.publish(EventKind.INTERVENTION, **record)

    def _changed(self) -> None:
        with self._cond:
            self._cond.notify_all()

    # -- UI thread -----------------------------------------------------------------------------
    def pause(self) -> None:
        if not self.paused:
            self.paused = True
            self.note("pause")
            self._changed()

    def resume(self) -> None:
        if self.paused:
            self.paused = False
            self.note("resume")
            self._changed()

    def toggle_pause(self) -> bool:
        (self.resume if self.paused else self.pause)()
        return self.paused

    def step_once(self) -> None:
        """While paused: let exactly one more proposal through (still subject to approval)."""
        with self._cond:
            self._steps_allowed += 1
        self.note("single_step")
        self._changed()

    def set_pace(self, seconds: float) -> None:
        """Change the pace live; the action waiting for its turn is released by the new pace."""
        seconds = max(seconds, 0.0)
        if seconds != self.pace:
            with self._cond:
                self._next_at += seconds - self.pace
                self.pace = seconds
                self._cond.notify_all()
            self.note("pace", seconds=seconds)

    def set_approve(self, on: bool) -> None:
        if on != self.approve:
            self.approve = on
            self.note("approve_mode", on=on)
            if not on and self.awaiting is not None:
                self.decide(Decision("approve"))
            self._changed()

    def decide(self, decision: Decision) -> bool:
        """Answer the proposal that is waiting: one proposal, one decision.

        Returns False (and records nothing) when no proposal waits, when this one was already decided
        (a burst of keys), or when ``decision`` was made for another proposal than the one waiting.
        """
        with self._cond:
            if self.awaiting is None or self._decision is not None:
                return False
            if decision.proposal is not None and decision.proposal != self.proposal:
                return False
            proposed = self.awaiting.action
            if decision.verdict == "edit" and (decision.action or "") == proposed:
                decision = Decision("approve", proposal=decision.proposal)
            self._decision = decision
            number = self.proposal
            if decision.verdict == "approve":
                self.note("approved", proposed=proposed, proposal=number)
            elif decision.verdict == "edit":
                self.note("edited", proposed=proposed, edited=decision.action, proposal=number)
            else:
                self.note("rejected", proposed=proposed, proposal=number)
            self._cond.notify_all()
        return True

    def interject(self, text: str) -> bool:
        """Send the agent a message it sees with its next observation; False if it cannot take one."""
        if not self.agent.can_interject:
            return False
        self.agent.interject(text)
        self.note("interject", text=text)
        return True

    def take_over(self) -> None:
        if self.agent.human_in_control:
            return
        self.agent.take_over()
        self.note("take_over")
        self._changed()

    def hand_back(self) -> None:
        if not self.agent.human_in_control:
            return
        self.note("hand_back")
        self.agent.hand_back()
        self._changed()

    def send(self, command: str) -> None:
        """A command typed by the person in control."""
        self.agent.inbox.put(Command(command))

    def stop(self, reason: str = "stopped from the workbench", *, submit: bool = False) -> None:
        """End the episode before the agent's next action.

        ``submit``: the person's Stop & submit — control passes to the person, whose ``submit`` runs as
        their own step, so the run ends ``submitted`` like any submission. Otherwise (the workbench is
        closing) the session is interrupted and autosubmits the workspace (``exit_interrupted``).
        """
        if self.stopping or (submit and self.submitting):
            return
        self.stopping = not submit
        self.submitting = self.submitting or submit
        self.note("stop", reason=reason, submit=submit)
        if submit:
            self.agent.take_over()
            self.agent.inbox.put(Command("submit"))
        else:
            if self.session is not None:
                self.session.request_stop(ExitStatus.INTERRUPTED)
            if self.agent.human_in_control:
                self.agent.inbox.put(Stop(reason=reason))
        self._changed()

    # -- session thread ------------------------------------------------------------------------
    def review(self, step: AgentStep, bus: EventBus) -> AgentStep | None:
        """The session's hook: block while paused or awaiting approval; return what runs, or None."""
        by_human = step.extra.get("by") == "human"
        if not by_human and self.agent.human_in_control:
            self.note("dropped", proposed=step.action, reason="a person took control")
            return None
        if by_human:
            return step
        with self._cond:
            while not self._interrupted():
                if self.paused and self._steps_allowed == 0:
                    self._cond.wait(POLL)
                    continue
                wait = self._next_at - time.monotonic()
                if wait > 0 and not self.paused:
                    self._cond.wait(min(wait, POLL))  # the pace: woken early when it changes
                    continue
                break
            self._check_stop()
            if self.agent.human_in_control:
                self.note("dropped", proposed=step.action, reason="a person took control")
                return None
            self._next_at = time.monotonic() + self.pace
            if self._steps_allowed:
                self._steps_allowed -= 1
            if not self.approve:
                return step
            self.awaiting = step
            self._decision = None
            self.proposal += 1
            self.note("approval_requested", proposed=step.action, proposal=self.proposal)
        with self._cond:
            try:
                while self._decision is None and self.approve and not self._interrupted():
                    self._cond.wait(POLL)
                decision = self._decision
            finally:
                self.awaiting = None
                self._decision = None
            self._check_stop()
        if self.agent.human_in_control:
            if decision is None:
                self.note("dropped", proposed=step.action, reason="a person took control")
            return None
        if decision is None or decision.verdict == "approve":
            return step
        if decision.verdict == "edit" and decision.action:
            return AgentStep(decision.action, thought=step.thought, usage=step.usage, extra=step.extra)
        return None

    def _interrupted(self) -> bool:
        return self.stopping or self.agent.human_in_control

    def _check_stop(self) -> None:
        if self.stopping:
            raise UserStopped("stopped from the workbench")

"""The episode loop: the agent proposes, the environment executes, the bus tells everyone.

A session enforces the wall-time and cost limits, ends the episode when the environment truncates it (the
step limit is the environment's), turns every way an episode can end into an exit status, autosubmits the
last artefacts when an episode ends without a submission (as MLGym does), and
assembles the :class:`~mlgym_tui.core.trajectory.EpisodeResult`. It needs no threads; a UI that wants to
pause or approve plugs in a :class:`Controller`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from mlgym_tui.core.agent import Agent, AgentStep
from mlgym_tui.core.env import ResearchEnv
from mlgym_tui.core.errors import SandboxError
from mlgym_tui.core.events import Event, EventBus, EventKind
from mlgym_tui.core.exits import EpisodeEnd, ExitStatus
from mlgym_tui.core.trajectory import EpisodeResult, Evaluation

AUTOSUBMIT_ON = {
    ExitStatus.MAX_STEPS,
    ExitStatus.WALL_TIME,
    ExitStatus.COST,
    ExitStatus.CONTEXT,
    ExitStatus.FORMAT,
    ExitStatus.API,
    ExitStatus.INTERRUPTED,
}


@dataclass
class SessionLimits:
    """Limits across the episode. ``None`` means the task's own (or none, for cost)."""

    max_steps: int | None = None
    """Handed to the environment, which owns the step limit (it truncates); see ``ResearchEnv.max_steps``."""
    wall_time: float | None = None
    cost: float | None = None


class Controller(Protocol):
    """Lets a person intervene between the agent's proposal and its execution."""

    def review(self, step: AgentStep, bus: EventBus) -> AgentStep | None:
        """Return the step to execute (maybe edited), or None to reject it (the agent is told)."""


class _Totals:
    """Collects evaluations and usage from the event stream for the result."""

    def __init__(self) -> None:
        self.validations: list[Evaluation] = []
        self.submission: Evaluation | None = None
        self.tokens_in = 0
        self.tokens_out = 0
        self.cost = 0.0

    def __call__(self, event: Event) -> None:
        if event.kind in (EventKind.VALIDATION, EventKind.SUBMISSION):
            d = event.data
            ev = Evaluation(
                step=event.step,
                valid=bool(d.get("valid")),
                metrics=dict(d.get("metrics") or {}),
                score=d.get("score"),
                error=d.get("error"),
                tampered=bool(d.get("tampered")),
            )
            if event.kind is EventKind.SUBMISSION:
                self.submission = ev
            else:
                self.validations.append(ev)


class Session:
    """Runs one episode of ``agent`` in ``env``."""

    def __init__(
        self,
        env: ResearchEnv,
        agent: Agent,
        limits: SessionLimits | None = None,
        controller: Controller | None = None,
    ) -> None:
        self.env = env
        self.agent = agent
        self.bus = env.bus
        self.limits = limits or SessionLimits()
        self.controller = controller
        self.totals = _Totals()
        self.bus.subscribe(self.totals)
        self._stop_requested: ExitStatus | None = None
        self.paused_seconds = 0.0
        """Time a person's clock was paused (human mode); left out of the wall-time limit."""
        self.folder: Path | None = None
        """The run folder, when a runner made one (front ends keep a person's files there as they go)."""

    def request_stop(self, status: ExitStatus = ExitStatus.INTERRUPTED) -> None:
        """Ask the loop to end before the next step (thread-safe enough: one attribute write)."""
        self._stop_requested = status

    def _add_usage(self, step: AgentStep) -> None:
        u = step.usage
        if not (u.tokens_in or u.tokens_out or u.cost or u.calls):
            return
        t = self.totals
        t.tokens_in += u.tokens_in
        t.tokens_out += u.tokens_out
        t.cost += u.cost
        self.bus.publish(
            EventKind.MODEL_USAGE,
            tokens_in=u.tokens_in,
            tokens_out=u.tokens_out,
            cost=u.cost,
            calls=u.calls,
            total_tokens_in=t.tokens_in,
            total_tokens_out=t.tokens_out,
            total_cost=round(t.cost, 6),
        )

    def run(
        self, seed: int = 0, backend_label: str | None = None, extra: dict[str, Any] | None = None
    ) -> EpisodeResult:
        task = self.env.task
        max_steps = self.env.max_steps  # the environment truncates; the session only reports it
        wall_time = self.limits.wall_time or task.limits.wall_time
        started = time.monotonic()
        started_at = datetime.now(UTC).isoformat(timespec="seconds")
        self.bus.step = 0
        self.bus.publish(
            EventKind.EPISODE_STARTED,
            task=task.id,
            task_name=task.name,
            agent=self.agent.name,
            model=self.agent.model,
            backend=backend_label or self.env.backend,
            seed=seed,
            max_steps=max_steps,
            wall_time=wall_time,
            cost_limit=self.limits.cost,
            metric=task.primary.name,
            direction=task.primary.direction,
            baseline=task.baseline_score,
            stand_in=task.stand_in,
            **(extra or {}),
        )
        status = ExitStatus.ERROR
        message = ""
        try:
            observation, info = self.env.reset(seed=seed)
            self.bus.publish(
                EventKind.OBSERVATION,
                text=observation,
                exit_code=0,
                duration=0.0,
                timed_out=False,
                cut_bytes=0,
                tool="task",
            )
            bind = getattr(self.agent, "bind_bus", None)
            if callable(bind):  # optional: agents that report events of their own (format errors)
                bind(self.bus)
            self.agent.start(task, observation, info)
            while True:
                if self._stop_requested is not None:
                    raise EpisodeEnd("stopped on request", self._stop_requested)
                if time.monotonic() - started - self.paused_seconds > wall_time:
                    raise EpisodeEnd(f"reached the wall-time limit ({wall_time:g} s)", ExitStatus.WALL_TIME)
                step = self.agent.act(observation, info)
                self._add_usage(step)
                if step.thought:
                    self.bus.step = self.env.steps + 1
                    self.bus.publish(EventKind.THOUGHT, text=step.thought, **step.extra)
                if self.controller is not None:
                    reviewed = self.controller.review(step, self.bus)
                    if reviewed is None:
                        observation = "The user rejected this action. Propose a different one."
                        continue
                    step = reviewed
                observation, _reward, terminated, truncated, info = self.env.step(step.action)
                if terminated:
                    status = ExitStatus.SUBMITTED
                    break
                if self.limits.cost is not None and self.totals.cost >= self.limits.cost:
                    raise EpisodeEnd(f"reached the cost limit (${self.limits.cost:g})", ExitStatus.COST)
                if truncated:
                    raise EpisodeEnd(f"reached the step limit ({max_steps})", ExitStatus.MAX_STEPS)
        except EpisodeEnd as end:
            status, message = end.status, str(end)
            self._add_usage(AgentStep("", usage=end.usage))  # model calls of the step that ended it
        except SandboxError as exc:
            status, message = ExitStatus.RUNTIME, str(exc)
        except KeyboardInterrupt:
            status, message = ExitStatus.INTERRUPTED, "interrupted (Ctrl-C)"
        except Exception as exc:  # noqa: BLE001 - any crash still ends the episode on disk
            status, message = ExitStatus.ERROR, f"{type(exc).__name__}: {exc}"
            self.bus.publish(EventKind.ERROR, message=message)
        if status is not ExitStatus.SUBMITTED:
            self.bus.publish(EventKind.LIMIT, status=str(status), message=message)
            if status in AUTOSUBMIT_ON and self.env.runtime is not None and self.totals.submission is None:
                try:
                    self.env.evaluate(final=True)
                except Exception as exc:  # noqa: BLE001 - the sandbox may be gone
                    self.bus.publish(EventKind.ERROR, message=f"autosubmission failed: {exc}")
        result = EpisodeResult(
            task=task.id,
            agent=self.agent.name,
            model=self.agent.model,
            backend=backend_label or self.env.backend,
            seed=seed,
            exit_status=str(status),
            primary_metric=task.primary.name,
            direction=task.primary.direction,
            steps=self.env.steps,
            wall_time=time.monotonic() - started,
            tokens_in=self.totals.tokens_in,
            tokens_out=self.totals.tokens_out,
            cost=round(self.totals.cost, 6),
            validations=list(self.totals.validations),
            submission=self.totals.submission,
            baseline=dict(task.baseline.scores),
            stand_in=task.stand_in,
            task_source=task.source,
            started=started_at,
            ended=datetime.now(UTC).isoformat(timespec="seconds"),
            sandbox=self.env.sandbox,
        )
        self.bus.publish(
            EventKind.EPISODE_ENDED,
            exit_status=str(status),
            message=message,
            score=result.final_score,
            steps=result.steps,
            wall_time=round(result.wall_time, 3),
            cost=result.cost,
            tokens_in=result.tokens_in,
            tokens_out=result.tokens_out,
        )
        return result

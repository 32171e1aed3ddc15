"""The sweep agent: free, offline hyperparameter search over a task's declared tunables.

The MLGym paper found that LLM agents mostly tune hyperparameters; this agent does exactly that, with
no model, as an honest baseline agent. A task declares its tunables in ``task.yaml`` (a regex whose
first group is the value, in a workspace file, plus candidate values). The agent:

1. reads each tunable file (``cat``) to find the lines to edit,
2. runs the task's baseline command (if any) and validates, to score the starting settings,
3. coordinate descent: for each tunable in turn, tries each candidate value with the others at their
   best so far — edit (with the ``edit`` tool, so the trajectory shows every change), train, validate,
4. restores the best settings, re-trains and validates them if the last run was not of those settings,
5. submits.

Ties keep the earlier settings, so with a deterministic evaluation the submission is never worse than
the starting point. Steps are budgeted: the search stops early enough to always restore and submit.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from mlgym_tui.core.agent import AgentStep
from mlgym_tui.core.task import TaskConfig, Tunable

Plan = Generator[AgentStep, None, None]


@dataclass
class _Slot:
    """Where one tunable's value sits: its file, line number, and the text around the value."""

    tunable: Tunable
    line: int
    prefix: str
    suffix: str
    original: str

    def line_with(self, value: str) -> str:
        return f"{self.prefix}{value}{self.suffix}"


def _same(a: str, b: str) -> bool:
    try:
        return float(a) == float(b)
    except ValueError:
        return a == b


def find_slot(tunable: Tunable, text: str) -> _Slot | None:
    """Locate ``tunable`` in a file's text (first match of its pattern, one line)."""
    match = re.search(tunable.pattern, text, re.MULTILINE)
    if match is None or match.lastindex is None:
        return None
    line_start = text.rfind("\n", 0, match.start(1)) + 1
    line_end = text.find("\n", match.end(1))
    line_end = len(text) if line_end == -1 else line_end
    if "\n" in text[match.start(1) : match.end(1)]:
        return None
    return _Slot(
        tunable=tunable,
        line=text.count("\n", 0, line_start) + 1,
        prefix=text[line_start : match.start(1)],
        suffix=text[match.end(1) : line_end],
        original=match.group(1),
    )


class SweepAgent:
    """See the module docstring. ``max_evals`` caps the candidate settings tried (not counting the start)."""

    name = "sweep"
    model: str | None = None

    def __init__(self, max_evals: int = 12, tunables: list[str] | None = None) -> None:
        self.max_evals = int(max_evals)
        self.only = set(tunables) if tunables else None
        self._obs = ""
        self._info: dict[str, Any] = {}
        self._plan: Plan | None = None
        self.best_score: float | None = None
        self.best: dict[str, str] = {}
        self._open: str | None = None

    def start(self, task: TaskConfig, observation: str, info: dict[str, Any]) -> None:
        self._obs, self._info = observation, info
        self._open = None
        self._plan = self._search(task)

    def act(self, observation: str, info: dict[str, Any]) -> AgentStep:
        self._obs, self._info = observation, info
        assert self._plan is not None, "start() first"
        return next(self._plan, AgentStep("submit", thought="The search is over; submit."))

    def close(self) -> None:
        pass

    # -- the search ----------------------------------------------------------------------------------
    def _search(self, task: TaskConfig) -> Plan:
        tunables = [t for t in task.tunables if self.only is None or t.name in self.only]
        if not tunables:
            yield AgentStep("validate", thought="This task declares no tunable settings; score the starter code.")
            yield AgentStep("submit", thought="Nothing to search; submit the starter code.")
            return
        slots: dict[str, _Slot] = {}
        for file in dict.fromkeys(t.file for t in tunables):
            yield AgentStep(f"cat {shlex.quote(file)}", thought=f"Read {file} to find the settings to tune.")
            for t in (t for t in tunables if t.file == file):
                slot = find_slot(t, self._obs)
                if slot is not None:
                    slots[t.name] = slot
        if not slots:
            yield AgentStep("submit", thought="None of the declared settings was found; submit as is.")
            return
        state = {name: s.original for name, s in slots.items()}  # what the files hold now
        command = task.baseline.command

        def evaluate(settings: dict[str, str], why: str) -> Generator[AgentStep, None, float | None]:
            for name, value in settings.items():
                if state[name] != value:
                    yield from self._edit(slots[name], value, why)
                    state[name] = value
            if command:
                yield AgentStep(command, thought=f"Train with {_label(settings)}.")
            yield AgentStep("validate", thought=f"Score {_label(settings)}.")
            evaluation = self._info.get("evaluation") or {}
            score = evaluation.get("score")
            return float(score) if evaluation.get("valid") and score is not None else None

        self.best = dict(state)
        self.best_score = yield from evaluate(self.best, "Score the starting settings.")
        last = dict(self.best)
        per_eval = 1 + (1 if command else 0) + 2  # validate, train, an edit (+ an open)
        reserve = len(slots) + 1 + (1 if command else 0) + 2  # restore edits, open, train, validate, submit
        evals = 0
        for name, slot in slots.items():
            for value in (str(v) for v in slot.tunable.values):
                if _same(value, self.best[name]) or evals >= self.max_evals:
                    continue
                if int(self._info.get("steps_left", 0)) < per_eval + reserve:
                    break
                trial = {**self.best, name: value}
                why = f"Try {name} = {value} (best so far {self.best_score} with {_label(self.best)})."
                score = yield from evaluate(trial, why)
                evals += 1
                last = trial
                if score is not None and task.primary.direction.better(score, self.best_score):
                    self.best, self.best_score = trial, score
        if last != self.best:
            yield from evaluate(self.best, f"Restore the best settings found ({_label(self.best)}).")
        yield AgentStep("submit", thought=f"Submit the best settings: {_label(self.best)} ({self.best_score}).")

    def _edit(self, slot: _Slot, value: str, why: str) -> Plan:
        file = slot.tunable.file
        if self._open != file:
            yield AgentStep(f"open {shlex.quote(file)} {slot.line}", thought=f"Open {file} to edit it.")
            self._open = file
        yield AgentStep(f"edit {slot.line}:{slot.line}\n{slot.line_with(value)}\nend_of_edit", thought=why)


def _label(settings: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in settings.items())

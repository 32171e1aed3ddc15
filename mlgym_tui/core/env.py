"""``ResearchEnv``: one task as a Gymnasium environment with text actions and observations.

Each ``reset`` builds a fresh sandbox (workspace with the starter code and public data, a persistent
shell in the task's Python environment); each ``step`` runs one action — a tool of the agent-computer
interface or a shell command — and publishes what happened on the event bus. Reward is zero except on
``validate`` / ``submit``, where it is the primary metric's gain over the baseline (positive is better
for both max and min metrics; see :meth:`mlgym_tui.core.direction.Direction.improvement`).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import string
from pathlib import Path
from typing import Any

import gymnasium as gym

from mlgym_tui.core.data import PreparedData, prepare_data
from mlgym_tui.core.dataset_sources import (
    check_available,
    copy_hub_data,
    copy_local_data,
    sandbox_environment,
)
from mlgym_tui.core.errors import SandboxError
from mlgym_tui.core.evaluation import (
    baseline_as_reported,
    describe,
    for_validation,
    run_evaluation,
    trusted_fingerprint,
)
from mlgym_tui.core.events import EventBus, EventKind
from mlgym_tui.core.memory import MemoryStore
from mlgym_tui.core.runtime import Runtime, RuntimeSettings, make_runtime
from mlgym_tui.core.submission import MANIFEST, export_workspace, write_manifest
from mlgym_tui.core.task import TaskConfig
from mlgym_tui.core.task_sources import load_task
from mlgym_tui.core.tools import TOOLS, Editor, ToolError, parse_action, run_tool
from mlgym_tui.core.trajectory import Evaluation
from mlgym_tui.core.venvs import ensure_venv
from mlgym_tui.task_lib import CHANNEL_MODULE, TASK_LIB

MAX_TEXT = 1_000_000
_SCRIPT_COMMAND = re.compile(r"(?<![\w.-])(python3?|torchrun|accelerate|deepspeed|bash|sh|make)(?![\w.-])")
"""A command that runs a script gets the training timeout wherever the runner appears in it (``cd src &&
python train.py`` too), as MLGym gives it to any action that mentions one of its training commands."""


class TextSpace(gym.spaces.Text):
    """Any string up to ``max_length`` characters (Gymnasium's Text rejects characters outside a charset,
    and real shell output contains everything).

    ``sample`` returns a harmless ``echo`` command rather than random characters, which a shell would try to
    execute: any string is a valid action, but not every string is safe to try at random.
    """

    def __init__(self, max_length: int = MAX_TEXT, seed: int | None = None) -> None:
        super().__init__(
            max_length=max_length, min_length=0, charset=string.ascii_letters + string.digits, seed=seed
        )

    def contains(self, x: Any) -> bool:
        return isinstance(x, str) and len(x) <= self.max_length

    def sample(self, mask: Any = None, probability: Any = None) -> str:
        word = super().sample(mask=(8, None)) if mask is None else super().sample(mask=mask)
        return f"echo {word or 'x'}"

    def __repr__(self) -> str:
        return f"TextSpace(max_length={self.max_length})"


class ResearchEnv(gym.Env[str, str]):
    """A research task (see the module docstring).

    ``info`` (from ``reset`` and ``step``) holds ``step`` (steps taken), ``exit_code`` (of the last
    command), ``cwd`` and ``open_file`` (relative to the workspace), ``steps_left`` (before truncation) and
    ``max_steps``,
    ``memory_ranking`` (with a research log) and, after ``validate``/``submit``, ``evaluation``
    (``valid``, ``metrics``, ``score``, ``error``).
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(
        self,
        task_id: str | None = None,
        *,
        task: TaskConfig | None = None,
        backend: str = "local",
        runtime_settings: RuntimeSettings | None = None,
        bus: EventBus | None = None,
        render_mode: str | None = None,
        full_data: bool = False,
        memory: MemoryStore | None = None,
        max_steps: int | None = None,
    ) -> None:
        if task is None:
            if task_id is None:
                raise ValueError("give task_id or task")
            task = load_task(task_id)
        self.task = task
        self.max_steps = task.limits.max_steps if max_steps is None else int(max_steps)
        """Steps before the episode is truncated: the task's limit unless given (``gym.make(id, max_steps=N)``,
        ``--max-steps``). The environment alone owns it; the session ends the episode when ``step``
        reports truncation, and ``info["steps_left"]`` tells the agent."""
        if self.max_steps < 1:
            raise ValueError(f"max_steps must be at least 1, got {self.max_steps}")
        self.backend = backend
        self.settings = runtime_settings or RuntimeSettings()
        self.bus = bus or EventBus()
        self.render_mode = render_mode
        self.full_data = full_data
        self.memory = memory
        self.observation_space = TextSpace()
        self.action_space = TextSpace()
        self.runtime: Runtime | None = None
        self.sandbox = ""
        """What confined the last episode: ``bwrap`` or ``none`` (local), ``docker``."""
        self.editor: Editor | None = None
        self.steps = 0
        self.best: Evaluation | None = None
        self.submitted: Evaluation | None = None
        self._last_observation = ""
        self._prepared: PreparedData | None = None
        self._python: Path | None = None
        self.tampered: Evaluation | None = None
        """The evaluation that found tampering: final for the episode (no later one scores)."""
        self.validations = 0
        self._fingerprint: str | None = None
        self.log = lambda message: None

    # -- setup ---------------------------------------------------------------------------------
    def _ensure_dependencies(self) -> None:
        if self._python is None:
            venv = ensure_venv(self.task.requirements, log=self.log)
            self._python = venv / "bin" / "python"
            self._prepared = prepare_data(self.task, self._python, full=self.full_data, log=self.log)

    def _build_runtime(self) -> Runtime:
        assert self._python is not None
        settings = RuntimeSettings(**{**self.settings.__dict__})
        if self.backend == "local":
            settings.path_prepend = [str(self._python.parent), *settings.path_prepend]
            settings.python = str(self._python)
        settings.env = {**settings.env, "MLGYM_TASK": self.task.id}
        settings.read_only = [*self.task.read_only, *settings.read_only]
        if settings.max_workspace_bytes is None:
            settings.max_workspace_bytes = self.task.limits.max_workspace_bytes
        runtime = make_runtime(self.backend, settings)
        settings.env.update(sandbox_environment(self.task, runtime.workspace, self._network))
        return runtime

    @property
    def _network(self) -> bool:
        """Whether the sandbox reaches the network (only a docker container given ``--network`` does)."""
        return self.backend == "docker" and self.settings.network

    def _populate(self, runtime: Runtime) -> None:
        ws = runtime.workspace
        copy_local_data(self.task, runtime)  # MLGym's local data sets: before the starter code, as MLGym
        for item in self.task.starter_code:
            runtime.copy_in(self.task.dir / item, f"{ws}/{item}")
        copy_hub_data(self.task, runtime)
        assert self._prepared is not None
        if self._prepared.public is not None:
            runtime.copy_in(self._prepared.public, f"{ws}/{self.task.data.workspace_dir}")
        if self.task.evaluation.player:  # so `python evaluate.py` runs in the workspace too
            runtime.copy_in(TASK_LIB / CHANNEL_MODULE, f"{ws}/{CHANNEL_MODULE}")
        if self.backend == "local":
            for rel in self.task.read_only:
                path = Path(ws) / rel
                # files only: a folder left writable can still be cleaned up by a non-root user
                for item in path.rglob("*") if path.is_dir() else [path]:
                    if item.is_file() and not item.is_symlink():
                        item.chmod(item.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))

    # -- Gymnasium API -------------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        self._close_runtime()
        check_available(self.task, self._network)
        self._ensure_dependencies()
        episode_seed = int(self.np_random.integers(0, 2**31 - 1))
        self.settings.env = {**self.settings.env, "MLGYM_SEED": str(episode_seed)}
        runtime = self._build_runtime()
        try:
            runtime.start()
            self._populate(runtime)
        except BaseException:
            runtime.close()
            raise
        self.runtime = runtime
        self.sandbox = str(getattr(runtime, "sandbox", runtime.name))
        if self.sandbox == "none":
            self.bus.publish(
                EventKind.ERROR,
                source="sandbox",
                message=f"NO SANDBOX: the agent's commands run unconfined as this user "
                f"({getattr(runtime, 'sandbox_note', '') or 'no sandbox available'})",
            )
        self.editor = Editor(runtime, read_only=[f"{runtime.workspace}/{rel}" for rel in self.task.read_only])
        self.steps = 0
        self.bus.step = 0
        self.best = None
        self.submitted = None
        self.tampered = None
        self.validations = 0
        self._fingerprint = trusted_fingerprint(self.task, self._prepared.private if self._prepared else None)
        self._last_observation = self.task.render_description()
        return self._last_observation, self._info()

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if self.runtime is None or self.editor is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        if self.submitted is not None:
            raise gym.error.ResetNeeded("the episode was submitted; call reset()")
        self.steps += 1
        self.bus.step = self.steps
        self.bus.publish(EventKind.ACTION, action=action)
        reward = 0.0
        terminated = False
        exit_code = 0
        evaluation: Evaluation | None = None
        tool = _tool_name(action)
        try:
            parsed = parse_action(action)
            tool = parsed.tool
            kind = TOOLS[tool].kind if tool is not None else None
            if kind == "evaluation":
                final = tool == "submit"
                evaluation = self.evaluate(final=final)
                observation = describe(self.task, evaluation, final=final)
                reward = self._reward(evaluation, final)
                terminated = final
            elif kind == "memory":
                observation = self._memory(tool, parsed.args[0])
            elif tool is not None:
                out = run_tool(self.editor, parsed)
                observation = out.text
                for kind, data in out.events:
                    self.bus.publish(EventKind(kind), **data)
            else:
                observation, exit_code = self._run_shell(parsed.command)
        except ToolError as exc:
            observation = str(exc)
            exit_code = 1
        except OSError as exc:
            if tool is None:  # the shell's own pipes failed: the sandbox is broken, not the command
                raise SandboxError(f"the shell failed: {exc}") from exc
            # A path the sandbox does not let the agent write (or read) is the agent's to see, never
            # an episode-ending crash: the shell would have said the same.
            observation = f"Error: {_os_error_text(exc)}"
            exit_code = 1
        if tool is not None:
            self.bus.publish(
                EventKind.OBSERVATION,
                text=observation,
                exit_code=exit_code,
                duration=0.0,
                timed_out=False,
                cut_bytes=0,
                tool=tool,
            )
        self._last_observation = observation
        return observation, reward, terminated, self._truncated(), self._info(exit_code, evaluation)

    def _memory(self, tool: str, text: str) -> str:
        """The research-log tools run here, on the host: the sandbox never touches the store."""
        if self.memory is None:
            raise ToolError(f"Error: `{tool}` is not enabled for this episode")
        best = self.best.score if self.best else None
        if tool == "memory_write":
            note = self.memory.write(text, step=self.steps, best_score=best)
            self.bus.publish(EventKind.MEMORY, op="write", text=note.text, best_score=best,
                             ranker=self.memory.ranker.name)
            return f"Noted (step {note.step}). Your research log has {len(self.memory.all_notes)} notes."
        hits = self.memory.read(text)
        self.bus.publish(EventKind.MEMORY, op="read", query=text, ranker=self.memory.ranker.name,
                         results=[{"text": n.text, "step": n.step, "run": n.run, "score": round(s, 4)}
                                  for n, s in hits])
        if not hits:
            return "Your research log is empty."
        lines = [f"Notes closest to {text!r} ({self.memory.ranker.description}):"]
        for note, _score in hits:
            origin = "" if note.run == (self.memory.path.parent.name) else f", from run {note.run}"
            best_note = "" if note.best_score is None else f", best score then {note.best_score:g}"
            lines.append(f"- [step {note.step}{origin}{best_note}] {note.text}")
        return "\n".join(lines)

    def _run_shell(self, command: str) -> tuple[str, int]:
        assert self.runtime is not None
        result = self.runtime.run(
            command,
            self._timeout_for(command),
            on_output=lambda text: self.bus.publish(EventKind.OUTPUT, text=text),
        )
        observation = result.output
        if not observation.strip():
            observation = (
                "Your command ran successfully and did not produce any output."
                if result.exit_code == 0
                else f"(no output; exit code {result.exit_code})"
            )
        self.bus.publish(
            EventKind.OBSERVATION,
            text=observation,
            exit_code=result.exit_code,
            duration=round(result.duration, 4),
            timed_out=result.timed_out,
            cut_bytes=result.cut_bytes,
            tool=None,
        )
        return observation, result.exit_code

    def evaluate(self, final: bool) -> Evaluation:
        """Score the workspace now; publishes a validation or submission event.

        Tampering is final: once an evaluation found a changed evaluation file (or changed trusted files
        on the host), every later one in the episode is refused with that reason. A validation reports
        its metrics rounded (:func:`for_validation`) and counts against ``max_validations``."""
        assert self.runtime is not None
        limit = self.task.evaluation.max_validations
        if self.tampered is not None:
            evaluation = Evaluation(
                step=self.steps, valid=False, tampered=True,
                error=f"the run was marked tampered at step {self.tampered.step} ({self.tampered.error}); "
                      "nothing in this episode is scored any more",
            )
        elif not final and limit is not None and self.validations >= limit:
            evaluation = Evaluation(
                step=self.steps, valid=False,
                error=f"the validation budget ({limit} per episode) is spent; `submit` is still scored",
            )
        else:
            private = self._prepared.private if self._prepared else None
            if self._fingerprint is not None and trusted_fingerprint(self.task, private) != self._fingerprint:
                evaluation = Evaluation(
                    step=self.steps, valid=False, tampered=True,
                    error="tampered: the task's evaluation scripts or private data changed on the host; "
                          "the run is not scored",
                )
            else:
                python = self._python if self._python is not None else Path(self.settings.python)
                evaluation = run_evaluation(self.task, self.runtime, self.steps, private, python)
                if trusted_fingerprint(self.task, private) != self._fingerprint:  # changed meanwhile
                    evaluation = Evaluation(
                        step=self.steps, valid=False, tampered=True,
                        error="tampered: the task's evaluation scripts or private data changed on the host "
                              "during the evaluation; the run is not scored",
                    )
                if not final:
                    self.validations += 1
                    evaluation = for_validation(self.task, evaluation)
            if evaluation.tampered:
                self.tampered = evaluation
        if (
            evaluation.valid
            and evaluation.score is not None
            and (self.best is None or self.task.primary.direction.better(evaluation.score, self.best.score))
        ):
            self.best = evaluation
        if final:
            self.submitted = evaluation
        kind = EventKind.SUBMISSION if final else EventKind.VALIDATION
        self.bus.publish(
            kind,
            valid=evaluation.valid,
            metrics=dict(evaluation.metrics),
            score=evaluation.score,
            error=evaluation.error,
            tampered=evaluation.tampered,
            baseline=self.task.baseline_score,
            metric=self.task.primary.name,
            direction=self.task.primary.direction,
        )
        return evaluation

    def render(self) -> str | None:
        return self._last_observation if self.render_mode == "ansi" else None

    def close(self) -> None:
        self._close_runtime()
        super().close()

    # -- helpers -------------------------------------------------------------------------------
    def _reward(self, evaluation: Evaluation, final: bool = True) -> float:
        if not evaluation.valid or evaluation.score is None:
            return 0.0
        base = baseline_as_reported(self.task, final)
        return float(self.task.primary.direction.improvement(evaluation.score, base))

    def _timeout_for(self, command: str) -> float:
        limits = self.task.limits
        return limits.training_timeout if _SCRIPT_COMMAND.search(command) else limits.command_timeout

    def _truncated(self) -> bool:
        return self.steps >= self.max_steps and self.submitted is None

    def _info(self, exit_code: int = 0, evaluation: Evaluation | None = None) -> dict[str, Any]:
        info: dict[str, Any] = {
            "step": self.steps,
            "exit_code": exit_code,
            "cwd": self._relative(self.runtime.cwd()) if self.runtime else ".",
            "open_file": self._relative(self.editor.state.path)
            if self.editor and self.editor.state.path
            else None,
            "steps_left": max(self.max_steps - self.steps, 0),
            "max_steps": self.max_steps,
        }
        if self.memory is not None:
            info["memory_ranking"] = f"Ranking: {self.memory.ranker.description}"
        if evaluation is not None:
            info["evaluation"] = {
                "valid": evaluation.valid,
                "metrics": dict(evaluation.metrics),
                "score": evaluation.score,
                "error": evaluation.error,
            }
        return info

    def _relative(self, path: str) -> str:
        """Paths in ``info`` relative to the workspace, so two episodes' infos compare equal."""
        assert self.runtime is not None
        ws = self.runtime.workspace
        if path == ws:
            return "."
        return os.path.relpath(path, ws) if path.startswith(ws + "/") else path

    def _close_runtime(self) -> None:
        if self.runtime is not None:
            self.runtime.close()
            self.runtime = None
            self.editor = None

    def copy_workspace_out(self, destination: Path, max_file_bytes: int = 20 * 1024 * 1024) -> None:
        """Copy the submitted artefacts (and other small files) out of the sandbox into ``destination``.

        Bounded by the task's ``max_submission_bytes``: regular files only (the submission first), never
        more bytes written than that limit whatever the files claim (sparse or growing files included);
        what is left out is listed, with the reason, in ``workspace.manifest.json`` beside it."""
        if self.runtime is None:
            return
        budget = self.task.evaluation.max_submission_bytes
        tmp = destination.with_name(destination.name + ".partial")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        skip = [self.task.data.workspace_dir] if (self.task.data.prepare or self.task.data.local) else []
        skipped = export_workspace(
            self.runtime, tmp, self.task.evaluation.submission, skip, budget, max_file_bytes
        )
        if destination.exists():
            shutil.rmtree(destination)
        tmp.rename(destination)
        write_manifest(destination.with_name(MANIFEST), skipped, budget)


def _os_error_text(exc: OSError) -> str:
    """``cannot write evaluate.py: Read-only file system`` rather than Python's ``[Errno 30] …``."""
    reason = exc.strerror or str(exc)
    return f"{exc.filename}: {reason}" if exc.filename else reason


def _tool_name(action: str) -> str | None:
    words = action.strip().split(maxsplit=1)
    return words[0] if words else None

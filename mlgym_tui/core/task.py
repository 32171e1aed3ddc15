"""Task definitions: ``tasks/<id>/task.yaml`` parsed into a validated, documented config.

A task is data. Everything a run needs to know about one — what the agent is told, which files it gets,
how its work is scored and what the baseline scored — lives in its folder, so adding a task never means
touching the package.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

import jinja2
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from mlgym_tui.core.direction import Direction
from mlgym_tui.core.errors import ConfigError
from mlgym_tui.core.yaml_files import read_yaml_mapping


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MetricSpec(_Strict):
    """One number the evaluation script reports."""

    name: str
    """Key in the evaluation's JSON output."""
    direction: Direction
    """Whether higher (max) or lower (min) is better."""
    primary: bool = False
    """The metric runs are ranked by; exactly one per task."""
    description: str = ""
    lower: float | None = None
    """Smallest value the evaluation can honestly report (e.g. the game's lowest payoff); a value below
    it makes the evaluation invalid. None for no bound."""
    upper: float | None = None
    """Largest value the evaluation can honestly report (e.g. the game's highest payoff, 1.0 for an
    accuracy); a value above it makes the evaluation invalid. None for no bound."""


class EvaluationSpec(_Strict):
    """How a submission is scored."""

    script: str
    """Evaluation script, relative to the task folder; prints one JSON object of metrics on stdout."""
    timeout: float = 600
    """Seconds the evaluation may take before it counts as failed."""
    submission: list[str] = Field(default_factory=list)
    """Workspace paths the evaluation reads (the artefacts copied into the run folder). Only these are
    copied, as regular files, into the evaluation's private folder."""
    player: str | None = None
    """Script (relative to the task folder) that runs the agent's code for the evaluation, in the
    agent's sandbox without the private data, answering the evaluation over a pipe; None when the
    evaluation only reads data files (see tasks/README.md)."""
    judge: Literal["host", "sandbox"] = "host"
    """Where the evaluation script runs. ``host``: as trusted code outside the sandbox, on a private copy
    of the submission, with the agent's code (if any) in the sandbox as its ``player``. ``sandbox``:
    legacy, for a task not yet split that way: the script imports the agent's code and runs beside it in
    the sandbox, so the agent's code could forge its metrics (tasks/README.md lists these tasks)."""
    max_submission_bytes: int = Field(default=256 * 1024 * 1024, gt=0)
    """Most bytes the submission may take (apparent size, all files together); also the most the run
    folder keeps of the workspace."""
    max_validations: int | None = Field(default=None, gt=0)
    """Most ``validate`` calls per episode (each one scores on the hidden test data); None: as many as
    the step limit allows, as in MLGym."""
    validation_digits: int = Field(default=4, ge=1, le=15)
    """Significant digits of each metric a ``validate`` reports (a ``submit`` reports them in full);
    bounds what one validation can reveal about the hidden labels."""


class DataSpec(_Strict):
    """Where the task's data comes from."""

    prepare: str | None = None
    """Script (relative to the task folder) run as ``prepare --out DIR [--full]``; it writes ``DIR/public``
    (copied into the workspace) and ``DIR/private`` (test labels, shown only to the evaluation)."""
    workspace_dir: str = "data"
    """Where the public data appears in the workspace."""
    description: str = ""
    """What the data is and where it comes from (shown to the agent)."""
    stand_in: bool = False
    """The offline data is a labelled stand-in, not the real data set: scores are not comparable with
    published numbers."""
    local: list[str] = Field(default_factory=list)
    """Host folders (absolute, or relative to the task folder) whose contents are copied as they are into
    the workspace's data folder, read-only (MLGym's ``is_local`` datasets)."""
    local_exclude: list[str] = Field(default_factory=list)
    """Paths inside the ``local`` folders (relative to them) that are not copied: secret files, which the
    evaluation gets from ``private_dir`` instead."""
    private_dir: str | None = None
    """A folder in the task folder that only the evaluation sees (as ``$MLGYM_PRIVATE_DATA``), laid out like
    the workspace; for tasks without a ``prepare`` script (MLGym's ``secret_files``)."""
    hub: list[str] = Field(default_factory=list)
    """Hugging Face dataset ids the task's code loads by name (MLGym's hub datasets): they must be in the
    Hugging Face cache, or the sandbox must have network (see docs/mlgym-tasks.md)."""


class BaselineSpec(_Strict):
    """The reference solution and what it scored."""

    command: str | None = None
    """Shell command (run in the workspace) that produces the baseline submission; None when the starter
    code as given is the baseline."""
    scores: dict[str, float] = Field(default_factory=dict)
    """Scores measured with this project's own code (``mlgym-tui tasks check ID``)."""
    tolerance: float = 0.0
    """Largest absolute drift of the primary score that ``tasks check`` accepts."""
    measured_with: str = ""
    """The command and host the scores were measured with."""


class LimitsSpec(_Strict):
    """Episode limits; agents may tighten them."""

    max_steps: int = Field(default=50, gt=0)
    command_timeout: float = Field(default=120, gt=0)
    """Seconds an ordinary shell command may run."""
    training_timeout: float = Field(default=1800, gt=0)
    """Seconds a command that runs a script (python, bash, torchrun …) may run."""
    wall_time: float = Field(default=4 * 3600, gt=0)
    """Seconds for the whole episode."""
    max_workspace_bytes: int = Field(default=20 * 1000**3, gt=0)
    """Most bytes on disk the workspace (with the sandbox's /tmp) may take while the episode runs; past
    it the sandbox's running processes are stopped and the agent is told (README: Sandboxes)."""


class Tunable(_Strict):
    """A setting the sweep agent may change: a regex with one group in a workspace file."""

    name: str
    file: str
    pattern: str
    """Regular expression whose first group is the value to replace."""
    values: list[str | int | float]


class TaskConfig(_Strict):
    """One task, as in ``tasks/<id>/task.yaml``."""

    id: str
    name: str
    domain: str
    description: str
    """Jinja2 template for what the agent is told (variables: ``task``, ``baseline``, ``metric``)."""
    starter_code: list[str] = Field(default_factory=list)
    """Files or folders, relative to the task folder, copied into the workspace."""
    read_only: list[str] = Field(default_factory=list)
    """Workspace paths the agent must leave unchanged (hash-checked before scoring)."""
    metrics: list[MetricSpec]
    evaluation: EvaluationSpec
    baseline: BaselineSpec = Field(default_factory=BaselineSpec)
    data: DataSpec = Field(default_factory=DataSpec)
    limits: LimitsSpec = Field(default_factory=LimitsSpec)
    requirements: list[str] = Field(default_factory=list)
    """pip requirements of the task's code (installed into a cached per-task environment)."""
    gpu: bool = False
    """Whether the task is meant to run on a GPU (it still runs, slowly, without one)."""
    tunables: list[Tunable] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    source: Literal["mlgym-tui", "mlgym"] = "mlgym-tui"
    """Where the definition comes from: this project's ``tasks/`` format, or an MLGym checkout's
    ``configs/tasks/*.yaml`` (converted; its baseline is MLGym's recorded one)."""

    _dir: Path = PrivateAttr(default=Path("."))
    _origin: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _one_primary(self) -> TaskConfig:
        primaries = [m for m in self.metrics if m.primary]
        if len(primaries) != 1:
            raise ValueError(f"metrics: exactly one metric must be primary, found {len(primaries)}")
        names = {m.name for m in self.metrics}
        unknown = set(self.baseline.scores) - names
        if unknown:
            raise ValueError(f"baseline.scores: {sorted(unknown)} are not among the metrics {sorted(names)}")
        return self

    @property
    def dir(self) -> Path:
        """The task's folder."""
        return self._dir

    @property
    def origin(self) -> Path:
        """The file the task was defined in (``task.yaml``, or an MLGym ``configs/tasks/*.yaml``)."""
        return self._origin or self._dir / "task.yaml"

    @cached_property
    def primary(self) -> MetricSpec:
        return next(m for m in self.metrics if m.primary)

    @property
    def baseline_score(self) -> float | None:
        return self.baseline.scores.get(self.primary.name)

    @property
    def stand_in(self) -> bool:
        return self.data.stand_in

    def render_description(self) -> str:
        """The task text the agent sees, with strict templating so a typo fails loudly."""
        env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
        try:
            return env.from_string(self.description).render(
                task=self, baseline=self.baseline.scores, metric=self.primary
            )
        except jinja2.TemplateError as exc:
            raise ConfigError(
                f"{self.origin}: field 'description': template error: {exc}"
            ) from exc


@dataclass(frozen=True)
class TaskInfo:
    """What scoring and importing need to know about a task besides its runs."""

    metric: str
    direction: Direction
    baseline: float | None
    stand_in: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "direction", Direction(self.direction))  # "max"/"min" strings welcome


def describe_validation_error(path: Path, exc: ValidationError) -> str:
    """One line for the most useful error: a misspelt field explains a 'missing' one, so it goes first."""
    errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
    err = errors[0]
    loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        missing = [str(e["loc"][-1]) for e in errors if e["type"] == "missing" and e["loc"][:-1] == err["loc"][:-1]]
        close = difflib.get_close_matches(str(err["loc"][-1]), missing, n=1)
        hint = f"did you mean '{close[0]}'?" if close else "check the spelling; see tasks/README.md for the fields"
        msg = f"unknown field ({hint})"
    elif err["type"] == "missing":
        msg = "required field is missing"
    return f"{path}: field '{loc}': {msg}"


def load_task_file(path: Path) -> TaskConfig:
    """Parse and check one ``task.yaml``; every problem becomes a one-line :class:`ConfigError`."""
    raw = read_yaml_mapping(path)
    try:
        task = TaskConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(path, exc)) from exc
    folder = path.parent
    task._dir = folder
    if task.id != folder.name:
        raise ConfigError(f"{path}: field 'id': {task.id!r} must match the folder name {folder.name!r}")
    _check_paths(path, task)
    return task


def _check_paths(path: Path, task: TaskConfig) -> None:
    folder = path.parent
    script = folder / task.evaluation.script
    if not script.is_file():
        raise ConfigError(
            f"{path}: field 'evaluation.script': {task.evaluation.script} does not exist in {folder}"
        )
    if task.evaluation.player and not (folder / task.evaluation.player).is_file():
        raise ConfigError(
            f"{path}: field 'evaluation.player': {task.evaluation.player} does not exist in {folder}"
        )
    if task.data.prepare and not (folder / task.data.prepare).is_file():
        raise ConfigError(f"{path}: field 'data.prepare': {task.data.prepare} does not exist in {folder}")
    for i, item in enumerate(task.starter_code):
        if not (folder / item).exists():
            raise ConfigError(f"{path}: field 'starter_code.{i}': {item} does not exist in {folder}")

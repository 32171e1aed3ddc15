"""MLGym task definitions (an MLGym checkout's ``configs/tasks/*.yaml``) as this project's TaskConfig.

A researcher who wants numbers comparable with MLGym-Bench must run MLGym's own definitions: its task
text, starter code, evaluation script and recorded ``baseline_scores``. This module reads them from a
checkout and converts each into a :class:`~mlgym_tui.core.task.TaskConfig` under the id
``mlgym:<id>``, which cannot collide with this project's ids (they have no colon). The field mapping and
every deliberate difference are in ``docs/mlgym-tasks.md``.

The converted task needs a folder of its own (the runtimes copy starter files from it and mount it, read-
only, for the evaluation): its files are copied once into the cache, keyed by their content, beside the
wrapper (:mod:`mlgym_tui.core.mlgym_evaluate`) that runs MLGym's evaluation as MLGym does.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mlgym_tui.core import mlgym_evaluate
from mlgym_tui.core.direction import Direction
from mlgym_tui.core.errors import ConfigError
from mlgym_tui.core.task import (
    BaselineSpec,
    DataSpec,
    EvaluationSpec,
    LimitsSpec,
    MetricSpec,
    TaskConfig,
    describe_validation_error,
)
from mlgym_tui.core.yaml_files import read_yaml_mapping
from mlgym_tui.paths import PACKAGE_DIR, cache_dir

PREFIX = "mlgym:"
"""Ids of MLGym-sourced tasks: ``mlgym:<the config's id>``."""
PRIVATE_DIR = "private"
"""In the converted task's folder: the ``secret_files``, laid out as in the workspace."""
EVALUATOR = "_mlgym_evaluate.py"
"""The wrapper's name in the converted task's folder (the task's evaluation script)."""
GENERIC_REQUIREMENTS_FILE = PACKAGE_DIR / "core" / "mlgym_generic_requirements.txt"
"""This project's equivalent of MLGym's generic conda environment (``use_generic_conda: true``)."""
DEFAULT_TRAINING_TIMEOUT = 3600
"""MLGym's timeout for training commands when a task gives none (its ``MLGYM_AGENT_LONG_TIMEOUT``)."""
ENTRYPOINTS = ("CSVSubmissionTasks", "PythonSubmissionTasks", "ModelSubmissionTasks", "LMSubmissionTasks")

_LAYOUT = b"mlgym-task-folder/4"
"""Part of every converted folder's cache key: change it when the folder's layout changes."""

_log = logging.getLogger(__name__)
_warned: set[str] = set()


@dataclass(frozen=True)
class BenchTask:
    """What MLGym-Bench says about one of its tasks that its config does not: how it is ranked."""

    primary: str
    domain: str
    gpu: bool = False


BENCH_TASKS: dict[str, BenchTask] = {
    "3SATTime": BenchTask("Time", "Algorithms"),
    "battleOfSexes": BenchTask("Score", "Game Theory"),
    "blotto": BenchTask("Score", "Game Theory"),
    "prisonersDilemma": BenchTask("Score", "Game Theory"),
    "imageCaptioningCOCO": BenchTask("BLEU Score", "Computer Vision", gpu=True),
    "imageClassificationCifar10": BenchTask("accuracy", "Computer Vision", gpu=True),
    "imageClassificationFMnist": BenchTask("accuracy", "Computer Vision", gpu=True),
    "languageModelingFineWeb": BenchTask("val_loss", "Natural Language Processing", gpu=True),
    "naturalLanguageInferenceMNLI": BenchTask("validation_accuracy", "Natural Language Processing", gpu=True),
    "regressionKaggleHousePrice": BenchTask("r2", "Data Science"),
    "regressionKaggleHousePriceL1": BenchTask("r2", "Data Science"),
    "titanicSurvival": BenchTask("Accuracy", "Data Science"),
    "rlBreakoutMinAtar": BenchTask("Reward Mean", "Reinforcement Learning", gpu=True),
    "rlMetaMazeMisc": BenchTask("Reward Mean", "Reinforcement Learning", gpu=True),
    "rlMountainCarContinuous": BenchTask("Reward Mean", "Reinforcement Learning", gpu=True),
    "rlMountainCarContinuousReinforce": BenchTask("Reward Mean", "Reinforcement Learning", gpu=True),
}
"""The MLGym-Bench tasks: primary metric (the one the paper ranks by), domain, whether it wants a GPU."""

LOWER_IS_BETTER = ("loss", "rmse", "mse", "mae", "error", "time", "perplexity", "incorrect", "std")
"""Words in a metric's name that make it lower-is-better when the config does not say (``Reward Std``,
``val_loss``, ``Time``); every other metric is higher-is-better."""


class _Loose(BaseModel):
    """MLGym's format evolves: unknown fields are kept aside (and warned about), never fatal."""

    model_config = ConfigDict(extra="allow", frozen=True)


class MLGymTaskFile(_Loose):
    """The fields of MLGym's ``TaskConfig`` (``mlgym/environment/tasks.py``), plus two of ours."""

    id: str
    name: str
    description: str
    dataset_configs: list[str] = Field(default_factory=list)
    task_entrypoint: str = "CSVSubmissionTasks"
    training_timeout: float | None = None
    requirements_path: str | None = None
    benchmark_name: str | None = None
    use_generic_conda: bool = True
    starter_code: list[str] = Field(default_factory=list)
    baseline_paths: list[str] = Field(default_factory=list)
    baseline_scores: list[dict[str, float]] = Field(default_factory=list)
    sample_submission: str | None = None
    evaluation_paths: list[str] = Field(default_factory=list)
    evaluation_read_only: bool = False
    secret_files: list[str] = Field(default_factory=list)
    memory_path: str | None = None
    primary_metric: str | None = None
    """mlgym-tui's extension: the metric runs are ranked by (default: the table above, else the first
    metric of ``baseline_scores``)."""
    metric_directions: dict[str, Literal["max", "min"]] = Field(default_factory=dict)
    """mlgym-tui's extension: ``max`` or ``min`` per metric (default: the name rule above)."""


class MLGymDatasetFile(_Loose):
    """MLGym's ``DatasetConfig``: a local folder (``is_local``) or a Hugging Face dataset id."""

    name: str
    description: str
    data_path: str
    is_local: bool = False
    train_split: dict[str, Any] | None = None
    valid_split: dict[str, Any] | None = None
    test_split: dict[str, Any] | None = None


def is_checkout(path: Path) -> bool:
    """Whether ``path`` looks like an MLGym checkout (it has ``configs/tasks/``)."""
    return (path / "configs" / "tasks").is_dir()


def config_files(checkout: Path) -> list[Path]:
    return sorted(p for p in (checkout / "configs" / "tasks").glob("*.yaml") if p.is_file())


def scan_checkout(checkout: Path) -> list[tuple[str, Path]]:
    """``(mlgym:<id>, config file)`` for each task config, without converting anything.

    The id is the config's ``id`` field (a file that cannot be read is listed under its file name, so that
    loading it reports the problem). When two configs share an id (MLGym's own variants do), the one whose
    file is named after the id keeps it and the other is listed under its file name.
    """
    found: list[tuple[str, Path]] = []
    for path in config_files(checkout):
        try:
            raw = read_yaml_mapping(path)
            ident = str(raw.get("id") or path.stem)
        except ConfigError:
            ident = path.stem
        found.append((ident, path))
    owners: dict[str, Path] = {}
    for ident, path in sorted(found, key=lambda item: item[1].stem != item[0]):
        owners.setdefault(ident, path)
    return [
        (PREFIX + (ident if owners[ident] == path else path.stem), path) for ident, path in found
    ]


def warn_once(message: str) -> None:
    """A warning on the log (stderr by default), once per process."""
    if message not in _warned:
        _warned.add(message)
        _log.warning("mlgym-tui: warning: %s", message)


def _unknown_fields(path: Path, model: _Loose) -> None:
    for name in sorted(model.model_extra or {}):
        warn_once(f"{path}: field '{name}' is not an MLGym field mlgym-tui knows; ignored")


def _validate(model: type[_Loose], path: Path, raw: dict[str, Any]) -> Any:
    try:
        parsed = model.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(path, exc)) from exc
    _unknown_fields(path, parsed)
    return parsed


def direction_of(metric: str, overrides: dict[str, Literal["max", "min"]]) -> Direction:
    if metric in overrides:
        return Direction(overrides[metric])
    lowered = metric.lower()
    return Direction.MIN if any(word in lowered for word in LOWER_IS_BETTER) else Direction.MAX


def _primary_of(cfg: MLGymTaskFile, path: Path, scores: dict[str, float]) -> str:
    if cfg.primary_metric:
        if scores and cfg.primary_metric not in scores:
            raise ConfigError(
                f"{path}: field 'primary_metric': {cfg.primary_metric!r} is not among the metrics of "
                f"baseline_scores ({', '.join(scores)})"
            )
        return cfg.primary_metric
    bench = BENCH_TASKS.get(cfg.id)
    if bench is not None and (not scores or bench.primary in scores):
        return bench.primary
    if scores:
        return next(iter(scores))
    raise ConfigError(
        f"{path}: field 'baseline_scores': empty, so the primary metric is unknown; add the recorded "
        "baseline scores (or a 'primary_metric' field)"
    )


def _requirements(cfg: MLGymTaskFile, path: Path, checkout: Path) -> list[str]:
    """The generic set for ``use_generic_conda`` (as MLGym, a task's own file is then not used), else the
    lines of ``requirements_path``."""
    if cfg.use_generic_conda:
        override = os.environ.get("MLGYM_GENERIC_REQUIREMENTS")
        source = Path(override) if override else GENERIC_REQUIREMENTS_FILE
        return _requirement_lines(source, "MLGYM_GENERIC_REQUIREMENTS")
    if not cfg.requirements_path:
        raise ConfigError(f"{path}: field 'requirements_path': required when use_generic_conda is false")
    file = checkout / cfg.requirements_path
    if not file.is_file():
        raise ConfigError(f"{path}: field 'requirements_path': {cfg.requirements_path} does not exist in {checkout}")
    return _requirement_lines(file, "requirements_path")


def _requirement_lines(file: Path, what: str) -> list[str]:
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read the requirements ({what}): {exc.strerror}") from exc
    lines = []
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-"):
            warn_once(f"{file}: pip option line {line!r} is not supported; ignored")
            continue
        lines.append(line)
    return lines


def _datasets(cfg: MLGymTaskFile, path: Path, checkout: Path) -> list[MLGymDatasetFile]:
    datasets = []
    for i, rel in enumerate(cfg.dataset_configs):
        file = checkout / "configs" / rel
        if not file.is_file():
            raise ConfigError(f"{path}: field 'dataset_configs.{i}': {rel} does not exist in {checkout / 'configs'}")
        datasets.append(_validate(MLGymDatasetFile, file, read_yaml_mapping(file)))
    return datasets


def _description(cfg: MLGymTaskFile, path: Path, datasets: list[MLGymDatasetFile]) -> str:
    """MLGym's ``description.format(dataset_docs=...)``, then protected from this project's Jinja2."""
    docs = "".join(f"{d.name.upper()}:\n{d.description}\n\n" for d in datasets)
    try:
        text = cfg.description.format(dataset_docs=docs)
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(
            f"{path}: field 'description': not a valid format string ({exc!r}); literal braces must be doubled "
            "as MLGym formats it with {dataset_docs}"
        ) from exc
    return "{% raw %}" + text.replace("{% endraw %}", "{% endraw %}{{ '{% endraw %}' }}{% raw %}") + "{% endraw %}"


def _starter_items(cfg: MLGymTaskFile, path: Path, checkout: Path) -> list[tuple[Path, str]]:
    """``(source, workspace name)``: MLGym copies each starter path into the workspace under its name."""
    items = []
    for i, rel in enumerate(cfg.starter_code):
        source = checkout / rel
        if not source.exists():
            raise ConfigError(f"{path}: field 'starter_code.{i}': {rel} does not exist in {checkout}")
        items.append((source, Path(rel).name))
    return items


def _secret_files(
    cfg: MLGymTaskFile, path: Path, checkout: Path, items: list[tuple[Path, str]], datasets: list[MLGymDatasetFile]
) -> dict[str, Path]:
    """``secret_files`` (workspace paths; MLGym declares the field but does not implement it): each is a
    starter file or a file of a local data set (``data/...``), kept out of the agent's workspace and given
    only to the evaluation. Returns workspace path -> the file in the checkout."""
    starters = {name: source for source, name in items}
    local = [checkout / d.data_path for d in datasets if d.is_local]
    found: dict[str, Path] = {}
    for i, rel in enumerate(cfg.secret_files):
        norm = Path(rel)
        if norm.is_absolute() or ".." in norm.parts:
            raise ConfigError(f"{path}: field 'secret_files.{i}': {rel} must be a path inside the workspace")
        key = norm.as_posix()
        if key in starters and starters[key].is_file():
            found[key] = starters[key]
            continue
        if norm.parts[:1] == ("data",) and len(norm.parts) > 1:
            inner = Path(*norm.parts[1:])
            hit = next((folder / inner for folder in local if (folder / inner).is_file()), None)
            if hit is not None:
                found[key] = hit
                continue
        raise ConfigError(
            f"{path}: field 'secret_files.{i}': {rel} is neither a starter file nor a file of a local data set "
            "(data/...)"
        )
    return found


def _content_key(path: Path, items: list[tuple[Path, str]], extra: list[Path]) -> str:
    digest = hashlib.sha256(_LAYOUT)
    digest.update(Path(mlgym_evaluate.__file__).read_bytes())
    for file in [path, *extra]:
        digest.update(str(file).encode() + b"\0" + file.read_bytes() + b"\0")
    for source, name in items:
        files = [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
        for file in files:
            digest.update(f"{name}/{file.relative_to(source.parent)}\0".encode() + file.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _materialize(
    task_id: str, key: str, items: list[tuple[Path, str]], spec: dict[str, str], secrets: dict[str, Path]
) -> Path:
    """The converted task's folder in the cache (``<name>-<key>/task``; the secret files beside it in
    ``private``, which is mounted for the evaluation only); built in a temporary folder and renamed, so a
    crash never leaves a half-copied one that looks finished."""
    root = cache_dir() / "mlgym-tasks"
    target = root / f"{task_id.removeprefix(PREFIX)}-{key}"
    if (target / ".complete").is_file():
        return target / "task"
    root.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=root))
    try:
        folder = build / "task"
        folder.mkdir()
        for source, name in items:
            if source.is_dir():
                shutil.copytree(source, folder / name, dirs_exist_ok=True)
            else:
                shutil.copy2(source, folder / name)
        for rel, source in secrets.items():
            (build / PRIVATE_DIR / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, build / PRIVATE_DIR / rel)
        shutil.copy2(mlgym_evaluate.__file__, folder / EVALUATOR)
        (folder / mlgym_evaluate.SPEC_FILE).write_text(json.dumps(spec) + "\n", encoding="utf-8")
        for item in [build, *build.rglob("*")]:  # readable by the sandbox's user (mkdtemp makes 0700)
            if not item.is_symlink():
                item.chmod(item.stat().st_mode | 0o444 | (0o111 if item.is_dir() else 0))
        (build / ".complete").touch()
        try:
            build.rename(target)
        except OSError:  # another process finished first: use its copy
            if not (target / ".complete").is_file():
                raise
    finally:
        shutil.rmtree(build, ignore_errors=True)
    return target / "task"


def load_mlgym_task(task_id: str, path: Path, checkout: Path) -> TaskConfig:
    """Convert one MLGym task config; every problem becomes a one-line ConfigError naming file and field."""
    cfg: MLGymTaskFile = _validate(MLGymTaskFile, path, read_yaml_mapping(path))
    if cfg.task_entrypoint not in ENTRYPOINTS:
        raise ConfigError(
            f"{path}: field 'task_entrypoint': {cfg.task_entrypoint!r} is not one of {', '.join(ENTRYPOINTS)}"
        )
    if not cfg.evaluation_paths:
        raise ConfigError(f"{path}: field 'evaluation_paths': required (the evaluation script)")
    datasets = _datasets(cfg, path, checkout)
    items = _starter_items(cfg, path, checkout)
    names = [name for _, name in items]
    evaluation = cfg.evaluation_paths[0]
    if Path(evaluation).name != evaluation or evaluation not in names:
        raise ConfigError(
            f"{path}: field 'evaluation_paths.0': {evaluation} is not one of the starter files ({', '.join(names)})"
        )
    secrets = _secret_files(cfg, path, checkout, items, datasets)
    if evaluation in secrets:
        raise ConfigError(
            f"{path}: field 'secret_files': {evaluation} is the evaluation script, which the agent may read "
            "(it is read-only and always runs from the task's own copy)"
        )
    items = [(source, name) for source, name in items if name not in secrets]
    names = [name for _, name in items]
    scores = dict(cfg.baseline_scores[0]) if cfg.baseline_scores else {}
    primary = _primary_of(cfg, path, scores)
    metric_names = list(scores) if primary in scores else [primary, *scores]
    metrics = [
        MetricSpec(name=m, direction=direction_of(m, cfg.metric_directions), primary=m == primary)
        for m in metric_names
    ]
    requirements = _requirements(cfg, path, checkout)
    dataset_files = [checkout / "configs" / rel for rel in cfg.dataset_configs]
    key = _content_key(path, items, [*dataset_files, *secrets.values()])
    spec = {"entrypoint": cfg.task_entrypoint, "evaluation": evaluation}
    folder = _materialize(task_id, key, items, spec, secrets)
    baseline_command = None
    if cfg.task_entrypoint != "PythonSubmissionTasks" and cfg.baseline_paths:
        baseline_command = f"python {cfg.baseline_paths[0]}"
    if cfg.task_entrypoint == "CSVSubmissionTasks":
        submission = ["submission.csv"]
    else:
        submission = [n for n in names if n.endswith(".py") and n not in cfg.evaluation_paths]
    bench = BENCH_TASKS.get(cfg.id)
    timeout = cfg.training_timeout or DEFAULT_TRAINING_TIMEOUT
    local = [str((checkout / d.data_path).resolve()) for d in datasets if d.is_local]
    task = TaskConfig(
        id=task_id,
        name=cfg.name,
        domain=bench.domain if bench else "MLGym task",
        description=_description(cfg, path, datasets),
        starter_code=names,
        read_only=list(dict.fromkeys([*cfg.evaluation_paths, *(["data"] if local else [])])),
        metrics=metrics,
        # MLGym's evaluations import the agent's code and read the workspace: legacy in-sandbox grading
        evaluation=EvaluationSpec(script=EVALUATOR, timeout=timeout, submission=submission, judge="sandbox"),
        baseline=BaselineSpec(
            command=baseline_command,
            scores=scores,
            measured_with=f"MLGym's recorded baseline_scores ({path})",
        ),
        data=DataSpec(
            description="; ".join(d.name for d in datasets),
            local=local,
            local_exclude=[str(Path(*Path(rel).parts[1:])) for rel in secrets if rel.startswith("data/")],
            private_dir=f"../{PRIVATE_DIR}" if secrets else None,
            hub=[d.data_path for d in datasets if not d.is_local],
        ),
        limits=LimitsSpec(training_timeout=timeout),
        requirements=requirements,
        gpu=bench.gpu if bench else cfg.task_entrypoint == "LMSubmissionTasks",
        tags=["mlgym", cfg.task_entrypoint],
        source="mlgym",
    )
    task._dir = folder
    task._origin = path
    return task

"""MLGym's own task definitions, read from a checkout (tests/fixtures/mlgym_checkout, written for these
tests in MLGym's layout): listed, run with the baseline agent, scored against their recorded baselines,
and their mistakes reported as one line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

from mlgym_tui.core.agent import AgentStep
from mlgym_tui.core.evaluation import round_reported
from mlgym_tui.core.mlgym_evaluate import parse_output
from mlgym_tui.core.registration import env_id, register_tasks
from mlgym_tui.core.runner import EpisodeSpec, run_episode
from mlgym_tui.core.task_sources import load_task, task_ids
from mlgym_tui.core.trajectory import EpisodeResult
from tests.conftest import require_docker
from tests.helpers import PROJECT, cli

CHECKOUT = PROJECT / "tests" / "fixtures" / "mlgym_checkout"
HF_CACHE = PROJECT / "tests" / "fixtures" / "hf_cache"
FIXTURE_TASKS = ("mlgym:matchingPennies", "mlgym:tinyRegression", "mlgym:wordLengths")


@pytest.fixture
def generic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The fixture's tasks need nothing installed: an empty generic requirement set, the fixture's HF cache."""
    empty = tmp_path / "generic-requirements.txt"
    empty.write_text("# the fixture's tasks use the standard library only\n")
    env = {"MLGYM_GENERIC_REQUIREMENTS": str(empty), "HF_HOME": str(HF_CACHE)}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    return env


@pytest.fixture
def checkout_copy(tmp_path: Path) -> Path:
    """A copy of the fixture checkout, free to break."""
    return Path(shutil.copytree(CHECKOUT, tmp_path / "MLGym"))


def run_baseline(task: str, out: Path, env: dict[str, str], *extra: str) -> tuple[Path, dict, dict]:
    proc = cli("run", task, "--agent", "baseline", "--tasks-dir", str(CHECKOUT), "--out", str(out), "-q", *extra,
               env=env)
    assert proc.returncode == 0, proc.stderr
    assert "MLGym's recorded baseline" in proc.stdout
    folder = next((out / task).rglob("result.json")).parent
    header = json.loads((folder / "trajectory.jsonl").read_text().splitlines()[0])
    return folder, header, json.loads((folder / "result.json").read_text())


def test_checkout_tasks_are_listed_beside_ours_with_source_metric_direction_and_baseline(
    generic: dict[str, str],
) -> None:
    proc = cli("tasks", "list", "--json", "--tasks-dir", str(CHECKOUT), env=generic)
    assert proc.returncode == 0, proc.stderr
    rows = {row["id"]: row for row in json.loads(proc.stdout)}
    assert rows["prisonersDilemma"]["source"] == "mlgym-tui"  # ours stay, under their own ids
    got = {t: (rows[t]["source"], rows[t]["metric"], rows[t]["direction"], rows[t]["baseline"]) for t in FIXTURE_TASKS}
    assert got == {
        "mlgym:matchingPennies": ("mlgym", "Score", "max", -0.9),
        "mlgym:tinyRegression": ("mlgym", "rmse", "min", 7.24408189493327),  # first metric; "rmse" is lower-better
        "mlgym:wordLengths": ("mlgym", "accuracy", "max", 0.7),  # primary_metric chose it
    }
    assert {"id", "source", "metric", "direction", "baseline"} <= set(rows["mlgym:wordLengths"])
    # an unknown field is a warning that names file and field, not a failure
    assert "wordLengths.yaml: field 'future_option'" in proc.stderr and "ignored" in proc.stderr


def test_the_task_path_is_a_list_and_an_empty_entry_is_our_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLGYM_TASKS_DIR", f"{CHECKOUT}:")
    ids = task_ids()
    assert {"prisonersDilemma", *FIXTURE_TASKS} <= set(ids)
    monkeypatch.setenv("MLGYM_TASKS_DIR", str(CHECKOUT))
    assert task_ids() == sorted(FIXTURE_TASKS)


def test_the_converted_task_keeps_mlgym_s_text_files_and_baseline(generic: dict[str, str]) -> None:
    task = load_task("mlgym:tinyRegression", CHECKOUT)
    assert task.source == "mlgym" and task.origin == CHECKOUT / "configs" / "tasks" / "tinyRegression.yaml"
    text = task.render_description()
    assert "TINYLINE:\ntrain.csv: columns x and y" in text  # {dataset_docs} filled as MLGym fills it
    assert task.starter_code == ["baseline.py", "evaluate.py"] and "evaluate.py" in task.read_only
    assert task.baseline.scores == {"rmse": 7.24408189493327, "r2": -0.030371186832457875}
    assert task.baseline.command == "python baseline.py"
    assert task.data.local == [str((CHECKOUT / "data" / "tinyRegression" / "data").resolve())]
    assert load_task("mlgym:wordLengths", CHECKOUT).data.hub == ["mlgym-tui-fixtures/word-lengths"]


@pytest.mark.slow
def test_baseline_runs_reproduce_the_recorded_baselines_and_score_against_them(
    generic: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "runs"
    for task in FIXTURE_TASKS:
        folder, header, result = run_baseline(task, out, generic)
        assert header["task_source"] == result["task_source"] == "mlgym"
        assert result["exit_status"] == "submitted"
        assert result["score"] == result["baseline"][result["primary_metric"]]
        assert result["baseline"] == load_task(task, CHECKOUT).baseline.scores
    workspace = next((out / "mlgym:tinyRegression").rglob("workspace"))
    assert (workspace / "submission.csv").is_file() and not (workspace / "data").exists()
    board = cli("score", str(out), "--format", "json", "--tasks-dir", str(CHECKOUT), env=generic)
    assert board.returncode == 0, board.stderr
    rows = {row["task"]: row for row in json.loads(board.stdout)["tasks"]}
    assert rows["mlgym:matchingPennies"]["baseline"] == -0.9
    assert rows["mlgym:matchingPennies"]["best_submission"]["baseline"] == -0.9
    assert rows["mlgym:tinyRegression"]["direction"] == "min"


def test_a_hub_dataset_without_network_or_cache_is_one_line_and_nothing_is_written(
    generic: dict[str, str], tmp_path: Path
) -> None:
    env = {**generic, "HF_HOME": str(tmp_path / "empty-hf"), "MLGYM_CACHE_DIR": str(tmp_path / "cache")}
    proc = cli("run", "mlgym:wordLengths", "--agent", "baseline", "--tasks-dir", str(CHECKOUT),
               "--out", str(tmp_path / "runs"), env=env)
    assert proc.returncode == 2
    error = [line for line in proc.stderr.splitlines() if "error" in line]
    assert len(error) == 1 and "'mlgym-tui-fixtures/word-lengths'" in error[0]
    assert "datasets.load_dataset('mlgym-tui-fixtures/word-lengths')" in error[0] and "--network" in error[0]
    assert not (tmp_path / "runs").exists()
    assert not (tmp_path / "cache" / "venvs").exists()  # nothing built either


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (lambda c: (c / "configs/tasks/tinyRegression.yaml").write_text("id: tinyRegression\nname: Tiny\n  bad: indent: here\n"),
         "tinyRegression.yaml: invalid YAML at line 3"),
        (lambda c: (c / "data/tinyRegression/baseline.py").unlink(),
         "tinyRegression.yaml: field 'starter_code.0': data/tinyRegression/baseline.py does not exist"),
        (lambda c: (c / "configs/datasets/tinyLine.yaml").unlink(),
         "tinyRegression.yaml: field 'dataset_configs.0': datasets/tinyLine.yaml does not exist"),
        (lambda c: _edit(c / "configs/tasks/tinyRegression.yaml", "  r2: -0.030371186832457875", "  r2: high"),
         "tinyRegression.yaml: field 'baseline_scores.0.r2'"),
        (lambda c: _edit(c / "configs/tasks/tinyRegression.yaml", "CSVSubmissionTasks", "TabularTasks"),
         "tinyRegression.yaml: field 'task_entrypoint': 'TabularTasks' is not one of"),
    ],
    ids=["bad-yaml", "missing-starter-file", "missing-dataset-config", "non-number-baseline", "unknown-entrypoint"],
)
def test_a_broken_mlgym_config_is_one_line_naming_file_and_field(
    checkout_copy: Path, generic: dict[str, str], tmp_path: Path, breakage, expected: str
) -> None:
    breakage(checkout_copy)
    proc = cli("run", "mlgym:tinyRegression", "--tasks-dir", str(checkout_copy), "--out", str(tmp_path / "runs"),
               env=generic)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and expected in proc.stderr, proc.stderr
    assert not (tmp_path / "runs").exists()
    listed = cli("tasks", "list", "--json", "--tasks-dir", str(checkout_copy), env=generic)
    assert listed.returncode == 0  # the others still list; the broken one is reported and left out
    assert "mlgym:tinyRegression left out" in listed.stderr
    assert {r["id"] for r in json.loads(listed.stdout)} >= {"mlgym:matchingPennies", "mlgym:wordLengths"}


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_tasks_dir_that_does_not_exist_is_one_line(tmp_path: Path) -> None:
    proc = cli("tasks", "list", "--tasks-dir", str(tmp_path / "nope"))
    assert proc.returncode == 2 and "--tasks-dir" in proc.stderr and "no such folder" in proc.stderr


def test_gym_make_and_check_env_pass_for_the_checkout_s_tasks(
    generic: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLGYM_TASKS_DIR", str(CHECKOUT))
    registered = register_tasks()
    assert env_id("mlgym:matchingPennies") == "mlgym-checkout/matchingPennies-v0"
    assert set(registered) == {env_id(t) for t in FIXTURE_TASKS}
    for task in FIXTURE_TASKS:
        env = gym.make(env_id(task))
        try:
            check_env(env.unwrapped, skip_render_check=True)
            obs, _info = env.reset(seed=0)
            assert load_task(task).render_description() == obs
        finally:
            env.close()
    env = gym.make(env_id("mlgym:matchingPennies"))
    try:
        env.reset(seed=1)
        _obs, reward, terminated, _truncated, info = env.step("submit")
        assert terminated and info["evaluation"]["score"] == -0.9 and reward == 0.0  # equal to the baseline
    finally:
        env.close()


class Actions:
    """Plays fixed actions, then submits."""

    name = "actions"
    model = None

    def __init__(self, *actions: str) -> None:
        self.actions = list(actions)

    def start(self, task: object, observation: str, info: dict) -> None:
        self.queue = list(self.actions)

    def act(self, observation: str, info: dict) -> AgentStep:
        return AgentStep(self.queue.pop(0) if self.queue else "submit", thought="scripted")

    def close(self) -> None:
        pass


def run_actions(task_id: str, tmp_path: Path, *actions: str, backend: str = "local") -> EpisodeResult:
    _folder, result = run_episode(
        EpisodeSpec(task=load_task(task_id, CHECKOUT), agent=Actions(*actions), out=tmp_path / "runs", backend=backend)
    )
    return result


def test_the_evaluation_imports_the_agent_s_code_from_the_workspace(generic: dict[str, str], tmp_path: Path) -> None:
    result = run_actions(
        "mlgym:matchingPennies", tmp_path, "printf 'def row_strategy(history):\\n    return 0\\n' > strategy.py", "validate"
    )
    assert [v.score for v in result.validations] == [1.0]  # always heads against a copier: every round matches
    assert result.submission is not None and result.submission.score == 1.0


def test_a_changed_evaluation_script_is_tampering_not_a_score(
    generic: dict[str, str], tmp_path: Path, no_sandbox: None
) -> None:
    # without a sandbox (bubblewrap binds evaluate.py read-only, so the forgery cannot even be written)
    forged = "chmod u+w evaluate.py; echo 'print(\"{\\\"Score\\\": 1.0}\")' > evaluate.py"
    result = run_actions("mlgym:matchingPennies", tmp_path, forged)
    assert result.submission is not None and result.submission.tampered and not result.submission.valid
    assert "evaluate.py" in (result.submission.error or "")


def test_a_csv_task_without_submission_csv_says_so(generic: dict[str, str], tmp_path: Path) -> None:
    result = run_actions("mlgym:tinyRegression", tmp_path, "validate")
    assert not result.validations[0].valid
    assert "no submission.csv in the workspace" in (result.validations[0].error or "")


@pytest.mark.parametrize(
    ("entrypoint", "stdout", "expected"),
    [
        ("PythonSubmissionTasks", '{"Score": 1.5}\n', {"Score": 1.5}),
        ("CSVSubmissionTasks", 'loading…\n{"accuracy": 0.5}\n', None),  # MLGym: the whole output is the JSON
        ("ModelSubmissionTasks", 'step 1\n{"Reward Mean": 3.0}\n{"x": 1}\n', {"Reward Mean": 3.0}),  # first {-line
        ("LMSubmissionTasks", "no metrics\n", None),
    ],
)
def test_evaluation_output_is_parsed_as_mlgym_parses_it(entrypoint: str, stdout: str, expected: dict | None) -> None:
    if expected is None:
        with pytest.raises(ValueError):
            parse_output(entrypoint, stdout)
    else:
        assert parse_output(entrypoint, stdout) == expected


@pytest.mark.docker
@pytest.mark.slow
def test_baseline_runs_on_docker_score_the_recorded_baselines(generic: dict[str, str], tmp_path: Path) -> None:
    require_docker()
    for task in FIXTURE_TASKS:
        _folder, header, result = run_baseline(task, tmp_path / "runs", generic, "--backend", "docker")
        assert header["backend"] == "docker" and result["task_source"] == "mlgym"
        assert result["exit_status"] == "submitted", result
        assert result["score"] == result["baseline"][result["primary_metric"]]


def test_a_person_can_attempt_a_checkout_task(generic: dict[str, str], tmp_path: Path) -> None:
    """``human --headless`` (the workbench's human screen minus the screen): actions typed on stdin."""
    typed = "cat strategy.py\nprintf 'def row_strategy(history):\\n    return 0\\n' > strategy.py\nvalidate\nsubmit\n"
    proc = subprocess.run(
        [sys.executable, "-m", "mlgym_tui.cli", "human", "mlgym:matchingPennies", "--headless",
         "--tasks-dir", str(CHECKOUT), "--out", str(tmp_path / "runs")],
        input=typed, capture_output=True, text=True, timeout=300, cwd=PROJECT,
        env={**os.environ, "PYTHONPATH": str(PROJECT), **generic},
    )
    assert proc.returncode == 0, proc.stderr
    assert "Score: 1 (submitted)" in proc.stdout


@pytest.mark.parametrize("backend", ["local", pytest.param("docker", marks=[pytest.mark.docker, pytest.mark.slow])])
def test_secret_files_stay_out_of_the_workspace_and_reach_only_the_evaluation(
    generic: dict[str, str], tmp_path: Path, backend: str
) -> None:
    """``secret_files: [data/answer.csv]``: MLGym declares the field without enforcing it; here the agent's
    workspace lacks the file, and the evaluation still reads it at data/answer.csv."""
    if backend == "docker":
        require_docker()
    task = load_task("mlgym:tinyRegression", CHECKOUT)
    assert task.data.local_exclude == ["answer.csv"] and (task.dir / task.data.private_dir / "data/answer.csv").is_file()
    result = run_actions(
        "mlgym:tinyRegression", tmp_path, "ls data > seen.txt; cat data/answer.csv", "python baseline.py", "validate",
        backend=backend,
    )
    folder = next((tmp_path / "runs").rglob("result.json")).parent
    assert (folder / "workspace" / "seen.txt").read_text().split() == ["test.csv", "train.csv"]
    observations = [json.loads(line) for line in (folder / "trajectory.jsonl").read_text().splitlines()[1:]]
    cat = next(e for e in observations if e["kind"] == "observation" and e["step"] == 1)
    assert "No such file" in cat["text"] and "0," not in cat["text"]
    assert [v.score for v in result.validations] == [round_reported(task.baseline_score, task.evaluation.validation_digits)]

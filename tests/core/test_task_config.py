"""Malformed task.yaml files: exit code 2 and one line naming the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import cli


def _break(task_dir: Path, old: str, new: str) -> Path:
    path = task_dir / "task.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize("old, new, field", [
    ("domain: Game Theory", "domain: [Game Theory", "invalid YAML at line"),
    ("domain: Game Theory", "domian: Game Theory", "field 'domian': unknown field"),
    ("  script: evaluate.py", "  script: missing_eval.py", "field 'evaluation.script': missing_eval.py does not exist"),
    ("    direction: max", "    direction: up", "field 'metrics.0.direction'"),
    ("    primary: true", "    primary: false", "exactly one metric must be primary"),
])
def test_malformed_task_yaml_gives_exit_2_and_one_line(pd_task_copy: Path, tasks_root: Path, old: str, new: str,
                                                       field: str) -> None:
    path = _break(pd_task_copy, old, new)
    for args in (["tasks", "show", "prisonersDilemma"], ["run", "prisonersDilemma"], ["tasks", "check", "--static"]):
        proc = cli(*args, env={"MLGYM_TASKS_DIR": str(tasks_root)})
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, proc.stderr
        assert str(path) in lines[0] and field in lines[0], lines[0]


def test_tasks_list_shows_metric_direction_and_baseline() -> None:
    proc = cli("tasks", "list")
    assert proc.returncode == 0
    row = next(line for line in proc.stdout.splitlines() if line.startswith("prisonersDilemma"))
    assert "Game Theory" in row and "Score" in row and "max" in row and "2.39061" in row

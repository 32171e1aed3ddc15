"""What grading checks after the judge, on a task whose judge misbehaves on purpose: only declared
metrics kept (the rest dropped with a note), values finite and within bounds, a validation budget."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from mlgym_tui.core.env import ResearchEnv

JUDGE = """
import json, pathlib
print(json.dumps(json.loads(pathlib.Path("answer.json").read_text())))
"""


@pytest.fixture
def echo_task(tasks_root: Path) -> Path:
    """A task whose judge prints whatever the agent's answer.json holds (a stand-in for a broken or
    fooled scorer): grading must still hold the line."""
    folder = tasks_root / "echoTask"
    folder.mkdir()
    (folder / "evaluate.py").write_text(JUDGE)
    (folder / "task.yaml").write_text(textwrap.dedent("""\
        id: echoTask
        name: Echo
        domain: Test
        description: Echo.
        metrics:
          - {name: Score, direction: max, primary: true, lower: 0, upper: 5}
          - {name: Other, direction: min}
        evaluation: {script: evaluate.py, timeout: 60, submission: [answer.json], max_validations: 3}
        baseline: {scores: {Score: 1.0}}
        """))
    return folder


def test_metrics_are_checked_against_the_declaration(echo_task: Path) -> None:
    env = ResearchEnv("echoTask")
    env.reset(seed=0)
    try:
        def validate(answer: str) -> tuple[str, dict]:
            env.step(f"echo '{answer}' > answer.json")
            obs, _, _, _, info = env.step("validate")
            return obs, info["evaluation"]

        obs, ev = validate('{"Score": 2.5, "labels_0": 90000, "labels_1": 120000}')
        assert ev["valid"] and ev["metrics"] == {"Score": 2.5}, obs
        assert "note: dropped undeclared metric(s) 'labels_0', 'labels_1'" in obs
        obs, ev = validate('{"Score": 99}')
        assert not ev["valid"] and ev["score"] is None
        assert "Score 99 is above its largest possible value 5" in obs
        obs, ev = validate('{"Score": -1}')
        assert not ev["valid"] and "below its smallest possible value 0" in obs
        # the budget of three validations is spent; submit still scores
        obs, ev = validate('{"Score": 3.0}')
        assert not ev["valid"] and "validation budget (3 per episode) is spent" in obs, obs
        obs, _, terminated, _, info = env.step("submit")
        assert terminated and info["evaluation"]["valid"] and info["evaluation"]["score"] == 3.0
    finally:
        env.close()


def test_non_finite_metrics_are_invalid(echo_task: Path) -> None:
    env = ResearchEnv("echoTask")
    env.reset(seed=0)
    try:
        env.step("""echo '{"Score": 1.0, "Other": NaN}' > answer.json""")
        obs, _, _, _, info = env.step("validate")
        assert not info["evaluation"]["valid"] and "Other is nan" in obs, obs
    finally:
        env.close()

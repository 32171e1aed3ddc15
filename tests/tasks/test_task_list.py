"""The MLGym-Bench part-1 tasks are listed with their metric, and share one cached environment."""

from __future__ import annotations

import json

from mlgym_tui.core.task_sources import load_task
from mlgym_tui.core.venvs import requirements_key
from tests.helpers import cli

EXPECTED = {
    "prisonersDilemma": ("Game Theory", "Score", "max"),
    "battleOfSexes": ("Game Theory", "Score", "max"),
    "blotto": ("Game Theory", "Score", "max"),
    "3SATTime": ("Algorithms", "Time", "min"),
    "regressionKaggleHousePrice": ("Data Science", "r2", "max"),
    "imageClassificationFMnist": ("Computer Vision", "accuracy", "max"),
    "rlMountainCarContinuous": ("Reinforcement Learning", "Reward Mean", "max"),
}


def test_tasks_list_shows_each_with_domain_metric_and_direction() -> None:
    proc = cli("tasks", "list", "--json")
    assert proc.returncode == 0, proc.stderr
    listed = {t["id"]: t for t in json.loads(proc.stdout)}
    for task_id, (domain, metric, direction) in EXPECTED.items():
        row = listed[task_id]
        assert (row["domain"], row["metric"], row["direction"]) == (domain, metric, direction)
        assert row["baseline"] is not None and row["stand_in"] is False


def test_tasks_share_three_requirement_sets() -> None:
    """Each distinct requirement list is a virtual environment CI builds (the ML one is 1.6 GB): the games
    and 3SATTime share the scientific stack (their strategies may use numpy or scikit-learn, as MLGym's
    generic environment allows), every ML task gets torch beside it, the gymnax tasks JAX."""
    def keys(*tasks: str) -> set[str]:
        return {requirements_key(load_task(t).requirements) for t in tasks}

    cpu = keys("3SATTime", "prisonersDilemma", "battleOfSexes", "blotto")
    ml = keys("imageClassificationFMnist", "regressionKaggleHousePrice", "rlMountainCarContinuous",
              "imageClassificationCifar10", "imageCaptioningCOCO", "languageModelingFineWeb",
              "naturalLanguageInferenceMNLI")
    jax = keys("rlBreakoutMinAtar", "rlMetaMazeMisc")
    assert len(cpu) == len(ml) == len(jax) == 1 and len(cpu | ml | jax) == 3
    packages = {r.split("==")[0] for r in load_task("regressionKaggleHousePrice").requirements}
    assert {"torch", "numpy", "pandas", "scikit-learn", "gymnasium", "datasets"} <= packages

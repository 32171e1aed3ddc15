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


def test_cpu_tasks_share_one_requirement_set() -> None:
    """Each distinct requirement list is a virtual environment CI builds; keep the CPU tasks on one (the
    games too: their strategies may use numpy or scikit-learn, as MLGym's generic environment allows)."""
    keys = {requirements_key(load_task(t).requirements)
            for t in ("3SATTime", "regressionKaggleHousePrice", "imageClassificationFMnist", "rlMountainCarContinuous",
                      "prisonersDilemma", "battleOfSexes", "blotto")}
    assert len(keys) == 1

"""One set of episode options and one builder: run, watch, human and batch read the same flags the same
way, and every episode is assembled by ``build_episode``."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from mlgym_tui.agents.episode import EpisodeOptions, build_episode
from mlgym_tui.cli import build_parser
from mlgym_tui.commands.batch import options_from_args
from mlgym_tui.commands.episode_options import episode_options
from mlgym_tui.commands.tasks import check_options
from mlgym_tui.core.errors import UserError
from tests.helpers import cli, read_jsonl

RUN = "tests/fixtures"
"""Any folder that exists: ``--memory-from`` a path that is not there is a mistake."""
COMMON = ["--seed", "3", "--max-steps", "7", "--out", "somewhere", "--memory", "--memory-from", RUN,
          "--gpus", "1,3"]


def _options(argv: list[str]) -> EpisodeOptions:
    return episode_options(build_parser().parse_args(argv))


def test_run_watch_and_human_read_the_shared_options_alike() -> None:
    run = _options(["run", "prisonersDilemma", "--agent", "sweep", "-c", "max_evals=2", *COMMON])
    watch = _options(["watch", "prisonersDilemma", "--agent", "sweep", "-c", "max_evals=2", *COMMON])
    assert run == watch
    assert (run.seed, run.max_steps, run.out, run.memory, run.memory_from) == (3, 7, Path("somewhere"), True,
                                                                              [Path(RUN)])
    assert run.settings.gpus == ["1", "3"]
    human = episode_options(build_parser().parse_args(["human", "prisonersDilemma", *COMMON]), agent="human")
    assert (human.agent, human.seed, human.max_steps, human.memory) == ("human", 3, 7, True)


def test_tasks_check_reads_the_shared_options_as_run_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    args = build_parser().parse_args(["tasks", "check", "prisonersDilemma", *COMMON, "--backend", "local"])
    assert check_options(args) == _options(["run", "prisonersDilemma", *COMMON])
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    default = check_options(build_parser().parse_args(["tasks", "check"]))
    assert default.out.is_dir() and default.out.parent == tmp_path  # a fresh temporary folder
    with pytest.raises(UserError, match="--max-steps 0"):
        check_options(build_parser().parse_args(["tasks", "check", "--max-steps", "0"]))


def test_one_meaning_of_gpus_everywhere() -> None:
    for command in (["run", "prisonersDilemma"], ["watch", "prisonersDilemma"], ["human", "prisonersDilemma"]):
        assert _options([*command, "--gpus", "4"]).settings.gpus == ["4"]  # device 4, not four devices
    batch = options_from_args(build_parser().parse_args(["batch", "--tasks", "prisonersDilemma", "--agents",
                                                         "baseline", "--out", "x", "--gpus", "4"]))
    assert batch.gpus == ["4"]
    for bad in (",", "0,0"):
        with pytest.raises(UserError):
            _options(["run", "prisonersDilemma", "--gpus", bad])


def test_a_bad_step_limit_is_one_line() -> None:
    with pytest.raises(UserError, match="--max-steps 0"):
        _options(["run", "prisonersDilemma", "--max-steps", "0"])


def test_batch_offers_the_memory_options() -> None:
    args = build_parser().parse_args(["batch", "--tasks", "prisonersDilemma", "--agents", "baseline", "--out",
                                      "x", "--memory", "--memory-dir", "notes", "-c", "k=v"])
    options = options_from_args(args)
    assert options.research_log and options.memory_dir == str(Path("notes").resolve())
    assert options.agent_config == ["k=v"]


def test_the_builder_records_the_agent_config_and_the_memory_choice(tmp_path: Path) -> None:
    options = EpisodeOptions("prisonersDilemma", agent="sweep", config=["max_evals=2"], out=tmp_path,
                             max_steps=9, memory_dir=tmp_path / "notes")
    spec = build_episode(options, batch={"cell": "c"})
    assert spec.limits.max_steps == 9 and spec.memory and spec.memory_dir == tmp_path / "notes"
    assert spec.config["agent"] == "sweep" and spec.config["batch"] == {"cell": "c"}
    assert spec.config["agent_config"] == getattr(spec.agent, "describe", lambda: ["max_evals=2"])()


def test_tasks_check_runs_the_baseline_with_the_given_options(tmp_path: Path) -> None:
    proc = cli("tasks", "check", "prisonersDilemma", "--out", str(tmp_path), "--seed", "2", "--max-steps", "5")
    assert proc.returncode == 0, proc.stderr
    assert "ok" in proc.stdout.splitlines()[2]
    (folder,) = (tmp_path / "prisonersDilemma" / "baseline").iterdir()
    header = read_jsonl(folder / "trajectory.jsonl")[0]
    assert folder.name.endswith("-s2") and header["config"]["via"] == "tasks check"
    assert header["config"]["max_steps"] == 5

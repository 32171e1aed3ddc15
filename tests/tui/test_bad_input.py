"""Bad input to the workbench gets one clear line and exit 2 where it cannot start."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlgym_tui.cli import main
from mlgym_tui.commands.replay import check_first_events

HEADER = json.dumps({"kind": "header", "schema": "mlgym-tui/trajectory", "version": 1, "task": "t"}) + "\n"


def one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1, err
    return err


def test_replay_of_something_that_is_not_a_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# not a run\n")
    assert "not a trajectory" in one_line_error(capsys, ["replay", str(readme)])


def test_replay_of_a_corrupt_trajectory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "trajectory.jsonl").write_text(HEADER + "{broken json\n" + "\x00\x01\n")
    assert "corrupt" in one_line_error(capsys, ["replay", str(tmp_path)])


def test_a_run_just_started_or_being_written_is_not_corrupt(tmp_path: Path) -> None:
    file = tmp_path / "trajectory.jsonl"
    file.write_text(HEADER)
    check_first_events(tmp_path)  # a header alone: a run that has just started
    file.write_text(HEADER + '{"kind": "episode_started", "step": 0, "time": 1}\n{"kind": "thou')
    check_first_events(tmp_path)  # a partial last line: one being written
    file.write_text(HEADER + "garbage\n" + '{"kind": "episode_started", "step": 0, "time": 1}\n')
    check_first_events(tmp_path)  # one bad line among events: the screen skips and reports it


def test_a_misspelt_option_gets_its_command_s_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["watch", "prisonersDilemma", "--agnet", "sweep"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "mlgym-tui watch: error: unrecognized arguments: --agnet sweep" in err
    assert "usage: mlgym-tui watch" in err


def test_a_pace_that_is_not_seconds(capsys: pytest.CaptureFixture[str]) -> None:
    assert "--pace" in one_line_error(capsys, ["watch", "prisonersDilemma", "--pace", "-1"])


def test_a_replay_position_that_is_not_start_end_or_a_step(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["replay", "somewhere", "--at", "middle"])
    assert exit_.value.code == 2
    assert "--at: 'middle': expected start, end or a step number" in capsys.readouterr().err

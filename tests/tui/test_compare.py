"""Compare: MLGym's published prisonersDilemma run beside one recorded here, moved together."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlgym_tui.core.runner import EpisodeSpec, run_episode
from mlgym_tui.core.task_sources import load_task
from mlgym_tui.tui.app import Start, make_app
from mlgym_tui.tui.screens.compare import CompareScreen
from mlgym_tui.tui.settings import WorkbenchSettings
from tests.core.formats_helpers import FIXTURE_TRAJS
from tests.helpers import cli
from tests.tui.scripted import EDIT_FORGIVENESS, ScriptedAgent, wait_for

DILEMMA = next(p for p in FIXTURE_TRAJS if p.stem == "prisonersDilemma")
FMNIST = next(p for p in FIXTURE_TRAJS if p.stem == "imageClassificationFMnist")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MLGYM_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def ours(tmp_path: Path) -> Path:
    """Six steps of a scripted agent: validates at step 4, submits at 6."""
    script = ["echo first-step", "open strategy.py", EDIT_FORGIVENESS, "validate", "echo after-validation"]
    folder, _ = run_episode(EpisodeSpec(task=load_task("prisonersDilemma"), agent=ScriptedAgent(script),
                                        out=tmp_path / "recorded"))
    return folder


def commands(side) -> list[str]:  # noqa: ANN001
    return [line for line in side.shell.log_widget.lines if line.startswith("$ ")]


async def test_two_runs_side_by_side_move_together(settings: WorkbenchSettings, cache: Path, ours: Path) -> None:
    app = make_app(settings, Start("replay", path=DILEMMA, compare=ours))
    async with app.run_test(size=(160, 50)) as pilot:
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        await wait_for(pilot, lambda: screen.loaded, what="both runs")
        a, b = screen.sides
        assert (a.run.last_step, b.run.last_step) == (12, 6)
        # both score curves: every scored validation and the submission of each run
        assert [s for s, _y, _f in a.curve.points] == [3, 5, 7, 9, 11, 12]
        assert sorted(b.run.validations) == [4, 6]
        # (a real evaluation: on a starved machine it may time out and be invalid, so no point is drawn)
        assert [s for s, _y, _f in b.curve.points] == [e.step for e in b.run.evaluations() if e.data["valid"]]
        assert a.curve.baseline == pytest.approx(2.37163, abs=1e-4)

        await pilot.press("right")  # step-aligned: both at step 1
        assert (a.step, b.step) == (1, 1)
        assert commands(a)[-1] == "$ open strategy.py" and commands(b)[-1] == "$ echo first-step"
        await pilot.press("right", "right", "right")
        assert (a.step, b.step) == (4, 4) and commands(b)[-1] == "$ validate"
        assert "best 2.34 @ 3" in a.title_text().plain

        await pilot.press("end")  # the longer run decides the end; the shorter stays on its last step
        assert screen.position == 12 and (a.step, b.step) == (12, 6)

        await pilot.press("a", "home", "right")  # validation-aligned: each run's first validation
        assert screen.alignment == "validation"
        assert (a.step, b.step) == (3, 4)
        await pilot.press("right")
        assert (a.step, b.step) == (5, 6)
        assert "validation 2/6 (A at step 5, B at step 6)" in screen.status_text().plain


async def test_runs_of_different_tasks_are_not_compared(settings: WorkbenchSettings, cache: Path) -> None:
    app = make_app(settings, Start("replay", path=DILEMMA, compare=FMNIST))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: type(app.screen).__name__ == "MessageScreen", what="the refusal")


def test_cli_refuses_to_compare_different_tasks_in_one_line(tmp_path: Path) -> None:
    proc = cli("replay", str(DILEMMA), "--compare", str(FMNIST), env={"MLGYM_CACHE_DIR": str(tmp_path / "cache")})
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "compare takes two runs of one task" in proc.stderr

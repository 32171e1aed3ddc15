"""``mlgym-tui score`` over real run folders, imported MLGym runs, and broken folders (skipped, reported)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from mlgym_tui.core.scoring import BASELINE, load_runs, scoreboard
from tests.helpers import PROJECT, cli

FIXTURES = PROJECT / "tests" / "fixtures" / "mlgym"


@pytest.fixture(scope="module")
def real_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two real baseline episodes of prisonersDilemma (seeds 0 and 1), made by `mlgym-tui run`."""
    out = tmp_path_factory.mktemp("runs")
    for seed in ("0", "1"):
        proc = cli("run", "prisonersDilemma", "--agent", "baseline", "--out", str(out), "--seed", seed, "-q")
        assert proc.returncode == 0, proc.stderr
    return out


def break_some_folders(root: Path) -> None:
    """Add the kinds of damage a crash, a full disk or a person can leave."""
    base = root / "prisonersDilemma" / "broken"
    truncated = base / "truncated"
    truncated.mkdir(parents=True)
    (truncated / "trajectory.jsonl").write_text('{"kind": "header", "version": 1}\n')
    (truncated / "result.json").write_text('{"task": "prisonersDilemma", "agent_name": "x", "exit')
    wrong = base / "wrong-types"
    wrong.mkdir()
    (wrong / "result.json").write_text(json.dumps({
        "task": "prisonersDilemma", "agent_name": "x", "exit_status": "submitted", "primary_metric": "Score",
        "direction": "max", "validations": "not a list",
    }))
    running = base / "running"
    running.mkdir()
    (running / "trajectory.jsonl").write_text('{"kind": "header", "version": 1}\n')
    junk = root / "junk"
    junk.mkdir()
    (junk / "half.traj").write_text('{"trajectory": [{"action": "ls')


def test_score_prints_every_table_over_real_and_imported_runs_and_skips_broken_ones(
    real_runs: Path, tmp_path: Path
) -> None:
    root = tmp_path / "runs"
    shutil.copytree(real_runs, root)
    proc = cli("import", str(FIXTURES), "--out", str(root))
    assert proc.returncode == 0, proc.stderr
    break_some_folders(root)
    proc = cli("score", str(root))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    # Our prisonersDilemma runs and MLGym's were graded against different baselines: two rows.
    assert "4 run(s) scored of 8 found, 3 task(s)" in out
    assert "left out: 3 unreadable, 1 unfinished" in out
    assert "prisonersDilemma [mlgym]" in out and "scored as separate tasks" in out
    for heading in ("Tasks (each scored", "Best Attempt@all per task", "Best Submission@all per task",
                    "Area under the performance profile", "How runs ended", "Cost"):
        assert heading in out
    for name in ("baseline", "mlgym/metagen-gemini-15-pro", "mlgym/metagen-gpt4o2", BASELINE):
        assert name in out
    assert max(len(line) for line in out.splitlines()) <= 120
    assert "2.628" in out and "0.8193" in out  # Best Attempt of the MLGym runs
    assert "Traceback" not in proc.stderr
    assert "truncated/result.json: not valid JSON" in proc.stderr
    assert "wrong-types/result.json: field 'validations': expected a list, got str" in proc.stderr
    assert "half.traj: not valid JSON" in proc.stderr and "truncated" in proc.stderr
    assert "1 run(s) in progress or unfinished" in out


def test_score_formats_and_attempts(real_runs: Path) -> None:
    doc = json.loads(cli("score", str(real_runs), "--format", "json").stdout)
    assert doc["competitors"] == ["baseline", BASELINE]
    assert doc["tasks"][0]["runs"]["baseline"] == 2
    ba = doc["measures"]["best_attempt"]
    assert ba["tau_max_auto"] and ba["ratios"]["prisonersDilemma"]["baseline"]["ratio"] == pytest.approx(1.0)
    one = json.loads(cli("score", str(real_runs), "--format", "json", "--attempts", "1").stdout)
    assert one["tasks"][0]["runs"]["baseline"] == 1 and one["attempts"] == 1
    csv_out = cli("score", str(real_runs), "--format", "csv").stdout
    assert csv_out.startswith("table,task,competitor,measure,value,note\n")
    md = cli("score", str(real_runs), "--format", "md", "--tau-max", "0.5").stdout
    assert md.startswith("# Scores") and "tau_max 0.5, set" in md


def test_score_plot_draws_the_profiles(real_runs: Path) -> None:
    proc = cli("score", str(real_runs), "--plot")
    assert proc.returncode == 0, proc.stderr
    assert "performance profiles" in proc.stdout and "rho(tau)" in proc.stdout
    plot = proc.stdout[proc.stdout.index("performance profiles"):]
    legends = [line for line in plot.splitlines() if line.startswith("legend: ")]
    assert len(legends) == 2 and "A baseline (AUP" in legends[0] and f"B {BASELINE} (AUP" in legends[0]
    inside = [line for line in plot.splitlines() if "│" in line or "┃" in line]
    assert inside and not any("baseline" in line for line in inside)  # the legend is not drawn over the curves


def test_score_reads_raw_mlgym_result_folders_directly() -> None:
    runs = load_runs([FIXTURES])
    assert not runs.problems
    assert sorted(r.competitor for r in runs.runs) == ["mlgym/metagen-gemini-15-pro", "mlgym/metagen-gpt4o2"]
    board = scoreboard(runs)
    pd = next(t for t in board.tasks if t.task == "prisonersDilemma")
    assert pd.best_attempt["mlgym/metagen-gemini-15-pro"] == pytest.approx(2.6275999546051025)
    assert pd.best_submission["mlgym/metagen-gemini-15-pro"] == pytest.approx(2.3309500217437744)


def test_score_without_runs_or_with_bad_options_is_a_usage_error(tmp_path: Path, real_runs: Path) -> None:
    proc = cli("score", str(tmp_path))
    assert proc.returncode == 2 and "no finished runs found" in proc.stderr
    assert cli("score", str(real_runs), "--attempts", "0").returncode == 2
    assert cli("score", str(real_runs), "--tau-max", "-1").returncode == 2
    missing = cli("score", str(tmp_path / "nope"))
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr


def test_plot_without_plotext_says_how_to_get_it(real_runs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlgym_tui.commands.score import plot_profiles
    from mlgym_tui.core.errors import UserError

    monkeypatch.setitem(sys.modules, "plotext", None)
    with pytest.raises(UserError, match=r"pip install 'mlgym-tui\[tui\]'"):
        plot_profiles(scoreboard(load_runs([real_runs])))

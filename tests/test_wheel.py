"""The package installs anywhere: a wheel built from the checkout, installed into a fresh virtual
environment outside it, lists the tasks and runs an episode with the tasks, agent configs and themes it
carries (``mlgym_tui/_bundled``, made by ``setup.py``). Needs the package index (or pip's cache) for the
build backend and the dependencies, as ``make test`` does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]




def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.mark.slow
@pytest.mark.xdist_group("wheel")
def test_built_wheel_installs_outside_the_checkout_and_runs_an_episode(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLGYM_") or k == "MLGYM_CACHE_DIR"}
    env.pop("PYTHONPATH", None)
    dist = tmp_path / "dist"
    build = _run([sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)], tmp_path, env)
    assert "project.license" not in build.stderr + build.stdout  # no deprecated license table
    wheels = list(dist.glob("mlgym_tui-*.whl"))
    assert len(wheels) == 1, list(dist.iterdir())

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], tmp_path, env)
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheels[0])], tmp_path, env)
    tool = str(venv / "bin" / "mlgym-tui")
    work = tmp_path / "elsewhere"
    work.mkdir()

    where = _run([str(venv / "bin" / "python"), "-c", "import mlgym_tui.paths as p; print(p.tasks_dir())"], work, env)
    assert where.stdout.strip().startswith(str(venv)), where.stdout  # the wheel's copy, not the checkout

    listed = _run([tool, "tasks", "list"], work, env)
    assert "prisonersDilemma" in listed.stdout and "regressionKaggleHousePrice" in listed.stdout

    _run([tool, "run", "prisonersDilemma", "--agent", "baseline", "--out", str(work / "runs")], work, env)
    results = list((work / "runs").rglob("result.json"))
    assert len(results) == 1
    result = json.loads(results[0].read_text())
    assert result["exit_status"] == "submitted"
    assert result["submission"]["valid"] is True


@pytest.mark.skipif(not Path("/usr/bin/make").exists(), reason="needs make")
def test_make_demo_installs_only_when_the_package_metadata_changed(tmp_path: Path) -> None:
    """`make demo` re-runs `pip install` only when pyproject.toml or setup.py is newer than its stamp."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    stamp = venv / ".installed-tui"
    stamp.touch()
    newer = max((ROOT / "pyproject.toml").stat().st_mtime, (ROOT / "setup.py").stat().st_mtime) + 10
    os.utime(stamp, (newer, newer))

    def planned() -> str:
        cmd = ["make", "-n", "-C", str(ROOT), "demo", f"VENV={venv}"]
        return subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=60).stdout

    assert "pip install" not in planned()
    os.utime(stamp, (newer - 3600, newer - 3600))
    assert "pip install -q -e '.[tui]'" in planned()

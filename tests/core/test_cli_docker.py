"""`mlgym-tui run --backend docker` as a user runs it: the same score as on the local backend, and
nothing left in the daemon afterwards."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import require_docker
from tests.helpers import cli


def score_of(out: Path, backend: str) -> tuple[float, dict]:
    proc = cli("run", "prisonersDilemma", "--agent", "baseline", "--backend", backend, "--out", str(out), "-q")
    assert proc.returncode == 0, proc.stderr
    folder = next(out.rglob("result.json")).parent
    result = json.loads((folder / "result.json").read_text())
    header = json.loads((folder / "trajectory.jsonl").read_text().splitlines()[0])
    assert header["backend"] == backend and result["exit_status"] == "submitted"
    assert (folder / "workspace" / "strategy.py").is_file()
    return result["score"], result


@pytest.mark.docker
@pytest.mark.slow
def test_baseline_scores_the_same_on_docker_as_on_local(tmp_path: Path) -> None:
    require_docker()
    import docker

    before = {c.id for c in docker.from_env().containers.list(all=True, filters={"label": "mlgym-tui.managed"})}
    local, _ = score_of(tmp_path / "local", "local")
    in_docker, result = score_of(tmp_path / "docker", "docker")
    assert in_docker == local
    assert result["validations"] and result["validations"][-1]["valid"]
    after = {c.id for c in docker.from_env().containers.list(all=True, filters={"label": "mlgym-tui.managed"})}
    assert after <= before  # nothing of ours left (other tests' live episodes may come and go)

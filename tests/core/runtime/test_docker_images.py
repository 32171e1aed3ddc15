"""The task image: a second build of the same content is a no-op; the build context carries the host's
CA bundle and the matching local wheels."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from mlgym_tui.core.runtime.docker_images import local_wheels, pip_constraints, requirements_of, select_tasks
from tests.conftest import require_docker
from tests.helpers import cli


def test_requirements_and_local_wheels_for_a_subset_of_tasks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The game tasks share 3SATTime's environment (numpy, pandas, scikit-learn: what MLGym offered).
    game = requirements_of(select_tasks(["prisonersDilemma"]))
    assert any(r.startswith("numpy") for r in game) and any(r.startswith("scikit-learn") for r in game)
    assert game == requirements_of(select_tasks(["3SATTime"]))
    for name in ("scikit_learn-1.5.0-cp311-cp311-manylinux_x86_64.whl", "torch-2.13.0-cp311-none-any.whl",
                 "pandas-2.0-py3-none-any.whl"):
        (tmp_path / name).write_bytes(b"")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path))
    found = [w.name.split("-")[0] for w in local_wheels(["scikit-learn>=1.4", "torch==2.13.0"])]
    assert found == ["scikit_learn", "torch"]
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("torch<=2.14.1\n")
    monkeypatch.setenv("PIP_CONSTRAINT", str(constraints))
    assert pip_constraints() == constraints


@pytest.mark.docker
@pytest.mark.slow
def test_a_second_build_of_the_same_content_is_a_no_op() -> None:
    require_docker()
    import docker

    tag = "mlgym-tui/test-build:latest"
    client = docker.from_env()
    try:
        first = cli("image", "build", "--tasks", "prisonersDilemma", "--tag", tag, timeout=600)
        assert first.returncode == 0, first.stderr
        start = time.monotonic()
        second = cli("image", "build", "--tasks", "prisonersDilemma", "--tag", tag)
        assert second.returncode == 0, second.stderr
        assert "is up to date" in second.stderr and "Step" not in second.stderr
        assert time.monotonic() - start < 15
        image = client.images.get(tag)
        assert image.labels["mlgym-tui.tasks"] == "prisonersDilemma"
        out = client.containers.run(tag, ["sh", "-c", "id -un agent; command -v python3"], remove=True)
        assert out.decode().splitlines() == ["agent", "/opt/mlgym/venv/bin/python3"]
    finally:
        for image in client.images.list(name="mlgym-tui/test-build"):
            for name in image.tags:
                if name.startswith("mlgym-tui/test-build:"):  # the same image has the real tags too
                    client.images.remove(name)

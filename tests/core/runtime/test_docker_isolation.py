"""What the docker backend promises about grading and isolation, checked against a real daemon:
the agent can neither change the evaluation files nor see the test labels, a root-side change is
reported as tampering, the judge sees the labels but cannot write the workspace, and with the
network off nothing leaves the container."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlgym_tui.core.env import ResearchEnv
from mlgym_tui.core.runtime import RuntimeSettings
from mlgym_tui.core.runtime.docker import DockerRuntime
from tests.conftest import require_docker

pytestmark = [pytest.mark.docker, pytest.mark.slow]

SECRET = "label-7f3e9a"


@pytest.fixture
def docker_env(pd_task_copy: Path) -> Iterator[ResearchEnv]:
    require_docker()
    env = ResearchEnv("prisonersDilemma", backend="docker")
    env.reset(seed=0)
    try:
        yield env
    finally:
        env.close()


def as_root(env: ResearchEnv, command: str) -> tuple[int, str]:
    """Run a command as root in the episode container, the way a person with the daemon could."""
    runtime = env.runtime
    assert isinstance(runtime, DockerRuntime)
    code, out = runtime.container.exec_run(["sh", "-c", command], user="root")
    return code, out.decode()


def test_the_agent_cannot_change_the_evaluation_script(docker_env: ResearchEnv) -> None:
    env = docker_env
    obs, *_ = env.step("id -un; echo '# mine' >> evaluate.py; echo rc=$?")
    assert obs.startswith("agent\n") and "rc=1" in obs and "Permission denied" in obs
    for attempt in ("rm -f evaluate.py", "mv evaluate.py e.py", "chmod u+w evaluate.py", "cp strategy.py evaluate.py"):
        obs, *_ = env.step(f"{attempt}; echo rc=$?")
        assert "rc=0" not in obs, (attempt, obs)
    with pytest.raises(PermissionError):
        env.runtime.write_file(f"{env.runtime.workspace}/evaluate.py", b"print('{\"Score\": 5}')\n")
    assert env.step("sudo true || su -c true || echo no-root")[0].rstrip().endswith("no-root")
    obs, reward, *_ = env.step("validate")
    assert "Validation result" in obs and env.best is not None and env.best.valid


def test_a_changed_evaluation_script_is_reported_as_tampered(docker_env: ResearchEnv) -> None:
    code, _ = as_root(docker_env, "echo '# changed' >> /home/agent/workspace/evaluate.py")
    assert code == 0
    obs, reward, terminated, _, info = docker_env.step("validate")
    assert info["evaluation"]["valid"] is False and reward == 0.0
    assert "tampered" in obs and "evaluate.py" in obs and "not scored" in obs


PREPARE = """
import argparse, pathlib
p = argparse.ArgumentParser(); p.add_argument("--out"); p.add_argument("--full", action="store_true")
out = pathlib.Path(p.parse_args().out)
(out / "public").mkdir(parents=True); (out / "private").mkdir(parents=True)
(out / "public" / "train.txt").write_text("public data\\n")
(out / "private" / "labels.txt").write_text("SECRET\\n")
"""

EVALUATE = """
import json, os, pathlib
labels = (pathlib.Path(os.environ["MLGYM_PRIVATE_DATA"]) / "labels.txt").read_text()
try:
    pathlib.Path("written_by_evaluation").write_text("x")
    wrote = 1.0
except OSError:
    wrote = 0.0
print(json.dumps({"Score": 1.0 if "SECRET" in labels else 0.0, "wrote": wrote}))
"""


@pytest.fixture
def labelled_task(tasks_root: Path) -> Path:
    folder = tasks_root / "labelledTask"
    folder.mkdir()
    (folder / "prepare.py").write_text(PREPARE.replace("SECRET", SECRET))
    (folder / "evaluate.py").write_text(EVALUATE.replace("SECRET", SECRET))
    (folder / "task.yaml").write_text(textwrap.dedent("""\
        id: labelledTask
        name: Labelled task
        domain: Test
        description: Find the labels.
        starter_code: [evaluate.py]
        read_only: [evaluate.py]
        metrics:
          - {name: Score, direction: max, primary: true}
          - {name: wrote, direction: min}
        evaluation: {script: evaluate.py, timeout: 60}
        data: {prepare: prepare.py}
        baseline: {scores: {Score: 0.0}}
        """))
    return folder


def test_test_labels_reach_the_evaluation_and_never_the_agent(labelled_task: Path) -> None:
    require_docker()
    env = ResearchEnv("labelledTask", backend="docker")
    env.reset(seed=0)
    try:
        assert env._prepared is not None and env._prepared.private is not None
        host_labels = env._prepared.private / "labels.txt"
        assert SECRET in host_labels.read_text()
        obs, *_ = env.step("cat data/train.txt; ls /mlgym 2>&1; echo rc=$?")
        assert "public data" in obs and "rc=2" in obs
        obs, *_ = env.step(f"cat {host_labels} 2>&1; grep -rIl {SECRET} / 2>/dev/null | head; echo done")
        assert SECRET not in obs.replace(f"grep -rIl {SECRET}", "") and obs.rstrip().endswith("done")
        obs, *_ = env.step("env | grep -i private; echo rc=$?")
        assert "rc=1" in obs
        obs, _, _, _, info = env.step("validate")
        # the judge runs on the host in a private copy of the submission: it may write there, never
        # into the agent's workspace
        assert info["evaluation"]["metrics"]["Score"] == 1.0, obs
        assert not env.runtime.exists(f"{env.runtime.workspace}/written_by_evaluation")
    finally:
        env.close()


def test_with_the_network_off_nothing_leaves_the_container() -> None:
    require_docker()
    runtime = DockerRuntime(RuntimeSettings())
    runtime.start()
    try:
        # The interface check comes first: only a container with nothing but loopback may try to
        # connect, so even a broken isolation never sends a packet (192.0.2.1 is TEST-NET-1 anyway).
        assert runtime.run("ls /sys/class/net", timeout=10).output.split() == ["lo"]
        probe = (
            "python3 -c 'import socket,time; s=socket.socket(); s.settimeout(5); t=time.time()\n"
            "try: s.connect((\"192.0.2.1\", 80))\n"
            "except OSError as e: print(e.errno, round(time.time()-t, 2))'"
        )
        out = runtime.run(probe, timeout=20).output.split()
        assert out[0] == "101" and float(out[1]) < 1.0  # ENETUNREACH, at once
        pip = runtime.run("pip download --no-deps --retries 0 --timeout 3 -d /tmp/x six; echo rc=$?", timeout=60)
        assert "rc=0" not in pip.output and not runtime.exists("/tmp/x/six")
    finally:
        runtime.close()


def test_copying_the_workspace_out_never_follows_links_out_of_it(tmp_path: Path) -> None:
    require_docker()
    runtime = DockerRuntime(RuntimeSettings())
    runtime.start()
    try:
        runtime.run("ln -s /etc/passwd abs; ln -s ../../../../../../etc/shadow up; echo ok > fine.txt; "
                    "mkdir d; ln -s ../fine.txt d/inside", timeout=10)
        runtime.copy_out(runtime.workspace, tmp_path / "ws")
    finally:
        runtime.close()
    copied = sorted(str(p.relative_to(tmp_path / "ws")) for p in (tmp_path / "ws").rglob("*"))
    assert copied == ["d", "d/inside", "fine.txt"]
    assert (tmp_path / "ws" / "d" / "inside").read_text() == "ok\n"

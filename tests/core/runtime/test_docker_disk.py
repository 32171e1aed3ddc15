"""The workspace size limit on the docker backend, against the real daemon: writers anywhere the agent
can write are stopped while they run and the agent is told, as on the local backend, and copying the
workspace out never takes more host disk than the limit, sparse files included."""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlgym_tui.core.env import ResearchEnv
from mlgym_tui.core.runtime.file_walks import disk_usage
from tests.conftest import require_docker

pytestmark = [pytest.mark.docker, pytest.mark.slow]

LIMIT = 20_000_000


@pytest.fixture
def limited_env(pd_task_copy: Path) -> Iterator[ResearchEnv]:
    require_docker()
    text = (pd_task_copy / "task.yaml").read_text()
    (pd_task_copy / "task.yaml").write_text(
        text.replace("  wall_time: 3600", f"  wall_time: 3600\n  max_workspace_bytes: {LIMIT}")
    )
    env = ResearchEnv("prisonersDilemma", backend="docker")
    env.reset(seed=0)
    try:
        assert env.task.limits.max_workspace_bytes == LIMIT
        yield env
    finally:
        env.close()


def shell(env: ResearchEnv, command: str) -> str:
    observation, *_ = env.step(command)
    return observation


def size_of(env: ResearchEnv, path: str) -> str:
    return shell(env, f"stat -c %s {path}").split()[-1]  # bash may first report the killed job


@pytest.mark.parametrize(
    "background",
    [
        "(while true; do head -c 1000000 /dev/zero >> /tmp/grow; sleep 0.05; done) &",
        # outside the shell's session, in the agent's home (not the workspace volume)
        "setsid bash -c 'while true; do head -c 1000000 /dev/zero >> ~/grow; sleep 0.05; done' &",
        # a file deleted while it is written: no walk sees it
        "(exec 3>/var/tmp/grow; rm /var/tmp/grow; touch /var/tmp/grow; "
        "while true; do head -c 1000000 /dev/zero >&3; sleep 0.05; done) &",
    ],
    ids=["tmp", "setsid-home", "deleted-open"],
)
def test_writers_past_the_limit_are_stopped_while_they_run(limited_env: ResearchEnv, background: str) -> None:
    env = limited_env
    started = time.monotonic()
    obs = shell(env, f"{background} sleep 30; echo never")
    assert "never" not in obs and time.monotonic() - started < 15, obs
    assert "over this task's limit of 20.0 MB" in obs and "limits.max_workspace_bytes" in obs, obs
    assert "every running process was stopped; delete files to go on" in obs
    assert "over this" not in shell(env, "rm -f /tmp/grow ~/grow /var/tmp/grow; echo freed")
    writers = shell(env, "ps -u agent -o pid=,stat=,comm=,args=; echo n=$(ps -u agent -o comm= | grep -c -x -e head -e sleep)")
    assert "n=0" in writers, writers
    time.sleep(3)  # a measurement after the files went: nothing more to say
    assert shell(env, "echo fine") == "fine\n"


def test_changing_the_images_own_files_counts(limited_env: ResearchEnv) -> None:
    """A file the image put in an agent-owned place (the venv) is copied into the container's layer
    when the agent changes it, even only its mode: that takes host disk, so it counts."""
    obs = shell(limited_env, "find /opt/mlgym -type f -size +1M | head -40 | xargs chmod u+x; sleep 30; echo never")
    assert "never" not in obs and "over this task's limit of 20.0 MB" in obs, obs


def test_a_foreground_writer_in_a_hidden_folder_is_stopped(limited_env: ResearchEnv) -> None:
    """The measurement runs as root in the container: a folder the agent shuts hides nothing."""
    env = limited_env
    obs = shell(env, "mkdir hide; (exec 3>hide/big; chmod 000 hide; "
                     "while true; do head -c 1000000 /dev/zero >&3; sleep 0.05; done); echo never")
    assert "never" not in obs and "over this task's limit of 20.0 MB" in obs, obs
    shell(env, "chmod 755 hide")
    before = size_of(env, "hide/big")
    time.sleep(1)
    assert size_of(env, "hide/big") == before
    assert "over this" not in shell(env, "rm -rf hide; echo freed")


class PeakDiskUse:
    """Samples the bytes on disk under ``folder`` every few milliseconds while in use; keeps the most."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, disk_usage([self.folder]))

    def __enter__(self) -> PeakDiskUse:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, disk_usage([self.folder]))


def test_copying_out_never_takes_more_host_disk_than_the_limit(
    limited_env: ResearchEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = limited_env
    runtime = env.runtime
    assert runtime is not None
    obs = shell(env, "truncate -s 300M sparse.bin; mkdir d; truncate -s 100M d/hole; "
                     "head -c 4000000 /dev/urandom > data.bin; ln data.bin data.link; "
                     "fallocate -l 4000000 zeros.bin || head -c 4000000 /dev/zero > zeros.bin; echo made")
    assert obs.endswith("made\n"), obs
    spool = tmp_path / "spool"  # where a spooled archive would go
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    with PeakDiskUse(tmp_path) as use:
        runtime.copy_out(runtime.workspace, tmp_path / "out")
        env.copy_workspace_out(tmp_path / "run" / "workspace")
    assert use.peak <= LIMIT, f"{use.peak} bytes on the host's disk at the peak"
    out = tmp_path / "out"
    assert (out / "sparse.bin").stat().st_size == 300 << 20 and (out / "d" / "hole").stat().st_size == 100 << 20
    assert (out / "data.bin").read_bytes() == runtime.read_file(f"{runtime.workspace}/data.bin")
    assert (out / "data.bin").samefile(out / "data.link")
    assert (out / "zeros.bin").read_bytes() == bytes(4_000_000)
    assert (out / "evaluate.py").read_text() == (tmp_path / "run" / "workspace" / "evaluate.py").read_text()
    assert "over this" not in shell(env, "echo done")  # a sparse file takes no room in the limit either


FILLER = '''
import os
made = []
for path in ("/tmp/fill", "/home/agent/fill", "/var/tmp/fill", "/opt/mlgym/fill"):
    try:
        with open(path, "wb") as f:
            for _ in range(30):
                f.write(bytes(1_000_000))
                f.flush()
                os.fsync(f.fileno())
        made.append(path)
    except OSError:
        pass
def row_strategy(history):
    if made:
        raise SystemExit("wrote 30 MB to " + ", ".join(made))
    return 0
'''


def test_the_agents_code_in_the_player_cannot_write_past_the_limit(limited_env: ResearchEnv) -> None:
    """The player's container (the agent's strategy, run for a validation) has a read-only root and a
    /tmp of at most the limit: a strategy that fills the disk fails to, and plays on."""
    env = limited_env
    obs, *_ = env.step("cat > strategy.py <<'EOF'\n" + FILLER + "\nEOF")
    obs, _, _, _, info = env.step("validate")
    assert info["evaluation"]["valid"], obs

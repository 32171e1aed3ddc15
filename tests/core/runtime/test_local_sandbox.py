"""The local backend's sandbox, tried as an agent would: what it must not reach, and what must keep working.

Every test drives a real bubblewrap sandbox through the environment or the runtime (CI installs
bubblewrap with scripts/setup-sandbox.sh and runs as root; the same flags work for an ordinary user with
unprivileged user namespaces).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlgym_tui.core.env import ResearchEnv
from mlgym_tui.core.events import EventBus, EventKind
from mlgym_tui.core.runtime import RuntimeSettings, sandbox
from mlgym_tui.core.runtime.episode_folders import EPISODE_PREFIX, OWNER_FILE, sweep_stale_episodes
from mlgym_tui.core.runtime.local import LocalRuntime
from mlgym_tui.core.task_sources import load_task
from tests.helpers import PROJECT, read_jsonl

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")

PREPARE = '''import argparse, pathlib
p = argparse.ArgumentParser(); p.add_argument("--out"); p.add_argument("--full", action="store_true")
out = pathlib.Path(p.parse_args().out)
(out / "public").mkdir(parents=True); (out / "private").mkdir()
(out / "public" / "train.txt").write_text("public rows\\n")
(out / "private" / "labels.txt").write_text("THE-TEST-LABELS\\n")
'''


@pytest.fixture
def private_task(pd_task_copy: Path) -> str:
    """prisonersDilemma with a prepare step that writes public data and private test labels."""
    (pd_task_copy / "prepare.py").write_text(PREPARE)
    text = (pd_task_copy / "task.yaml").read_text()
    (pd_task_copy / "task.yaml").write_text(text + "data:\n  prepare: prepare.py\n  workspace_dir: data\n")
    return "prisonersDilemma"


@pytest.fixture
def env(private_task: str) -> Iterator[ResearchEnv]:
    bus = EventBus()
    seen: list = []
    bus.subscribe(seen.append)
    environment = ResearchEnv(private_task, bus=bus)
    environment.seen = seen  # type: ignore[attr-defined]
    environment.reset(seed=0)
    try:
        yield environment
    finally:
        environment.close()


def shell(env: ResearchEnv, command: str) -> str:
    observation, *_ = env.step(command)
    return observation


def test_the_agent_cannot_read_the_private_data(env: ResearchEnv) -> None:
    assert env.sandbox == "bwrap"
    private = env._prepared.private  # type: ignore[union-attr]
    assert private is not None and (private / "labels.txt").read_text() == "THE-TEST-LABELS\n"
    assert shell(env, "cat data/train.txt") == "public rows\n"
    out = shell(env, f"cat {private}/labels.txt; ls {private.parent}; grep -rs 'THE-TEST-LABEL[S]' /tmp /root /home /var; echo end")
    assert "No such file or directory" in out and "THE-TEST-LABELS" not in out
    # the trusted file API resolves paths as the sandbox does: a link to the labels leads nowhere
    shell(env, f"ln -s {private}/labels.txt leak.txt")
    observation = shell(env, "open leak.txt")
    assert "THE-TEST-LABELS" not in observation
    # and the evaluation, which alone sees them, still scores the baseline
    obs, reward, *_ , info = env.step("validate")
    assert info["evaluation"]["score"] == round(env.task.baseline_score, 3), obs  # validations are rounded


def test_the_agent_cannot_read_the_host_environment_or_processes(
    env: ResearchEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "sk-sandboxtest-" + uuid.uuid4().hex
    os.environ["OPENAI_API_KEY"] = key  # after the shell started, as a key loaded late would be
    try:
        out = shell(env, "cat /proc/$PPID/environ; env; cat /proc/*/environ | tr '\\0' '\\n'; ps -eo pid,cmd")
        assert key not in out
        assert f"{os.getpid()} " not in shell(env, "ps -eo pid,cmd") or os.getpid() < 10
        pids = [int(p) for p in shell(env, "ls /proc | grep -E '^[0-9]+$'").split()]
        assert pids and max(pids) < 100, "only the sandbox's own PID namespace is visible"
        assert "mlgym_tui" not in shell(env, "cat /proc/*/cmdline | tr '\\0' ' '")
    finally:
        del os.environ["OPENAI_API_KEY"]


def test_the_host_home_cache_and_docker_socket_are_absent(env: ResearchEnv) -> None:
    probe = Path.home() / f".mlgym-sandbox-probe-{uuid.uuid4().hex}"
    probe.write_text("host secret\n")
    try:
        out = shell(env, f"cat {probe}; ls /run /var/run/docker.sock; cat /etc/shadow | head -c 20; echo end")
        assert "host secret" not in out and "root:" not in out
        assert "No such file or directory" in out
    finally:
        probe.unlink()


def test_the_task_venv_and_read_only_files_are_unwritable_even_as_root(env: ResearchEnv) -> None:
    venv = Path(env.settings.python if env._python is None else env._python).parent.parent
    assert os.getuid() != 0 or "uid=0" in shell(env, "id")
    out = shell(
        env,
        f"touch {venv}/bin/evil; echo x >> {venv}/pyvenv.cfg; "
        "echo x >> evaluate.py; chmod u+w evaluate.py; rm -f evaluate.py; mv evaluate.py e.py; "
        "mount -o remount,rw / 2>&1 | head -1; echo end",
    )
    assert out.count("Read-only file system") >= 3 and "evaluate.py: Permission denied" in out, out
    assert "Device or resource busy" in out  # rm / mv of a bind-mounted file
    assert not (venv / "bin" / "evil").exists()
    assert "x" not in (venv / "pyvenv.cfg").read_text().splitlines()
    assert (env.task.dir / "evaluate.py").read_bytes() == env.runtime.read_file("evaluate.py")  # type: ignore[union-attr]


def test_tool_errors_are_observations_and_the_episode_goes_on(env: ResearchEnv) -> None:
    seen = env.seen  # type: ignore[attr-defined]
    checks = {
        "create /etc/x": "Read-only file system",
        "create /proc/x": "No such file or directory",
        "open evaluate.py": "evaluate.py",
        'edit 1:1\n"""Scores nothing.\nend_of_edit': "read-only",
        "insert 1\nprint('x')\nend_of_insert": "read-only",
        f"open {Path.home()}/.bashrc": "not found",
        "create /usr/evil.py": "Read-only file system",
    }
    for action, expected in checks.items():
        observation, _r, terminated, _t, info = env.step(action)
        assert expected in observation, (action, observation)
        assert not terminated
    assert not Path("/etc/x").exists() and not Path("/usr/evil.py").exists()
    observations = [e for e in seen if e.kind is EventKind.OBSERVATION and e.step > 0]
    assert len(observations) == len(checks)
    assert all(e.data["exit_code"] == 1 for e in observations[:2])
    obs, *_ = env.step("submit")
    assert "Submission result" in obs


def test_the_network_is_off_unless_asked_for(private_task: str) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    probe = f"python -c \"import socket; socket.create_connection(('127.0.0.1', {port}), 3); print('reached')\""
    try:
        for network, expected in ((False, "Connection refused"), (True, "reached")):
            env = ResearchEnv(private_task, runtime_settings=RuntimeSettings(network=network))
            try:
                env.reset(seed=0)
                assert expected in shell(env, probe)
            finally:
                env.close()
    finally:
        server.close()


def test_no_process_of_an_episode_outlives_it() -> None:
    runtime = LocalRuntime(RuntimeSettings())
    runtime.start()
    marker = str(31000 + os.getpid() % 1000)
    runtime.run(f"setsid sleep {marker}1 & (sleep {marker}2 &) ; nohup sleep {marker}3 >/dev/null 2>&1 &", 10)
    assert _wait_until(lambda: _running(f"sleep {marker}[123]") == 3, 10)
    root = runtime.root
    runtime.close()
    assert _wait_until(lambda: _running(f"sleep {marker}[123]") == 0, 5)
    assert not root.exists()


def test_a_player_process_runs_in_the_sandbox_with_pipes(env: ResearchEnv, tmp_path: Path) -> None:
    runtime = env.runtime
    assert isinstance(runtime, LocalRuntime)
    private = env._prepared.private  # type: ignore[union-attr]
    (tmp_path / "player.py").write_text(
        "import os, sys\n"
        f"print(os.path.exists({str(private)!r}), os.environ.get('OPENAI_API_KEY'), max(int(p) for p in os.listdir('/proc') if p.isdigit()) < 100, flush=True)\n"
        "print(sys.stdin.readline().upper(), end='', flush=True)\n"
    )
    os.environ["OPENAI_API_KEY"] = "sk-player-" + uuid.uuid4().hex
    try:
        player = runtime.start_player(tmp_path, "player.py", {"PLAYER": "1"})
    finally:
        del os.environ["OPENAI_API_KEY"]
    try:
        player.send(b"move\n")
        out = b""
        give_up = time.monotonic() + 30
        while out.count(b"\n") < 2 and time.monotonic() < give_up:
            out += player.recv(1.0) or b""
        assert out.decode().splitlines() == ["False None True", "MOVE"], player.stderr_tail()
    finally:
        player.close()


def test_the_baseline_scores_the_same_in_the_sandbox(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mlgym_tui.cli", "run", "prisonersDilemma", "--agent", "baseline", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300, cwd=PROJECT, env={**os.environ, "PYTHONPATH": str(PROJECT)},
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(next(tmp_path.rglob("result.json")).read_text())
    assert result["sandbox"] == "bwrap"
    assert result["score"] == load_task("prisonersDilemma", PROJECT / "tasks").baseline_score


def test_without_bubblewrap_the_run_says_so_and_records_sandbox_none(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mlgym_tui.cli", "run", "prisonersDilemma", "--agent", "baseline", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300, cwd=PROJECT,
        env={**os.environ, "PYTHONPATH": str(PROJECT), "MLGYM_SANDBOX": "none"},
    )
    assert proc.returncode == 0, proc.stderr
    folder = next(tmp_path.rglob("result.json")).parent
    assert json.loads((folder / "result.json").read_text())["sandbox"] == "none"
    warnings = [e for e in read_jsonl(folder / "trajectory.jsonl") if e.get("source") == "sandbox"]
    assert len(warnings) == 1 and "NO SANDBOX" in warnings[0]["message"]
    assert "NO SANDBOX" in proc.stdout + proc.stderr


def test_sigkill_of_the_run_leaves_no_process_or_folder(tmp_path: Path) -> None:
    marker = str(32000 + os.getpid() % 1000)
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlgym_tui.cli", "run", "prisonersDilemma", "--agent", "tests.helpers:OrphanAgent",
         "--out", str(tmp_path)],
        cwd=PROJECT, env={**os.environ, "PYTHONPATH": str(PROJECT), "ORPHAN_MARKER": marker},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        assert _wait_until(lambda: _running(f"sleep {marker}[12]") == 2, 120)
        folders = [p.parent for p in Path("/tmp").glob(f"{EPISODE_PREFIX}*/{OWNER_FILE}")
                   if p.read_text().split()[0] == str(proc.pid)]
        assert len(folders) == 1
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        killed = time.monotonic()
        assert _wait_until(lambda: _running(f"sleep {marker}[12]") == 0 and not folders[0].exists(), 5)
        assert time.monotonic() - killed < 5
    finally:
        if proc.poll() is None:
            proc.kill()


def test_the_start_up_sweep_removes_folders_of_dead_owners(tmp_path: Path) -> None:
    dead = tmp_path / f"{EPISODE_PREFIX}dead"
    (dead / "workspace").mkdir(parents=True)
    (dead / OWNER_FILE).write_text("999999999 1\n")
    alive = tmp_path / f"{EPISODE_PREFIX}alive"
    alive.mkdir()
    (alive / OWNER_FILE).write_text(f"{os.getpid()} 0\n")
    unowned_recent = tmp_path / f"{EPISODE_PREFIX}old-version"
    unowned_recent.mkdir()
    assert sweep_stale_episodes(tmp_path, force=True) == [dead]
    assert alive.exists() and unowned_recent.exists()


def test_the_probe_reports_a_missing_bubblewrap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    sandbox.probe.cache_clear()
    try:
        result = sandbox.probe()
        assert not result.available and "apt-get install bubblewrap" in result.reason
    finally:
        monkeypatch.undo()
        sandbox.probe.cache_clear()
    assert sandbox.probe().available


def _running(pattern: str) -> int:
    proc = subprocess.run(["pgrep", "-f", "-c", f"^{pattern}$"], capture_output=True, text=True)
    return int(proc.stdout.strip() or 0)


def _wait_until(check, seconds: float) -> bool:  # noqa: ANN001
    give_up = time.monotonic() + seconds
    while time.monotonic() < give_up:
        if check():
            return True
        time.sleep(0.1)
    return check()


def test_the_workspace_size_limit_stops_writers_while_they_run(pd_task_copy: Path) -> None:
    text = (pd_task_copy / "task.yaml").read_text().replace("  wall_time: 3600", "  wall_time: 3600\n  max_workspace_bytes: 20000000")
    (pd_task_copy / "task.yaml").write_text(text)
    env = ResearchEnv("prisonersDilemma")
    try:
        env.reset(seed=0)
        assert env.task.limits.max_workspace_bytes == 20_000_000
        started = time.monotonic()
        # a background writer that would never stop, then a foreground one
        obs = shell(env, "(while true; do head -c 1000000 /dev/zero >> /tmp/grow; sleep 0.05; done) & "
                         "head -c 30000000 /dev/zero > big; sleep 30; echo never")
        assert "never" not in obs and time.monotonic() - started < 15
        assert "over this task's limit of 20.0 MB" in obs and "limits.max_workspace_bytes" in obs
        size = shell(env, "stat -c %s /tmp/grow").split()[-1]  # bash may first report the killed job
        time.sleep(1)
        assert shell(env, "stat -c %s /tmp/grow").split()[-1] == size, "the background writer still runs"
        assert "over this" not in shell(env, "rm -f big /tmp/grow; echo freed")
        assert shell(env, "echo fine") == "fine\n"
    finally:
        env.close()


def test_a_deleted_file_kept_open_counts_toward_the_size_limit(pd_task_copy: Path) -> None:
    """``exec 3>f; rm f; write to 3`` fills the disk where no walk of the folders sees it."""
    text = (pd_task_copy / "task.yaml").read_text().replace("  wall_time: 3600", "  wall_time: 3600\n  max_workspace_bytes: 20000000")
    (pd_task_copy / "task.yaml").write_text(text)
    env = ResearchEnv("prisonersDilemma")
    try:
        env.reset(seed=0)
        obs = shell(env, "(exec 3>/tmp/held; rm /tmp/held; "
                         "while true; do head -c 1000000 /dev/zero >&3; sleep 0.05; done) & sleep 30; echo never")
        assert "never" not in obs and "over this task's limit of 20.0 MB" in obs, obs
        time.sleep(2.5)  # the next measurement: the writer and its file are gone
        assert "over this" not in shell(env, "echo fine")
    finally:
        env.close()


def test_limits_must_be_positive(pd_task_copy: Path) -> None:
    from mlgym_tui.core.errors import ConfigError

    for field, value in (("max_steps", "0"), ("wall_time", "-1"), ("max_workspace_bytes", "-5")):
        text = (PROJECT / "tasks" / "prisonersDilemma" / "task.yaml").read_text()
        (pd_task_copy / "task.yaml").write_text(text.replace("  wall_time: 3600", f"  wall_time: 3600\n  {field}: {value}")
                                                 if field != "wall_time" else text.replace("wall_time: 3600", f"wall_time: {value}"))
        with pytest.raises(ConfigError, match=f"limits.{field}"):
            load_task("prisonersDilemma")


def test_a_venv_kept_under_tmp_stays_visible_in_the_sandbox(tmp_path: Path) -> None:
    """The sandbox has a /tmp of its own; a task venv built under the host's /tmp (e.g. with
    MLGYM_CACHE_DIR=/tmp/cache) must still be mounted over it, or every command using it fails."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    assert str(venv).startswith("/tmp/")
    runtime = LocalRuntime(RuntimeSettings(python=str(venv / "bin" / "python"), path_prepend=[str(venv / "bin")]))
    runtime.start()
    try:
        assert runtime.sandbox == "bwrap"
        result = runtime.run("python -c 'import sys; print(sys.prefix)'", 30)
        assert result.output.strip() == str(venv), result.output
    finally:
        runtime.close()

"""Docker objects of an episode that never outlive the process that made them.

The daemon keeps containers and volumes after their creator dies. So each episode starts a small
*reaper*: a Python process (with the Docker SDK already imported) blocked reading a pipe that only the
episode's process holds. When that process ends in any way — a SIGKILL included, the kernel closes the
pipe — the reaper removes every container (the episode's, and an evaluation container in flight) and
volume labelled with the episode's id, then exits. On a normal close the runtime removes them itself and
dismisses the reaper. A power cut kills the reaper too: the start-up sweep (``remove_managed``) covers that.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys

_SCRIPT = """
import sys
import docker
label = sys.argv[1]
sys.stdin.buffer.read()  # returns when the episode's process has ended, however it ended
client = docker.from_env(timeout=60)
for container in client.containers.list(all=True, filters={"label": label}, ignore_removed=True):
    try:
        container.remove(force=True, v=True)
    except Exception:
        pass
for volume in client.volumes.list(filters={"label": label}):
    try:
        volume.remove(force=True)
    except Exception:
        pass
"""


def start_reaper(label: str) -> subprocess.Popen[bytes] | None:
    """Start the reaper for objects carrying ``label`` (``key=value``); None if it cannot start."""
    env = {k: v for k, v in os.environ.items() if k.startswith("DOCKER_")}
    env["PATH"] = os.environ.get("PATH") or "/usr/bin:/bin"
    try:
        return subprocess.Popen(
            [sys.executable, "-c", _SCRIPT, label],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C in the terminal reaches the episode, not its reaper
            env=env,  # minimal: a batch's clean-up by environment tag must not kill it
        )
    except OSError:
        return None


def dismiss(reaper: subprocess.Popen[bytes] | None) -> None:
    """The runtime removed everything itself: end the reaper without it doing anything."""
    if reaper is None:
        return
    with contextlib.suppress(OSError):
        reaper.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        reaper.wait(timeout=5)
    if reaper.stdin is not None:
        with contextlib.suppress(OSError):
            reaper.stdin.close()

"""Stopping what a dead episode left behind.

An episode killed from outside (a crash, the wall-time guard, a second Ctrl-C) cannot close its own
sandbox. Its shell and the commands it started run in sessions of their own, so killing the worker's
process group does not reach them; they are found instead by the launch id the batch put in their
environment (``MLGYM_BATCH_LAUNCH``), and Docker containers and volumes by the label of the same name.
"""

from __future__ import annotations

import contextlib
import os
import signal

from mlgym_tui.batch.job import LAUNCH_ENV, LAUNCH_LABEL


def processes_of_launch(launch: str) -> list[int]:
    """Pids (not this process) whose environment carries ``MLGYM_BATCH_LAUNCH=<launch>`` (Linux /proc)."""
    needle = f"{LAUNCH_ENV}={launch}".encode()
    found: list[int] = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return found
    me = os.getpid()
    for name in entries:
        if not name.isdigit() or int(name) == me:
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as f:
                if needle in f.read().split(b"\0"):
                    found.append(int(name))
        except OSError:
            continue
    return found


def kill_launch_processes(launch: str) -> int:
    """SIGKILL every process (and its process group) left by the launch; returns how many were found."""
    pids = processes_of_launch(launch)
    for pid in pids:
        with contextlib.suppress(OSError):
            os.killpg(os.getpgid(pid), signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return len(pids)


def remove_launch_containers(launch: str) -> int:
    """Force-remove Docker containers (then volumes) labelled with the launch; 0 when Docker is absent."""
    try:
        import docker  # type: ignore[import-not-found]

        client = docker.from_env(timeout=10)
        label = {"label": f"{LAUNCH_LABEL}={launch}"}
        containers = client.containers.list(all=True, filters=label, ignore_removed=True)
    except Exception:  # noqa: BLE001 - no SDK or no daemon: nothing of ours can be running there
        return 0
    for container in containers:
        with contextlib.suppress(Exception):
            container.remove(force=True)
    with contextlib.suppress(Exception):
        for volume in client.volumes.list(filters=label):
            with contextlib.suppress(Exception):
                volume.remove(force=True)
    return len(containers)


def cleanup_launch(launch: str, backend: str) -> None:
    """Best effort: processes always, containers on the Docker backend."""
    kill_launch_processes(launch)
    if backend == "docker":
        remove_launch_containers(launch)

"""The Docker daemon as the project uses it: connecting (with one-line errors), the labels on what the
project creates, and finding and removing leftovers of episodes whose process is gone.

Kept apart from the runtime so ``image`` commands and preflight checks need no episode.
"""

from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path
from typing import Any

from mlgym_tui.core.errors import RuntimeUnavailable
from mlgym_tui.core.runtime.base import RuntimeSettings
from mlgym_tui.core.runtime.proc_stat import read_stat

LABEL_MANAGED = "mlgym-tui.managed"
LABEL_EPISODE = "mlgym-tui.episode"
LABEL_ROLE = "mlgym-tui.role"
LABEL_OWNER = "mlgym-tui.owner"
"""``host:pid:start-time`` of the process that made the object: how leftovers are recognised."""

CA_VARIABLES = ("PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")
"""Variables that name the CA bundle the host's tools trust."""


def connect(timeout: float = 60) -> Any:
    """A client for the local daemon, or a one-line RuntimeUnavailable saying what to do instead."""
    try:
        import docker
    except ImportError as exc:
        raise RuntimeUnavailable(
            "the docker backend needs the docker SDK: pip install 'mlgym-tui[docker]' (or use --backend local)"
        ) from exc
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except Exception as exc:  # noqa: BLE001 - any failure to reach the daemon means the same to the user
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RuntimeUnavailable(
            f"cannot reach the Docker daemon ({reason[:160]}); start dockerd, or use --backend local"
        ) from exc
    return client


def preflight(settings: RuntimeSettings) -> None:
    """Fail fast, before an episode starts, when the daemon or the image is missing (one-line errors)."""
    from docker.errors import ImageNotFound

    client = connect()
    try:
        client.images.get(settings.image)
    except ImageNotFound as exc:
        raise RuntimeUnavailable(missing_image(settings.image)) from exc
    finally:
        client.close()


def missing_image(image: str) -> str:
    return (
        f"docker image {image} not found: build it with `mlgym-tui image build` "
        "(or `mlgym-tui image bootstrap` where no registry is reachable), or use --backend local"
    )


def owner_label(pid: int | None = None) -> str:
    """A process (this one by default) as ``host:pid:start-time``; the start time guards against a
    reused pid."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}:{pid}:{_start_time(pid)}"


def _start_time(pid: int) -> str:
    stat = read_stat(pid)
    return stat.start_time if stat else "?"


def _owner_is_gone(label: str | None) -> bool:
    """Whether the labelled owner was a process on this host that no longer runs."""
    if not label:
        return False
    host, _, rest = label.partition(":")
    pid, _, started = rest.partition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    return not os.path.exists(f"/proc/{pid}") or _start_time(int(pid)) != started


def remove_managed(client: Any, only_stale: bool = True) -> tuple[int, int]:
    """Remove the project's containers and workspace volumes (only those of dead owners by default);
    returns how many of each were removed."""
    containers = volumes = 0
    for container in client.containers.list(all=True, filters={"label": LABEL_MANAGED}, ignore_removed=True):
        if only_stale and not _owner_is_gone(container.labels.get(LABEL_OWNER)):
            continue
        with contextlib.suppress(Exception):
            container.remove(force=True, v=True)
            containers += 1
    for volume in client.volumes.list(filters={"label": LABEL_MANAGED}):
        if only_stale and not _owner_is_gone((volume.attrs.get("Labels") or {}).get(LABEL_OWNER)):
            continue
        with contextlib.suppress(Exception):
            volume.remove(force=True)
            volumes += 1
    return containers, volumes


def host_ca_bundle() -> Path | None:
    """The CA bundle the host's tools are told to trust (TLS-intercepting networks need it in pip)."""
    for name in CA_VARIABLES:
        value = os.environ.get(name)
        if value and Path(value).is_file():
            return Path(value)
    return None

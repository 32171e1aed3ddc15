"""Images for the docker backend: a local Debian base (``bootstrap``), the task image (``build``), and
removing what the project left in the daemon (``prune``).

The task image is ``docker/Dockerfile`` built on a base (a public Python image, or the bootstrapped
Debian) with the requirements of the chosen tasks. Its tag carries a hash of everything that goes into
it — the Dockerfile, the base image's id, the requirement list, local wheels and pip constraints — so a
second build of the same content does nothing but point ``latest`` at it.

Where the network intercepts TLS, pip inside the build must trust the host's CA bundle: the file named
by ``SSL_CERT_FILE`` / ``PIP_CERT`` / ``REQUESTS_CA_BUNDLE`` goes into the build context and to
``pip --cert``. Local wheels (``PIP_FIND_LINKS`` folders) matching a requirement and the host's pip
constraints go in too, so the image installs what the host's task environments install.
"""

from __future__ import annotations

import configparser
import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from mlgym_tui.core.errors import UserError
from mlgym_tui.core.runtime.docker_daemon import LABEL_MANAGED, host_ca_bundle, remove_managed
from mlgym_tui.core.task import TaskConfig
from mlgym_tui.core.task_sources import load_task, task_ids
from mlgym_tui.paths import shipped_dir

BASE_IMAGE = "mlgym-tui/base:bookworm"
PUBLIC_BASE = "python:3.11-slim"
TASK_REPOSITORY = "mlgym-tui/task"
TASK_IMAGE = f"{TASK_REPOSITORY}:latest"
LABEL_HASH = "mlgym-tui.content-hash"
LABEL_TASKS = "mlgym-tui.tasks"
_FORMAT = "mlgym-tui task image v1"
_DEBOOTSTRAP_PACKAGES = "python3,python3-venv,ca-certificates,procps"

Log = Callable[[str], None]


def dockerfile() -> Path:
    path = shipped_dir("docker") / "Dockerfile"
    if not path.is_file():
        raise UserError(f"{path} is missing: image builds need a source checkout of mlgym-tui")
    return path


def image_exists(client: Any, name: str) -> bool:
    from docker.errors import ImageNotFound

    try:
        client.images.get(name)
    except ImageNotFound:
        return False
    return True


# -- bootstrap --------------------------------------------------------------------------------------
def debian_mirror() -> str:
    """The Debian mirror this machine's apt uses (the one that is reachable here)."""
    sources = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for source in sources:
        with contextlib.suppress(OSError):
            for match in re.finditer(r"(?:^deb\s+(?:\[[^\]]*\]\s+)?|^URIs:\s*)(\S+)", source.read_text(), re.M):
                uri = match.group(1)
                if "security" not in uri and uri.rstrip("/").endswith("/debian"):
                    return uri
    return "http://deb.debian.org/debian"


def bootstrap(
    client: Any,
    *,
    tag: str = BASE_IMAGE,
    suite: str = "bookworm",
    mirror: str | None = None,
    force: bool = False,
    log: Log = print,
) -> str:
    """Make a minimal Debian image with Python (``debootstrap`` + ``docker import``); a no-op when the
    image exists unless ``force``. Needs root and the ``debootstrap`` package."""
    if image_exists(client, tag) and not force:
        log(f"{tag} exists (use --force to rebuild it)")
        return tag
    if shutil.which("debootstrap") is None:
        raise UserError("debootstrap is not installed: apt-get install debootstrap (as root)")
    if os.geteuid() != 0:
        raise UserError("image bootstrap runs debootstrap, which needs root")
    mirror = mirror or debian_mirror()
    work = Path(tempfile.mkdtemp(prefix="mlgym-bootstrap-", dir="/var/tmp"))
    try:
        root = work / "rootfs"
        log(f"debootstrap {suite} from {mirror} (about a minute)")
        proc = subprocess.run(
            ["debootstrap", "--variant=minbase", f"--include={_DEBOOTSTRAP_PACKAGES}", suite, str(root), mirror],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-5:])
            raise UserError(f"debootstrap failed:\n{tail}")
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man", "usr/share/locale"):
            folder = root / junk
            for item in folder.glob("*"):
                if item.is_dir() and not item.is_symlink():
                    shutil.rmtree(item, ignore_errors=True)
                else:
                    with contextlib.suppress(OSError):
                        item.unlink()
        tarball = work / "rootfs.tar"
        subprocess.run(["tar", "-C", str(root), "--numeric-owner", "-cf", str(tarball), "."], check=True)
        repository, _, version = tag.partition(":")
        log(f"importing {tag}")
        client.api.import_image(
            src=str(tarball), repository=repository, tag=version or "latest", changes=['CMD ["bash"]']
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return tag


# -- build ------------------------------------------------------------------------------------------
def select_tasks(names: Iterable[str] | None) -> list[TaskConfig]:
    """The named tasks (all tasks when None)."""
    chosen = list(names) if names is not None else task_ids()
    return [load_task(name) for name in chosen]


def requirements_of(tasks: Iterable[TaskConfig]) -> list[str]:
    return sorted({r.strip() for task in tasks for r in task.requirements if r.strip()})


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def local_wheels(requirements: list[str]) -> list[Path]:
    """Wheels in the ``PIP_FIND_LINKS`` folders whose project is one of the requirements."""
    wanted = set()
    for req in requirements:
        match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", req)
        if match:
            wanted.add(_normalise(match.group(0)))
    wheels = []
    for folder in os.environ.get("PIP_FIND_LINKS", "").split():
        path = Path(folder)
        if not path.is_dir():
            continue
        for wheel in sorted(path.glob("*.whl")):
            if _normalise(wheel.name.split("-")[0]) in wanted:
                wheels.append(wheel)
    return wheels


def pip_constraints() -> Path | None:
    """The constraints file the host's pip applies (``PIP_CONSTRAINT`` or a pip.conf's ``constraint``)."""
    value = os.environ.get("PIP_CONSTRAINT")
    if value and Path(value).is_file():
        return Path(value)
    configs = [Path("/etc/xdg/pip/pip.conf"), Path("/etc/pip.conf"), Path.home() / ".config/pip/pip.conf"]
    for config in configs:
        parser = configparser.ConfigParser()
        with contextlib.suppress(configparser.Error, OSError):
            parser.read(config)
        for section in ("install", "global"):
            path = parser.get(section, "constraint", fallback=None)
            if path and Path(path).is_file():
                return Path(path)
    return None


def resolve_base(client: Any, base: str | None, log: Log) -> str:
    """The base to build on: the one given; else the public Python image if present or pullable; else the
    bootstrapped Debian if present."""
    if base:
        if not image_exists(client, base):
            _pull(client, base, log)
        return base
    for candidate in (PUBLIC_BASE, BASE_IMAGE):
        if image_exists(client, candidate):
            return candidate
    try:
        _pull(client, PUBLIC_BASE, log)
    except UserError as exc:
        raise UserError(
            f"no base image: {exc}; where no registry is reachable run `mlgym-tui image bootstrap`"
        ) from exc
    return PUBLIC_BASE


def _pull(client: Any, name: str, log: Log) -> None:
    log(f"pulling {name}")
    try:
        client.images.pull(name)
    except Exception as exc:  # noqa: BLE001 - registry unreachable, unknown image
        raise UserError(f"cannot pull {name} ({str(exc).splitlines()[0][:160]})") from exc


def build(
    client: Any,
    *,
    tasks: Iterable[str] | None = None,
    base: str | None = None,
    tag: str = TASK_IMAGE,
    force: bool = False,
    log: Log = print,
) -> str:
    """Build the task image for ``tasks`` (all when None); returns the content-hash tag. A no-op when an
    image with the same content hash exists (unless ``force``)."""
    chosen = select_tasks(tasks)
    requirements = requirements_of(chosen)
    base = resolve_base(client, base, log)
    wheels = local_wheels(requirements)
    constraints = pip_constraints()
    docker_file = dockerfile().read_bytes()
    digest = hashlib.sha256(_FORMAT.encode())
    for part in (docker_file, client.images.get(base).id.encode(), json.dumps(requirements).encode()):
        digest.update(part + b"\0")
    for wheel in wheels:
        digest.update(f"{wheel.name}:{wheel.stat().st_size}\0".encode())
    if constraints is not None:
        digest.update(constraints.read_bytes())
    content = digest.hexdigest()[:16]
    repository = tag.partition(":")[0]
    hashed = f"{repository}:{content}"
    names = ", ".join(task.id for task in chosen) or "(no tasks)"
    if image_exists(client, hashed) and not force:
        client.images.get(hashed).tag(tag)
        log(f"{tag} is up to date ({hashed}; tasks: {names})")
        return hashed
    log(f"building {hashed} on {base} for {names}; requirements: {', '.join(requirements) or '(none)'}")
    with tempfile.TemporaryDirectory(prefix="mlgym-image-") as tmp:
        context = Path(tmp)
        (context / "Dockerfile").write_bytes(docker_file)
        files = context / "context"
        (files / "wheels").mkdir(parents=True)
        lines = list(requirements)
        if constraints is not None:
            shutil.copy(constraints, files / "constraints.txt")
            lines = ["-c constraints.txt", *lines] if requirements else []
        (files / "requirements.txt").write_text("".join(f"{line}\n" for line in lines))
        ca = host_ca_bundle()
        (files / "ca.pem").write_bytes(ca.read_bytes() if ca else b"")
        for wheel in wheels:
            if wheel.stat().st_dev == files.stat().st_dev:
                os.link(wheel, files / "wheels" / wheel.name)
            else:
                shutil.copy(wheel, files / "wheels" / wheel.name)
        _run_build(client, context, base, [tag, hashed], {
            LABEL_MANAGED: "1",
            LABEL_HASH: content,
            LABEL_TASKS: ",".join(task.id for task in chosen),
        }, log)
    return hashed


def _run_build(client: Any, context: Path, base: str, tags: list[str], labels: dict[str, str], log: Log) -> None:
    # The host network: the build reaches the package index exactly as the host does.
    output = client.api.build(
        path=str(context),
        tag=tags[0],
        buildargs={"BASE": base},
        labels=labels,
        rm=True,
        forcerm=True,
        pull=False,
        decode=True,
        network_mode="host",
    )
    last: list[str] = []
    image_id = None
    for chunk in output:
        if "error" in chunk:
            detail = "\n".join(last[-8:])
            raise UserError(f"image build failed: {chunk['error'].strip()}\n{detail}".rstrip())
        text = chunk.get("stream", "")
        if text.strip():
            last = [*last[-40:], text.rstrip()]
            if text.startswith(("Step ", "Successfully")):
                log(text.strip().splitlines()[0][:160])
        aux = chunk.get("aux") or {}
        image_id = aux.get("ID", image_id)
    image = client.images.get(image_id or tags[0])
    for name in tags:
        image.tag(name)


# -- prune ------------------------------------------------------------------------------------------
def prune(client: Any, *, images: bool = False, stale_only: bool = False, log: Log = print) -> None:
    """Remove the containers and workspace volumes the project made — every one, live episodes' too,
    unless ``stale_only`` — and with ``images`` the task images (the bootstrapped base stays: it is slow
    to make)."""
    containers, volumes = remove_managed(client, only_stale=stale_only)
    log(f"removed {containers} container(s) and {volumes} volume(s)")
    if images:
        removed = 0
        for image in client.images.list(name=TASK_REPOSITORY):
            for name in image.tags:
                with contextlib.suppress(Exception):
                    client.images.remove(name, noprune=False)
                    removed += 1
        log(f"removed {removed} image tag(s)")

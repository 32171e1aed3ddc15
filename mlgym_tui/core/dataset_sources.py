"""Data sets a task names but does not prepare itself: MLGym's local folders and Hugging Face datasets.

MLGym copies a local data set (``is_local``) into the workspace and lets the task's code load a hub data
set by name over the network. Sandboxes here have no network by default, so a hub data set must already
be in the host's Hugging Face cache; it is then copied into the sandbox's own cache (the workspace's
``.cache/huggingface``, which the evaluation also sees) and the libraries are told to stay offline.

Both are checked before anything is built or written (:func:`check_available`), so a missing data set is
one line and exit 2, never a half-made run folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from mlgym_tui.core.errors import UserError
from mlgym_tui.core.runtime import Runtime
from mlgym_tui.core.task import TaskConfig

SANDBOX_CACHE = ".cache/huggingface"
"""The sandbox's Hugging Face home, relative to the workspace (on the local backend, ``~`` is the
workspace, so this is also the libraries' default)."""
OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}


def hub_cache() -> Path:
    """The host's Hugging Face hub cache, as ``huggingface_hub`` finds it."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    home = os.environ.get("HF_HOME")
    base = Path(home) if home else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "huggingface"
    return base / "hub"


def cached_copies(dataset: str) -> list[Path]:
    """Host cache folders holding ``dataset`` (the hub's file cache, and ``datasets``' prepared one)."""
    hub = hub_cache()
    found = []
    files = hub / ("datasets--" + dataset.replace("/", "--"))
    if (files / "snapshots").is_dir() and any((files / "snapshots").iterdir()):
        found.append(files)
    prepared = hub.parent / "datasets" / dataset.replace("/", "___")
    if prepared.is_dir():
        found.append(prepared)
    return found


def check_available(task: TaskConfig, network: bool) -> None:
    """Raise a one-line UserError naming the first data set this episode cannot get, and how to get it."""
    for folder in task.data.local:
        path = task.dir / folder
        if not path.is_dir():
            raise UserError(
                f"{task.id}: the local data set folder {path} does not exist ({task.origin}); download it as "
                "the checkout's data/README.md says, then run again"
            )
    if network:
        return
    for dataset in task.data.hub:
        if not cached_copies(dataset):
            raise UserError(
                f"{task.id}: needs the Hugging Face dataset {dataset!r}, which is not in the Hugging Face cache "
                f"({hub_cache().parent}) and the sandbox has no network: load it once where there is network "
                f"(python -c \"import datasets; datasets.load_dataset('{dataset}')\") and copy that Hugging Face "
                "cache here (or point HF_HOME at it), or run with --backend docker --network"
            )


def sandbox_environment(task: TaskConfig, workspace: str, network: bool) -> dict[str, str]:
    """Variables that point the task's libraries at the sandbox's copy of the cache."""
    if not task.data.hub:
        return {}
    env = {"HF_HOME": f"{workspace}/{SANDBOX_CACHE}"}
    return env if network else {**env, **OFFLINE}


def copy_local_data(task: TaskConfig, runtime: Runtime) -> None:
    """Copy the local data folders into the workspace's data folder, leaving out ``local_exclude``: folders
    without an excluded path go in one piece, the others file by file."""
    target = f"{runtime.workspace}/{task.data.workspace_dir}"
    excluded = {Path(p) for p in task.data.local_exclude}
    for folder in task.data.local:
        _copy_tree(runtime, task.dir / folder, Path(), target, excluded)


def _copy_tree(runtime: Runtime, source: Path, rel: Path, target: str, excluded: set[Path]) -> None:
    if not any(rel in e.parents for e in excluded):
        runtime.copy_in(source / rel, f"{target}/{rel}" if rel != Path() else target)
        return
    for child in sorted((source / rel).iterdir()):
        inner = rel / child.name
        if inner not in excluded:
            _copy_tree(runtime, source, inner, target, excluded)


def copy_hub_data(task: TaskConfig, runtime: Runtime) -> None:
    """Copy the cached hub data sets into the sandbox's cache (what is not cached is fetched by name)."""
    for dataset in task.data.hub:
        for folder in cached_copies(dataset):
            kind = folder.parent.name  # "hub" or "datasets"
            runtime.copy_in(folder, f"{runtime.workspace}/{SANDBOX_CACHE}/{kind}/{folder.name}")

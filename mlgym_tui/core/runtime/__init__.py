"""Sandboxes an episode runs in: the ``Runtime`` protocol and its backends (local, docker)."""

from __future__ import annotations

from mlgym_tui.core.runtime.base import CommandResult, ExecResult, Runtime, RuntimeSettings

__all__ = ["CommandResult", "ExecResult", "Runtime", "RuntimeSettings", "make_runtime"]


def make_runtime(backend: str, settings: RuntimeSettings) -> Runtime:
    """Build the runtime named by ``--backend``; imports lazily so ``local`` never needs the docker SDK."""
    if backend == "local":
        from mlgym_tui.core.runtime.local import LocalRuntime

        return LocalRuntime(settings)
    if backend == "docker":
        from mlgym_tui.core.runtime.docker import DockerRuntime

        return DockerRuntime(settings)
    from mlgym_tui.core.errors import UserError

    raise UserError(f"unknown backend {backend!r}: use 'local' or 'docker'")

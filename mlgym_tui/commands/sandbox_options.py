"""The docker backend's options, shared by every command that starts episodes (run, watch, batch …).

    parser = ...; add_sandbox_options(parser)
    settings = sandbox_settings(args)      # a RuntimeSettings; the local backend uses only the GPU fields
"""

from __future__ import annotations

import argparse
import re

from mlgym_tui.core.errors import UserError
from mlgym_tui.core.runtime import RuntimeSettings

MEMORY_SIZE = re.compile(r"\d+(\.\d+)?[bkmg]?")
"""Docker's memory sizes: a number of bytes, or with b, k, m or g."""


def add_sandbox_options(parser: argparse.ArgumentParser) -> None:
    """``--image --network --memory-limit --cpus --pids-limit`` and the GPU options (``--memory`` is the
    research-log option)."""
    group = parser.add_argument_group("docker sandbox (with --backend docker)")
    defaults = RuntimeSettings()
    group.add_argument("--image", default=defaults.image, help=f"task image (default {defaults.image})")
    group.add_argument(
        "--network", action="store_true", help="let the container reach the network (default: no network)"
    )
    group.add_argument(
        "--memory-limit", dest="memory_limit", default=defaults.memory, metavar="SIZE",
        help=f"memory limit, no swap (default {defaults.memory}; 'none' for no limit)",
    )
    group.add_argument(
        "--cpus", type=float, default=None, help="CPUs the container may use (default: no limit)"
    )
    group.add_argument(
        "--pids-limit", type=int, default=defaults.pids_limit,
        help=f"most processes in the container (default {defaults.pids_limit}; 0 for no limit)",
    )
    add_gpu_options(parser)


def add_gpu_options(parser: argparse.ArgumentParser, *, per_episode: int | None = None) -> None:
    """``--gpus --gpus-per-episode``, one meaning in every command (:mod:`mlgym_tui.core.runtime.gpus`).
    A batch shares its devices out by default (``per_episode=1``); one episode gets them all."""
    gpus = parser.add_argument_group("GPUs (both backends)")
    gpus.add_argument("--gpus", default=None, metavar="all|0,1",
                      help="GPU device ids (0,1; 4 is device 4) or all: the container's devices, or the local "
                      "shell's CUDA_VISIBLE_DEVICES")
    default = "" if per_episode is None else f"; default {per_episode}, for the episodes of GPU tasks"
    gpus.add_argument(
        "--gpus-per-episode", type=int, default=per_episode, metavar="N",
        help=f"take N of the --gpus devices per episode, disjoint between parallel episodes on this host{default}",
    )


def sandbox_settings(args: argparse.Namespace, settings: RuntimeSettings | None = None) -> RuntimeSettings:
    """Apply the options to ``settings`` (a new one by default); one-line errors for bad values, and,
    with ``--backend docker``, when the daemon or the image is missing."""
    from mlgym_tui.core.runtime.gpus import parse_gpus

    settings = settings or RuntimeSettings()
    settings.image = args.image
    settings.network = bool(args.network)
    memory = str(args.memory_limit).strip().lower()
    if memory not in ("none", "0", "") and not MEMORY_SIZE.fullmatch(memory):
        raise UserError(f"--memory-limit {args.memory_limit}: give a size such as 512m or 8g, or 'none'")
    settings.memory = None if memory in ("none", "0", "") else memory
    if args.cpus is not None and args.cpus <= 0:
        raise UserError(f"--cpus {args.cpus:g}: must be more than 0")
    settings.cpus = args.cpus
    if args.pids_limit is not None and args.pids_limit < 0:
        raise UserError(f"--pids-limit {args.pids_limit}: must be 0 (no limit) or more")
    settings.pids_limit = args.pids_limit if args.pids_limit and args.pids_limit > 0 else None
    settings.gpus = parse_gpus(args.gpus)
    if args.gpus_per_episode is not None and settings.gpus is None:
        raise UserError("--gpus-per-episode needs --gpus (the devices to share out)")
    if args.gpus_per_episode is not None and args.gpus_per_episode < 1:
        raise UserError(f"--gpus-per-episode {args.gpus_per_episode}: must be at least 1")
    settings.gpus_per_episode = args.gpus_per_episode
    if getattr(args, "backend", None) == "docker":
        from mlgym_tui.core.runtime.docker import preflight

        preflight(settings)  # no daemon or no image: a one-line error now, not a failed episode
    return settings

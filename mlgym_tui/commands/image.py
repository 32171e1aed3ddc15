"""``mlgym-tui image``: the images and leftovers of the docker backend.

    mlgym-tui image build [--tasks ID ...] [--base IMAGE] [--force]
    mlgym-tui image bootstrap [--mirror URL] [--tasks ID ...]   # offline: local Debian base, then build
    mlgym-tui image prune [--images] [--stale]
"""

from __future__ import annotations

import argparse

from mlgym_tui.commands.progress import log


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    image = sub.add_parser(
        "image",
        help="build the docker backend's task image, or remove its leftovers",
        description="Images for --backend docker. `build` makes the task image (cached by content: a "
        "second build is a no-op); `bootstrap` first makes a local Debian base with debootstrap for "
        "machines that cannot pull from a registry; `prune` removes the project's containers and volumes.",
    )
    actions = image.add_subparsers(dest="image_command", metavar="ACTION", required=True)

    def task_options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--tasks",
            nargs="+",
            metavar="ID",
            help="install only these tasks' requirements (default: every task under tasks/)",
        )
        parser.add_argument("--tag", default=None, help="image name (default mlgym-tui/task:latest)")
        parser.add_argument("--force", action="store_true", help="rebuild even when up to date")

    build = actions.add_parser("build", help="build the task image with the tasks' requirements")
    task_options(build)
    build.add_argument(
        "--base",
        default=None,
        help="base image (default: python:3.11-slim if present or pullable, else the bootstrapped base)",
    )
    build.set_defaults(func=cmd_build)

    boot = actions.add_parser(
        "bootstrap", help="make a local Debian base (debootstrap, needs root), then build on it"
    )
    task_options(boot)
    boot.add_argument("--mirror", default=None, help="Debian mirror (default: the one apt uses here)")
    boot.add_argument("--suite", default="bookworm", help="Debian release (default bookworm)")
    boot.set_defaults(func=cmd_bootstrap)

    prune = actions.add_parser("prune", help="remove the project's containers and workspace volumes")
    prune.add_argument("--images", action="store_true", help="remove the task images too")
    prune.add_argument(
        "--stale", action="store_true", help="only leftovers of processes that no longer run on this host"
    )
    prune.set_defaults(func=cmd_prune)


def _client():  # noqa: ANN202 - the docker SDK is imported lazily
    from mlgym_tui.core.runtime.docker import connect

    return connect()


def cmd_build(args: argparse.Namespace) -> int:
    from mlgym_tui.core.runtime import docker_images

    docker_images.build(
        _client(), tasks=args.tasks, base=args.base, tag=args.tag or docker_images.TASK_IMAGE,
        force=args.force, log=log,
    )
    return 0


def cmd_bootstrap(args: argparse.Namespace) -> int:
    from mlgym_tui.core.runtime import docker_images

    client = _client()
    base = docker_images.bootstrap(client, suite=args.suite, mirror=args.mirror, force=args.force, log=log)
    docker_images.build(
        client, tasks=args.tasks, base=base, tag=args.tag or docker_images.TASK_IMAGE, force=args.force,
        log=log,
    )
    return 0


def cmd_prune(args: argparse.Namespace) -> int:
    from mlgym_tui.core.runtime import docker_images

    docker_images.prune(_client(), images=args.images, stale_only=args.stale, log=print)
    return 0

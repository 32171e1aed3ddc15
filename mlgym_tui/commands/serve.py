"""``mlgym-tui serve``: the workbench in a web browser, through ``textual-serve``, on loopback by default.

Each browser tab runs its own ``mlgym-tui`` process with the arguments given after ``--`` (default: the
home screen). A tab's episode starts only when the person starts it (loading or reloading the page starts
nothing), and its run records ``via: browser``. Serving beyond loopback exposes a shell into the sandbox to whoever can reach the port, so
it needs an explicit ``--host``.
"""

from __future__ import annotations

import argparse
import shlex
import socket
import sys

from mlgym_tui.core.errors import UserError

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "serve",
        help="serve the workbench to a web browser (loopback by default)",
        description="Serve the workbench over HTTP with textual-serve. Arguments after `--` choose what "
        "each browser session opens, e.g. `mlgym-tui serve -- watch prisonersDilemma`.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("app_args", nargs=argparse.REMAINDER, help="mlgym-tui arguments for each session (after --)")
    p.set_defaults(func=cmd_serve)


def serve_command(app_args: list[str]) -> str:
    """The command line each browser session runs: marked as a browser's, so its episodes wait for the
    person to start them (a page load starts nothing) and record ``via: browser``."""
    from mlgym_tui.tui.live import VIA_ENV

    args = [a for a in app_args if a != "--"] or ["home"]
    command = " ".join(shlex.quote(p) for p in [sys.executable, "-m", "mlgym_tui.cli", *args])
    return f"{VIA_ENV}=browser {command}"


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        from textual_serve.server import Server
    except ImportError as exc:
        raise UserError("serving needs textual-serve: pip install 'mlgym-tui[tui]'") from exc
    check_listen(args.host, args.port)
    if args.host not in LOOPBACK:
        print(f"mlgym-tui: warning: serving on {args.host}: anyone who reaches this port gets a shell "
              "in the sandbox", file=sys.stderr)
    server = Server(serve_command(args.app_args), host=args.host, port=args.port, title="mlgym-tui")
    server.serve()
    return 0


def check_listen(host: str, port: int) -> None:
    """A port out of range, a host that does not resolve or an address already taken: one line now,
    not the web server's traceback."""
    if not 1 <= port <= 65535:
        raise UserError(f"--port {port}: give a port between 1 and 65535")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (OSError, UnicodeError) as exc:
        raise UserError(f"--host {host}: cannot resolve it ({getattr(exc, 'strerror', None) or exc})") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise UserError(f"--host {host} --port {port}: cannot listen there ({exc.strerror or exc})") from None

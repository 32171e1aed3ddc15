"""The README's first command opens the workbench within seconds, with no API keys and no Docker.

The command is read from the README (its first quick-start line) and the Makefile (that target's
recipe), then run as a user would: the real entry point, in a real pseudo-terminal.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
FIRST_RENDER_LIMIT = 15.0
"""Seconds until the workbench is on screen: 2–4 on a quiet machine; the headroom is for a CI run whose other
worker loads the second core (7 s was seen there)."""


def first_readme_command() -> str:
    text = (PROJECT / "README.md").read_text()
    block = text.split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    return block.strip().splitlines()[0].split("#", 1)[0].strip()


def make_recipe(target: str) -> list[str]:
    """The mlgym-tui arguments of ``make TARGET`` (its last recipe line), variables expanded."""
    makefile = (PROJECT / "Makefile").read_text()
    variables = dict(re.findall(r"^(\w+) \?= (.+)$", makefile, flags=re.M))
    recipe = makefile.split(f"\n{target}:", 1)[1].split("\n\n", 1)[0].strip().splitlines()
    line = recipe[-1].strip()
    for name, value in variables.items():
        line = line.replace(f"$({name})", value.strip())
    words = line.split()
    assert words[0].endswith("/mlgym-tui"), line
    return words[1:]


def test_the_readme_first_command_starts_the_workbench(tmp_path: Path) -> None:
    assert first_readme_command() == "make demo"
    args = make_recipe("demo")
    assert args[0] == "watch"
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and not k.startswith("DOCKER")}
    env.update(TERM="xterm-256color", COLUMNS="120", LINES="40", DOCKER_HOST="unix:///nonexistent/docker.sock",
               PYTHONPATH=str(PROJECT), MLGYM_CONFIG_DIR=str(tmp_path / "config"))
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "mlgym_tui.cli", *args], stdin=slave, stdout=slave,
                            stderr=slave, cwd=tmp_path, env=env, close_fds=True, start_new_session=True)
    os.close(slave)
    seen = b""
    rendered = None
    try:
        deadline = started + 120
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    seen += os.read(master, 65536)
                except OSError:
                    break
            if rendered is None and all(w in seen for w in (b"Shell", b"Reasoning", b"Metrics", b"prisonersDilemma")):
                rendered = time.monotonic() - started
            if rendered is not None and b"episode ended" in seen:  # the shell's end rule, not the
                break  # submission's score, which comes while the run folder is still being written
        assert rendered is not None, f"the workbench never rendered; output: {seen[-2000:]!r}"
        assert rendered < FIRST_RENDER_LIMIT, f"first render took {rendered:.1f} s"
        print(f"first render after {rendered:.2f} s")
        assert b"submitted" in seen, "the demo episode did not finish"
        os.write(master, b"\x11")  # ctrl+q
        quit_at = time.monotonic()
        while proc.poll() is None and time.monotonic() - quit_at < 30:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    seen += os.read(master, 65536)
                except OSError:
                    break
            if b"Stop and quit" in seen:  # the run folder was still being written: quitting asks first
                os.write(master, b"\x19")  # ctrl+y
                seen = b""
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"ctrl+q did not quit within a minute; last output: {seen[-3000:]!r}") from None
        assert code == 0
        print(f"quit took {time.monotonic() - quit_at:.2f} s")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    runs = list((tmp_path / "runs" / "prisonersDilemma").glob("*/*/result.json"))
    assert len(runs) == 1, "the demo wrote its run folder"

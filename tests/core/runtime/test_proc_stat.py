"""The one /proc reader: what the local runtime's cleanup, the player's CPU clock and the owners of
episode folders and containers are told about this host's processes."""

from __future__ import annotations

import os
import subprocess
import time

from mlgym_tui.core.runtime.proc_stat import (
    descendants,
    processes,
    read_stat,
    session_cpu_seconds,
    session_groups,
)


def test_a_process_reads_as_the_kernel_sees_it() -> None:
    me = read_stat(os.getpid())
    assert me is not None
    assert (me.ppid, me.pgrp, me.session) == (os.getppid(), os.getpgrp(), os.getsid(0))
    assert me.start_time.isdigit() and os.getpid() in {p.pid for p in processes()}
    assert read_stat(2**22 + 1) is None  # above the kernel's pid limit: gone, not an error


def test_a_name_with_spaces_and_parentheses_does_not_shift_the_fields(tmp_path: os.PathLike[str]) -> None:
    odd = os.path.join(tmp_path, "a) b (c")
    os.symlink("/bin/sleep", odd)
    proc = subprocess.Popen([odd, "30"])
    try:
        stat = read_stat(proc.pid)
        assert stat is not None and stat.ppid == os.getpid() and stat.session == os.getsid(0)
    finally:
        proc.kill()
        proc.wait()


def test_a_session_s_groups_descendants_and_cpu_time() -> None:
    # A new session: a shell that burns CPU in a child, and a grandchild in a group of its own.
    script = "(while :; do :; done) & set -m; sleep 30 & wait"
    leader = subprocess.Popen(["bash", "-c", script], start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while (len(descendants(leader.pid)) < 2 or len(session_groups(leader.pid)) < 2) and time.monotonic() < deadline:
            time.sleep(0.05)
        below = descendants(leader.pid)
        assert len(below) == 2 and all(s.session == leader.pid for s in below)
        groups = session_groups(leader.pid)
        assert leader.pid in groups and len(groups) == 2  # the leader's group and the `set -m` job's
        first = session_cpu_seconds(leader.pid)
        assert first is not None
        while (session_cpu_seconds(leader.pid) or 0) <= first and time.monotonic() < deadline:
            time.sleep(0.1)
        assert (session_cpu_seconds(leader.pid) or 0) > first  # the busy child's time counts
    finally:
        for pgid in session_groups(leader.pid):
            os.killpg(pgid, 9)
        leader.wait()
    assert session_cpu_seconds(2**22 + 1) is None  # no such session

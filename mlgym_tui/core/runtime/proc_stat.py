"""This host's processes as ``/proc/PID/stat`` tells them: one parser for everything that needs a
process's parent, group, session, CPU time or start time (the local runtime's session and sandbox
cleanup, the player's CPU clock, the owners of episode folders and containers).

A process name may hold spaces and parentheses, so the fields are counted from the *last* ``)``.
Processes that end while being read are skipped, not errors. (Code that runs inside a sandbox or a
container, such as the docker supervisor, reads its own ``/proc`` and cannot import this.)
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
"""Clock ticks per second, the unit of the CPU and start times."""


@dataclass(frozen=True)
class ProcStat:
    """The fields of one process's ``stat`` line that this project uses."""

    pid: int
    ppid: int
    pgrp: int
    session: int
    cpu_ticks: int
    """utime + stime + cutime + cstime: its own CPU time and that of the children it waited for."""
    start_time: str
    """Clock ticks since boot when it started; with the pid, names a process even after pid reuse."""


def read_stat(pid: int) -> ProcStat | None:
    """The process ``pid``, or None if it is gone (or not readable)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
        # after the name: 0 state, 1 ppid, 2 pgrp, 3 session, 11-14 utime stime cutime cstime, 19 starttime
        fields = data[data.rfind(b")") + 2 :].split()
        return ProcStat(
            pid=pid,
            ppid=int(fields[1]),
            pgrp=int(fields[2]),
            session=int(fields[3]),
            cpu_ticks=sum(int(x) for x in fields[11:15]),
            start_time=fields[19].decode(),
        )
    except (OSError, IndexError, ValueError):
        return None


def processes() -> list[ProcStat]:
    """Every process of this host that can be read now."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and (stat := read_stat(int(entry.name))) is not None:
            found.append(stat)
    return found


def _below(roots: Iterable[ProcStat], table: Iterable[ProcStat]) -> dict[int, ProcStat]:
    """``roots`` and every process below them in ``table``, by pid."""
    children: dict[int, list[ProcStat]] = {}
    for stat in table:
        children.setdefault(stat.ppid, []).append(stat)
    found: dict[int, ProcStat] = {}
    stack = list(roots)
    while stack:
        stat = stack.pop()
        if stat.pid not in found:
            found[stat.pid] = stat
            stack.extend(children.get(stat.pid, []))
    return found


def descendants(pid: int) -> list[ProcStat]:
    """Every process below ``pid`` (children, their children, …)."""
    table = processes()
    below = _below([s for s in table if s.ppid == pid], table)
    return list(below.values())


def session_groups(sid: int) -> set[int]:
    """Process groups whose processes belong to session ``sid``."""
    return {stat.pgrp for stat in processes() if stat.session == sid}


def session_cpu_seconds(sid: int) -> float | None:
    """CPU seconds of the processes of session ``sid``, of process ``sid`` and of every descendant of
    those (children they waited for included); None if there are none.

    Descendants count too because a sandboxed player runs in a session of its own inside bubblewrap
    (``--new-session``): its session id is not the launcher's, but it stays a descendant of it (orphans
    are adopted by the sandbox's own init, itself a descendant).
    """
    table = processes()
    counted = _below([stat for stat in table if stat.session == sid or stat.pid == sid], table)
    if not counted:
        return None
    return sum(stat.cpu_ticks for stat in counted.values()) / CLOCK_TICKS

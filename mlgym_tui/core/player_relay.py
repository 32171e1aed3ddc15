"""The host's side of a judge's channel to its players: pipes to the judge, bytes relayed to and from the
sandboxed player processes, and the host's answers about them.

A judge may use up to :data:`PLAYER_SLOTS` player processes, one after another. Slot 0 is started before
the judge; slot ``k`` starts when the judge first writes to it, and only after every earlier player has
been killed, so a fresh player shares nothing with the ones before it (no process, no memory; what a
player writes does not outlive it, see :meth:`Runtime.start_player`). A judge that must ask something of
code that has seen nothing of the evaluation so far (languageModelingFineWeb audits a model's claims with
the next token withheld) opens the next slot.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable

from mlgym_tui.core.runtime.base import PlayerProcess

PLAYER_SLOTS = 2
"""Player processes one evaluation may start, one after another."""


class PlayerRelay:
    """Pipes for the judge (``judge_env()`` names them, ``judge_fds`` are passed to it) and threads that
    relay each slot's bytes to its player; ``start`` begins relaying once the judge is running."""

    def __init__(self, start_player: Callable[[], PlayerProcess], slots: int = PLAYER_SLOTS) -> None:
        first = start_player()
        self._start_player = start_player
        self._lock = threading.Lock()
        self._players: list[PlayerProcess | None] = [first, *[None] * (slots - 1)]
        self._stops = [threading.Event() for _ in range(slots)]
        self._threads: list[threading.Thread] = []
        self._relays: dict[int, threading.Thread] = {}  # per slot: the thread reading its player
        self._tails: list[str] = []
        self._judge_ends: list[int] = []
        self._host_ends: list[tuple[int, int]] = []  # per slot: (read what the judge sends, write to the judge)
        for _ in range(slots):
            judge_reads, host_writes = os.pipe()
            host_reads, judge_writes = os.pipe()
            self._judge_ends += [judge_reads, judge_writes]
            self._host_ends.append((host_reads, host_writes))
        self._closed: set[int] = set()
        self._fd_lock = threading.Lock()
        self._control_in, self._judge_asks = os.pipe()
        self._judge_hears, self._control_out = os.pipe()
        self._judge_ends += [self._judge_hears, self._judge_asks]
        self._started = False
        self._current: PlayerProcess | None = first

    @property
    def judge_fds(self) -> tuple[int, ...]:
        return tuple(self._judge_ends)

    def judge_env(self) -> dict[str, str]:
        """``MLGYM_PLAYER_FDS`` ("read,write" per slot, ";" between slots) and ``MLGYM_HOST_FDS``."""
        ends = self._judge_ends
        slots = ";".join(f"{ends[2 * k]},{ends[2 * k + 1]}" for k in range(len(self._players)))
        return {"MLGYM_PLAYER_FDS": slots, "MLGYM_HOST_FDS": f"{self._judge_hears},{self._judge_asks}"}

    def start(self) -> None:
        """Close the judge's ends here (the judge has its copies) and start relaying."""
        for fd in self._judge_ends:
            os.close(fd)
        self._judge_ends = []
        self._started = True
        targets: list[tuple[Callable[..., None], tuple[object, ...]]] = [(self._serve_control, ())]
        targets += [(self._to_player, (k,)) for k in range(len(self._players))]
        for target, args in targets:
            self._spawn(target, args)
        self._relays[0] = self._spawn(self._to_judge, (0,))

    def _spawn(self, target: Callable[..., None], args: tuple[object, ...]) -> threading.Thread:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()
        return thread

    def _open_slot(self, slot: int) -> PlayerProcess | None:
        """The player of ``slot``, started (after every other one is gone) on first use; None if it could
        not start (the judge then sees its channel close)."""
        with self._lock:
            player = self._players[slot]
            if player is not None:
                return player
            for other in range(len(self._players)):
                self._end(other)
            try:
                player = self._start_player()
            except Exception as exc:  # noqa: BLE001 - reported to the judge as a closed channel
                self._tails.append(f"a fresh player could not start: {type(exc).__name__}: {exc}")
                self._close_once(self._host_ends[slot][1])
                return None
            self._players[slot] = self._current = player
            self._relays[slot] = self._spawn(self._to_judge, (slot,))
        return player

    def _end(self, slot: int) -> None:
        """Kill the player of ``slot`` if it runs; keep its stderr tail.

        Its relay thread stops first: a thread still reading the player while it is closed could read a
        descriptor number that the next player's pipes reuse, and hand that player's reply to the wrong
        slot."""
        player = self._players[slot]
        if player is None or self._stops[slot].is_set():
            return
        self._stops[slot].set()
        relay = self._relays.get(slot)
        if relay is not None and relay is not threading.current_thread():
            relay.join(timeout=5)  # it checks the stop flag at least every 0.2 s
        player.close()
        self._tails.append(player.stderr_tail())
        if self._current is player:
            self._current = None

    def _to_player(self, slot: int) -> None:
        source = self._host_ends[slot][0]
        player: PlayerProcess | None = self._players[slot]
        while True:
            try:
                chunk = os.read(source, 1 << 20)
            except OSError:
                chunk = b""
            if not chunk:
                if player is not None:
                    player.close_input()
                return
            if player is None:
                player = self._open_slot(slot)
                if player is None:
                    return
            if not self._stops[slot].is_set():
                player.send(chunk)

    def _to_judge(self, slot: int) -> None:
        player = self._players[slot]
        sink = self._host_ends[slot][1]
        stop = self._stops[slot]
        assert player is not None
        try:
            while not stop.is_set():
                chunk = player.recv(0.2)
                if chunk is None:
                    continue
                if chunk == b"":
                    return
                view = memoryview(chunk)
                while view:
                    written = os.write(sink, view)
                    view = view[written:]
        except OSError:
            return  # the judge is gone
        finally:
            self._close_once(sink)

    def _close_once(self, fd: int) -> None:
        """Close one of the host's pipe ends, never twice (the number may be reused meanwhile)."""
        with self._fd_lock:
            if fd in self._closed:
                return
            self._closed.add(fd)
        with contextlib.suppress(OSError):
            os.close(fd)

    def _serve_control(self) -> None:
        """Answer the judge's questions that only the host can answer truthfully: one line ``cpu`` -> one
        line with the current player's CPU seconds (or ``null``)."""
        with os.fdopen(self._control_in, "rb") as reader, os.fdopen(self._control_out, "wb") as writer:
            for line in reader:
                player = self._current
                answer = player.cpu_seconds() if line.strip() == b"cpu" and player is not None else None
                try:
                    writer.write(f"{'null' if answer is None else repr(answer)}\n".encode())
                    writer.flush()
                except OSError:
                    return

    def close(self) -> str:
        """Kill every player, stop relaying; the players' stderr tails, oldest first."""
        if not self._started:  # the judge never ran: nobody else holds these
            for fd in [*self._judge_ends, self._control_in, self._control_out]:
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._judge_ends = []
        with self._lock:
            for slot in range(len(self._players)):
                self._end(slot)
        for thread in self._threads:
            thread.join(timeout=5)
        for reads, writes in self._host_ends:
            self._close_once(reads)
            self._close_once(writes)
        return "\n".join(tail for tail in self._tails if tail)

"""The narrow channel between a task's judge (its evaluate.py) and its player (the agent's code).

Imported by task scripts, never by mlgym-tui itself: the judge runs in a trusted process that alone sees
the private data; the player runs the agent's code in the agent's sandbox, without it. They exchange
messages, one request and one reply at a time:

    judge                                   player (player.py)
    player = open_player()                  serve(handle)        # handle(request) -> reply
    reply = player.ask({"op": ...})   --->  reply = handle(request)
                                      <---

A message is a dict of JSON values and numpy arrays. On the wire: one JSON line (arrays replaced by
``{"__array__": i}`` and described in ``"__arrays__"``), then the arrays' raw bytes. Nothing is
unpickled and every size is checked, so a player can send nothing but data; the judge still checks
every value it uses.

Where it is wired (``validate`` / ``submit``), mlgym-tui starts the player through the runtime and hands
the judge two pipe ends per player slot in ``$MLGYM_PLAYER_FDS`` ("read,write;read,write"): slot 0 is
the player started with the judge, slot 1 a fresh process started on first use (see :func:`open_player`). Run by hand (``python evaluate.py``
in the workspace), :func:`open_player` starts ``player.py`` from the judge's folder itself.

The player's stdout is the channel: :func:`serve` moves it aside before the agent's code is imported, so
a ``print`` in that code goes to stderr instead of corrupting (or forging) a reply.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, Protocol

MAX_LINE = 64 << 20
"""Longest JSON line accepted (bytes)."""
MAX_ARRAY_BYTES = 1 << 30
"""Most array bytes accepted in one message."""
_DTYPES = {"bool", "uint8", "int8", "int16", "int32", "int64", "uint16", "uint32", "uint64", "float16", "float32",
           "float64"}


class ChannelError(Exception):
    """The other side broke the protocol, went away, or (player side) answered with an error."""


class PlayerError(ChannelError):
    """The player raised an exception while answering; ``detail`` is its text (may carry anything the
    player saw, so a judge with hidden inputs should not print it)."""

    def __init__(self, detail: str) -> None:
        super().__init__("the player raised an exception")
        self.detail = detail


def _encode(message: dict[str, Any]) -> bytes:
    arrays: list[Any] = []
    described: list[dict[str, Any]] = []

    def walk(value: Any) -> Any:
        if type(value).__module__ == "numpy" and hasattr(value, "dtype") and hasattr(value, "shape"):
            import numpy as np

            array = np.ascontiguousarray(value)
            described.append({"dtype": array.dtype.name, "shape": list(array.shape)})
            arrays.append(array)
            return {"__array__": len(arrays) - 1}
        if isinstance(value, dict):
            return {str(k): walk(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [walk(v) for v in value]
        if type(value).__module__ == "numpy":  # numpy scalars
            return value.item()
        return value

    body = walk(message)
    if described:
        body["__arrays__"] = described
    head = json.dumps(body, separators=(",", ":"), allow_nan=False).encode() + b"\n"
    return head + b"".join(a.tobytes() for a in arrays)


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    chunks = []
    while size > 0:
        chunk = stream.read(min(size, 1 << 20))
        if not chunk:
            raise ChannelError("the channel closed in the middle of a message")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _decode(stream: BinaryIO) -> dict[str, Any] | None:
    """The next message, or None at a clean end of stream."""
    line = stream.readline(MAX_LINE + 1)
    if not line:
        return None
    if len(line) > MAX_LINE or not line.endswith(b"\n"):
        raise ChannelError("a message line is too long or cut off")
    try:
        body = json.loads(line)
    except ValueError as exc:
        raise ChannelError(f"a message is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ChannelError("a message is not a JSON object")
    described = body.pop("__arrays__", [])
    arrays = []
    if described:
        import numpy as np

        if not isinstance(described, list):
            raise ChannelError("bad array description")
        total = 0
        for spec in described:
            try:
                dtype, shape = spec["dtype"], [int(n) for n in spec["shape"]]
            except (KeyError, TypeError, ValueError):
                raise ChannelError("bad array description") from None
            if dtype not in _DTYPES or any(n < 0 for n in shape) or len(shape) > 8:
                raise ChannelError(f"array of dtype {dtype!r} and shape {shape} not accepted")
            count = 1
            for n in shape:
                count *= n
            size = count * np.dtype(dtype).itemsize
            total += size
            if total > MAX_ARRAY_BYTES:
                raise ChannelError("a message's arrays are too large")
            arrays.append(np.frombuffer(_read_exactly(stream, size), dtype=dtype).reshape(shape))

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"__array__"}:
                index = value["__array__"]
                if not isinstance(index, int) or not 0 <= index < len(arrays):
                    raise ChannelError("a message refers to a missing array")
                return arrays[index]
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return walk(body)


class Player:
    """The judge's handle on its player."""

    def __init__(self, reader: BinaryIO, writer: BinaryIO, process: subprocess.Popen[bytes] | None = None):
        self._reader = reader
        self._writer = writer
        self._process = process
        self._host: tuple[BinaryIO, BinaryIO] | None = None

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        """Send ``request``, return the player's reply; ChannelError if it broke, PlayerError if its
        code raised."""
        try:
            self._writer.write(_encode(request))
            self._writer.flush()
        except (BrokenPipeError, OSError):
            raise ChannelError("the player exited before the evaluation was done") from None
        reply = _decode(self._reader)
        if reply is None:
            raise ChannelError("the player exited before the evaluation was done")
        if "__error__" in reply:
            raise PlayerError(str(reply["__error__"]))
        return reply

    def cpu_seconds(self) -> float | None:
        """CPU seconds the player used so far, measured outside it (by mlgym-tui where it started the
        player, from /proc where this judge did); None where that cannot be told."""
        fds = os.environ.get("MLGYM_HOST_FDS")
        if fds and self._process is None:
            if self._host is None:
                read_fd, write_fd = (int(x) for x in fds.split(","))
                self._host = (os.fdopen(read_fd, "rb"), os.fdopen(write_fd, "wb"))
            self._host[1].write(b"cpu\n")
            self._host[1].flush()
            answer = self._host[0].readline().strip()
            return None if answer in (b"", b"null") else float(answer)
        if self._process is None:
            return None
        try:
            with open(f"/proc/{self._process.pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")
        except OSError:
            return None

    def close(self) -> None:
        for stream in (self._writer, self._reader):
            try:
                stream.close()
            except OSError:
                pass
        if self._process is not None:
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()

    def __enter__(self) -> Player:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_player(script: str = "player.py", slot: int = 0) -> Player:
    """The player this evaluation talks to: the one mlgym-tui started (``$MLGYM_PLAYER_FDS``), or, run by
    hand, ``script`` from this judge's folder started here, in the current folder.

    ``slot`` 1 (and up, as far as ``$MLGYM_PLAYER_FDS`` lists slots) is a fresh player process: mlgym-tui
    starts it when the judge first writes to it, after killing every earlier player, so it has seen nothing
    the earlier ones were sent. Close the earlier player before. Run by hand, every call starts a new one.
    """
    fds = os.environ.get("MLGYM_PLAYER_FDS")
    if fds:
        slots = fds.split(";")
        if not 0 <= slot < len(slots):
            raise ChannelError(f"this evaluation has {len(slots)} player slot(s), not slot {slot}")
        read_fd, write_fd = (int(x) for x in slots[slot].split(","))
        return Player(os.fdopen(read_fd, "rb"), os.fdopen(write_fd, "wb"))
    here = Path(sys.argv[0]).resolve().parent
    env = {k: v for k, v in os.environ.items() if k != "MLGYM_PRIVATE_DATA"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parent),
                                                      env.get("PYTHONPATH", "")]))
    process = subprocess.Popen([sys.executable, str(here / script)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, env=env)
    assert process.stdin is not None and process.stdout is not None
    return Player(process.stdout, process.stdin, process)


def serve(handle: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """Answer the judge's requests until it closes the channel (player side).

    Call this before importing the agent's code — or at least call :func:`claim_stdout` first — so
    nothing that code prints lands on the channel. An exception in ``handle`` is sent back as an error
    reply (the judge decides what it means) and the loop goes on.
    """
    reader, writer = claim_stdout()
    while True:
        request = _decode(reader)
        if request is None:
            return
        try:
            data = _encode(handle(request))
        except Exception as exc:  # noqa: BLE001 - the agent's code may raise anything
            data = _encode({"__error__": f"{type(exc).__name__}: {exc}"[:2000]})
        writer.write(data)
        writer.flush()


_claimed: tuple[BinaryIO, BinaryIO] | None = None


def claim_stdout() -> tuple[BinaryIO, BinaryIO]:
    """Take stdin and stdout for the channel and point file descriptor 1 (and ``sys.stdout``) at stderr,
    so ordinary output of the agent's code goes to stderr. Idempotent."""
    global _claimed
    if _claimed is None:
        channel_out = os.dup(1)
        os.dup2(2, 1)
        sys.stdout = sys.stderr
        channel_in = os.dup(0)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        sys.stdin = open(os.devnull)  # noqa: SIM115 - lives as long as the process
        _claimed = (os.fdopen(channel_in, "rb"), os.fdopen(channel_out, "wb"))
    return _claimed


def load_function(path: Path, name: str) -> Callable[..., Any]:
    """``name`` from the agent's file ``path``, loaded by path (player side). Raises RuntimeError with a
    message fit for the agent when the file is missing, fails to import or lacks the function."""
    import importlib.util

    if not path.is_file():
        raise RuntimeError(f"{path.name} not found in the workspace; submit a file defining {name}")
    sys.path.insert(0, str(path.parent))  # the agent's helpers next to it
    spec = importlib.util.spec_from_file_location(f"submitted_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - any failure of the submission is reported, not raised
        raise RuntimeError(f"importing {path.name} failed: {type(exc).__name__}: {exc}") from None
    fn = getattr(module, name, None)
    if not callable(fn):
        raise RuntimeError(f"{path.name} does not define a function {name}")
    return fn


class MatchRandom:
    """One ``random.Random`` per match, swapped in as the ``random`` module's functions while that
    match's code runs: many matches played in lockstep each draw from their own seeded stream, as if
    played one after another (cheaper than ``getstate``/``setstate`` on every call)."""

    _NAMES = ("random", "uniform", "triangular", "randint", "choice", "randrange", "sample", "shuffle",
              "choices", "normalvariate", "lognormvariate", "expovariate", "vonmisesvariate",
              "gammavariate", "gauss", "betavariate", "paretovariate", "weibullvariate", "getrandbits",
              "randbytes", "seed", "getstate", "setstate")

    def __init__(self, seeds: list[int]) -> None:
        import random

        self._module = random
        self._streams = [random.Random(seed) for seed in seeds]

    def use(self, match: int) -> None:
        stream = self._streams[match]
        for name in self._NAMES:
            if hasattr(stream, name):
                setattr(self._module, name, getattr(stream, name))


def serve_match_player(path: Path, name: str) -> None:
    """Player side of the repeated-game tasks: ``name(history)`` from ``path`` plays many matches in
    lockstep. The judge sends ``{"op": "start", "seeds": [...]}`` (one match each; Python's ``random`` is
    seeded per match, so a strategy that uses it plays deterministically), then per round
    ``{"op": "move", "append": [[row, col], ...] or None}`` (the moves the judge recorded last round);
    the reply is ``{"moves": [...]}``. The history a strategy sees is ``[(own, other), ...]``."""
    claim_stdout()
    try:
        fn: Callable[..., Any] | None = load_function(path, name)
        load_error = ""
    except RuntimeError as exc:
        fn, load_error = None, str(exc)
    histories: list[list[tuple[Any, Any]]] = []
    streams: list[MatchRandom] = []

    def handle(request: dict[str, Any]) -> dict[str, Any]:
        if fn is None:
            raise RuntimeError(load_error)
        if request.get("op") == "start":
            histories[:] = [[] for _ in request["seeds"]]
            streams[:] = [MatchRandom(list(request["seeds"]))]
            return {}
        moves = []
        for m, history in enumerate(histories):
            if request.get("append"):
                a, b = request["append"][m]
                history.append((a, b))
            streams[0].use(m)
            view = ([(list(a), list(b)) for a, b in history] if history and isinstance(history[0][0], list)
                    else list(history))
            try:
                move = fn(view)
                moves.append(move.tolist() if hasattr(move, "tolist") else move)
            except Exception as exc:  # noqa: BLE001
                raise RuntimeError(f"{name} raised {type(exc).__name__}: {exc} (match {m + 1}, "
                                   f"round {len(history) + 1})") from None
        return {"moves": moves}

    serve(handle)


def play_matches(
    player: Player,
    matches: list[tuple[Callable[[list[Any]], Any], int]],
    rounds: int,
    check: Callable[[Any], Any],
    payoff: Callable[[Any, Any], float],
) -> list[float]:
    """Judge side of the repeated-game tasks: play every (opponent, seed) match for ``rounds`` rounds in
    lockstep against the player (see :func:`serve_match_player`); returns each match's mean row payoff.

    ``check(move)`` returns the move as the judge records it or raises ValueError with the reason; the
    opponent sees the history from its own side, with Python's ``random`` seeded per match (its own
    stream, apart from the player's). ChannelError / PlayerError / ValueError propagate to the judge.
    """
    player.ask({"op": "start", "seeds": [seed for _, seed in matches]})
    views: list[list[tuple[Any, Any]]] = [[] for _ in matches]  # each opponent's side of its match
    streams = MatchRandom([seed for _, seed in matches])
    totals = [0.0] * len(matches)
    append: list[list[Any]] | None = None
    for rnd in range(rounds):
        moves = player.ask({"op": "move", "append": append}).get("moves")
        if not isinstance(moves, list) or len(moves) != len(matches):
            raise ChannelError("the player answered with the wrong number of moves")
        append = []
        for m, ((opponent, _), view) in enumerate(zip(matches, views, strict=True)):
            try:
                row = check(moves[m])
            except ValueError as exc:
                raise ValueError(f"{exc} (round {rnd + 1} against {opponent.__name__})") from None
            streams.use(m)
            copy = [(list(c), list(r)) for c, r in view] if isinstance(row, list) else list(view)
            col = opponent(copy)
            totals[m] += payoff(row, col)
            view.append((col, row))
            append.append([row, col])
    return [t / rounds for t in totals]


class LockstepEnv(Protocol):
    """What :func:`play_episodes` steps: a batch of episodes the judge owns (its environments, seeds and
    random keys). ``reset`` and ``step`` return the next request's fields for the player: ``"obs"`` (one
    row per episode) and whatever else the player needs (e.g. ``"keys"``, the policy's random keys)."""

    def reset(self) -> dict[str, Any]: ...

    def step(self, actions: Any) -> tuple[dict[str, Any], Any, Any]:
        """Step every episode with its action; returns (next request fields, rewards, ended)."""
        ...


def check_discrete_actions(value: Any, count: int, num_actions: int, running: Any) -> Any:
    """The player's ``actions`` as int32, or ValueError with the reason: an integer array of ``count``
    entries, each in ``0..num_actions - 1`` where its episode is still running (a finished episode's action
    is never used)."""
    import numpy as np

    if type(value).__module__ != "numpy" or not hasattr(value, "dtype"):
        raise ValueError("the player answered without an array of actions")
    if value.dtype.kind not in "iu":
        raise ValueError(f"act must return one integer action, got {value.dtype}")
    if value.shape != (count,):
        raise ValueError(f"the player answered with actions of shape {tuple(value.shape)}, not ({count},)")
    bad = running & ((value < 0) | (value >= num_actions))
    if bad.any():
        raise ValueError(f"act returned an action outside 0..{num_actions - 1} "
                         f"({int(value[bad][0])} in episode {int(np.flatnonzero(bad)[0]) + 1})")
    return np.clip(value, 0, num_actions - 1).astype(np.int32)


def play_episodes(player: Player, env: LockstepEnv, max_steps: int, num_actions: int) -> tuple[Any, int]:
    """Judge side of the discrete-action RL tasks: run every episode of ``env`` in lockstep, one request
    to the player per step for all of them (``{"op": "act", "obs": ..., ...}`` -> ``{"actions": ...}``),
    until every episode ended or ``max_steps`` steps. An episode's return is the sum of its rewards up to
    and including the step it ended on; the judge alone counts it. Returns (float32 returns, steps).
    ChannelError / PlayerError / ValueError propagate to the judge."""
    import numpy as np

    request = env.reset()
    count = len(request["obs"])
    returns = np.zeros(count, np.float32)
    done = np.zeros(count, bool)
    steps = 0
    while steps < max_steps and not done.all():
        reply = player.ask({"op": "act", **request})
        actions = check_discrete_actions(reply.get("actions"), count, num_actions, ~done)
        request, rewards, ended = env.step(actions)
        returns += np.where(done, np.float32(0), np.asarray(rewards, np.float32))
        done |= np.asarray(ended, bool)
        steps += 1
    return returns, steps

"""Times your ``heuristic_fn`` (``heuristic.py``) with the DPLL solver in ``solver.py``.

Sends every test instance (from ``$MLGYM_PRIVATE_DATA/test``; run by hand, the public ``data/train``
instances) to ``player.py``, which solves it with your heuristic in its own sandboxed process, and prints
one JSON object: {"Time": CPU seconds the player spent answering all instances (measured outside the
player: by mlgym-tui from the kernel's accounting, or here from /proc when run by hand), "Correct":
instances answered correctly, "Incorrect": 0}. Each answer is checked here: a model must
satisfy every clause, "unsatisfiable" is confirmed with python-sat's CaDiCaL. A wrong answer, a bad
decision or an exception makes the evaluation exit 1 with the reason on stderr. On the hidden instances
the reason does not repeat what the heuristic said (it saw the instance): run ``python evaluate.py`` to
see it on the public ones.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from mlgym_channel import ChannelError, PlayerError, open_player
from pysat.solvers import Solver as ReferenceSolver
from solver import read_dimacs  # the task's own solver module (this script's folder)


def fail(message: str) -> None:
    sys.exit(f"evaluation: {message}")


def instance_folder() -> tuple[Path, bool]:
    private = os.environ.get("MLGYM_PRIVATE_DATA")
    if private:
        return Path(private) / "test", True
    print("evaluation: MLGYM_PRIVATE_DATA is not set; timing the public data/train instances instead",
          file=sys.stderr)
    return Path.cwd() / "data" / "train", False


def check(reply: dict, num_vars: int, clauses: list, name: str) -> None:
    satisfiable = reply.get("sat")
    if not isinstance(satisfiable, bool):
        fail(f"the player's answer on {name} is not a yes/no")
    if satisfiable:
        model = reply.get("model")
        if not isinstance(model, list) or len(model) != num_vars or not all(isinstance(v, bool) for v in model):
            fail(f"the player's model for {name} is not {num_vars} booleans")
        if not all(any(model[abs(x) - 1] == (x > 0) for x in clause) for clause in clauses):
            fail(f"wrong answer on {name}: the returned model violates a clause")
    else:
        with ReferenceSolver(name="cadical153", bootstrap_with=clauses) as reference:
            if reference.solve():
                fail(f"wrong answer on {name}: reported unsatisfiable, but it is satisfiable")


def main() -> None:
    folder, hidden = instance_folder()
    files = sorted(folder.glob("*.cnf"))
    if not files:
        fail(f"no instances found in {folder}")
    with open_player() as player:
        try:
            player.ask({"op": "load"})  # before any instance: its errors are safe to show
        except PlayerError as exc:
            fail(exc.detail)
        except ChannelError as exc:
            fail(str(exc))
        cpu_start, wall_start = player.cpu_seconds(), time.perf_counter()
        for i, path in enumerate(files):
            name = f"hidden instance {i + 1}" if hidden else path.name
            num_vars, clauses = read_dimacs(path.read_text())
            try:
                reply = player.ask({"op": "solve", "index": i, "num_vars": num_vars, "clauses": clauses})
            except PlayerError as exc:
                fail(f"the heuristic failed on {name}" + ("; run `python evaluate.py` to see the error on the "
                                                          "public instances" if hidden else f": {exc.detail}"))
            except ChannelError as exc:
                fail(f"{exc} ({name})")
            check(reply, num_vars, clauses, name)
        cpu_end = player.cpu_seconds()
    if cpu_start is None or cpu_end is None:
        print("evaluation: the player's CPU time cannot be measured here; reporting wall-clock time",
              file=sys.stderr)
        total = time.perf_counter() - wall_start
    else:
        total = cpu_end - cpu_start
    print(json.dumps({"Time": round(total, 3), "Correct": len(files), "Incorrect": 0}))


if __name__ == "__main__":
    main()

"""Times the DPLL solver in ``dpll.py`` with the branching heuristic in ``heuristic.py`` (current folder).

Solves every test instance (from ``$MLGYM_PRIVATE_DATA/test``; without it, the public ``data/train``
instances, with a note on stderr) and prints one JSON object: {"Time": CPU seconds over all instances,
"Decisions": literals tried, "Instances": count}. Each answer is checked: a claimed model must satisfy
every clause, a claimed "unsatisfiable" must be confirmed by python-sat's CaDiCaL. A wrong answer, a bad
literal or an exception makes the evaluation exit 1 with the reason on stderr.
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import sys
import time
from pathlib import Path

from dpll import BadLiteral, Solver, read_dimacs  # the task's own solver (this script's folder)
from pysat.solvers import Solver as ReferenceSolver

SEED = 7


def fail(message: str) -> None:
    sys.exit(f"evaluation: {message}")


def load_heuristic(path: Path):
    if not path.is_file():
        fail(f"{path.name} not found in {path.parent}; submit a file defining choose_literal")
    spec = importlib.util.spec_from_file_location("submitted_heuristic", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - any failure of the submission is reported, not raised
        fail(f"importing {path.name} failed: {type(exc).__name__}: {exc}")
    fn = getattr(module, "choose_literal", None)
    if not callable(fn):
        fail(f"{path.name} does not define a function choose_literal(clauses, assignment)")
    return fn


def instance_folder() -> Path:
    private = os.environ.get("MLGYM_PRIVATE_DATA")
    if private:
        return Path(private) / "test"
    print("evaluation: MLGYM_PRIVATE_DATA is not set; timing the public data/train instances instead",
          file=sys.stderr)
    return Path.cwd() / "data" / "train"


def main() -> None:
    heuristic = load_heuristic(Path.cwd() / "heuristic.py")
    files = sorted(instance_folder().glob("*.cnf"))
    if not files:
        fail(f"no instances found in {instance_folder()}")
    total_time = 0.0
    decisions = 0
    for i, path in enumerate(files):
        num_vars, clauses = read_dimacs(path.read_text())
        random.seed(SEED + i)  # a heuristic that uses `random` is timed deterministically
        solver = Solver(num_vars, [tuple(c) for c in clauses], heuristic)
        start = time.process_time()
        try:
            model = solver.solve()
        except BadLiteral as exc:
            fail(f"{exc} (instance {path.name})")
        except Exception as exc:  # noqa: BLE001
            fail(f"choose_literal raised {type(exc).__name__}: {exc} (instance {path.name})")
        total_time += time.process_time() - start
        decisions += solver.decisions
        if model is not None:
            broken = next((c for c in clauses if not any(model.get(abs(x)) == (x > 0) for x in c)), None)
            if broken is not None:
                fail(f"wrong answer on {path.name}: the returned model violates clause {broken}")
        else:
            with ReferenceSolver(name="cadical153", bootstrap_with=clauses) as reference:
                if reference.solve():
                    fail(f"wrong answer on {path.name}: reported unsatisfiable, but it is satisfiable")
    print(json.dumps({"Time": round(total_time, 3), "Decisions": decisions, "Instances": len(files)}))


if __name__ == "__main__":
    main()

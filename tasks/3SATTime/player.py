"""Runs your ``heuristic_fn`` for the evaluation, in the sandbox, without the hidden instances' answers.

The evaluation (``evaluate.py``) sends one instance at a time; this process solves it with the task's
DPLL solver (``solver.py``) and your heuristic and answers: satisfiable or not, and the model. The
evaluation times each answer and checks it. Python's ``random`` is seeded before each instance.
"""

import random
import sys
from pathlib import Path

from mlgym_channel import claim_stdout, load_function, serve

SEED = 7

if __name__ == "__main__":
    claim_stdout()
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # the task's solver, next to this file
    from solver import DPLL

    state = {}

    def handle(request):
        if request["op"] == "load":
            state["heuristic"] = load_function(Path.cwd() / "heuristic.py", "heuristic_fn")
            return {}
        random.seed(SEED + request["index"])
        solver = DPLL([tuple(c) for c in request["clauses"]], state["heuristic"], request["num_vars"])
        satisfiable = solver.solve()
        return {"sat": satisfiable, "model": solver.model() if satisfiable else None}

    serve(handle)

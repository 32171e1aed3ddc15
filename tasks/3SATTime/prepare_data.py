"""Random 3-SAT instances near the satisfiability phase transition, labelled with python-sat.

``prepare_data.py --out DIR [--full]`` writes DIR/public/train (instances the agent may benchmark on, with
their answers) and DIR/private/test (the instances the evaluation times; the agent never sees them).
Each clause has three distinct variables with random signs; clauses/variables = 4.26, where random
3-SAT is hardest and about half the instances are satisfiable. Every instance comes from its own fixed
seed, so the files are identical on every machine. ``--full`` makes larger instances (longer runs).
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from pysat.solvers import Solver

RATIO = 4.26
# (split, number of instances, variables, first seed); the test seeds never overlap the train seeds.
SPLITS = {
    False: [("public/train", 20, 90, 1_000), ("private/test", 20, 90, 2_000)],
    True: [("public/train", 20, 120, 1_000), ("private/test", 20, 120, 2_000)],
}


def random_3sat(num_vars: int, seed: int) -> list[list[int]]:
    rng = random.Random(seed)
    clauses = []
    for _ in range(round(RATIO * num_vars)):
        variables = rng.sample(range(1, num_vars + 1), 3)
        clauses.append([v if rng.random() < 0.5 else -v for v in variables])
    return clauses


def to_dimacs(num_vars: int, clauses: list[list[int]], comment: str) -> str:
    lines = [f"c {comment}", f"p cnf {num_vars} {len(clauses)}"]
    lines += [" ".join(map(str, clause)) + " 0" for clause in clauses]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--full", action="store_true", help="larger instances")
    args = parser.parse_args()
    for split, count, num_vars, first_seed in SPLITS[args.full]:
        folder = args.out / split
        folder.mkdir(parents=True)
        answers = {}
        for i in range(count):
            seed = first_seed + i
            clauses = random_3sat(num_vars, seed)
            name = f"uf{num_vars}-{seed}.cnf"
            (folder / name).write_text(to_dimacs(num_vars, clauses, f"random 3-SAT, seed {seed}, ratio {RATIO}"))
            with Solver(name="cadical153", bootstrap_with=clauses) as solver:
                answers[name] = "SAT" if solver.solve() else "UNSAT"
        (folder / "answers.json").write_text(json.dumps(answers, indent=1) + "\n")
        print(f"{split}: {count} instances, {sum(a == 'SAT' for a in answers.values())} satisfiable")


if __name__ == "__main__":
    main()

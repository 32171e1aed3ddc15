"""Your branching heuristic for the DPLL solver in ``solver.py``.

Edit ``heuristic_fn``. The solver calls it at every branch and tries the returned variable with the
returned value first, then the opposite value if that fails. Fewer, better choices mean less search and a
lower time. Keep the function name and signature: the evaluation calls it.
"""

from collections import Counter

# How much more an occurrence in a two-literal clause counts than one in a three-literal clause.
SHORT_CLAUSE_WEIGHT = 1.0


def heuristic_fn(clauses, assignments, conflict_count, assignment_history, level):
    """Pick the next decision: the literal occurring most often in the remaining clauses.

    clauses: the clauses not yet satisfied (tuples of non-zero ints, DIMACS style), with the literals
             the current assignment made false already removed (unit clauses are propagated first).
    assignments: dict variable -> bool of the variables assigned so far (do not change it).
    conflict_count: dict variable -> how many conflicts it took part in so far.
    assignment_history: the variables in the order they were assigned.
    level: one list of variables per decision level, the decided variable first.
    returns: (variable, value): an unassigned variable (a positive int) and the bool to try first;
             (None, True) gives up on this branch.
    """
    scores = Counter()
    for clause in clauses:
        weight = SHORT_CLAUSE_WEIGHT if len(clause) == 2 else 1.0
        for lit in clause:
            scores[lit] += weight
    if not scores:
        return None, True
    lit = max(scores, key=scores.__getitem__)
    return abs(lit), lit > 0

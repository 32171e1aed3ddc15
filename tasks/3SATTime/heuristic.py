"""Your branching heuristic for the DPLL solver in ``dpll.py``.

Edit ``choose_literal``. The solver calls it at every branch with the clauses that are not yet satisfied
(already simplified by the current partial assignment, unit clauses propagated) and that assignment; it
must return the literal to try first: a non-zero int whose variable is unassigned (3 sets x3 true first,
-3 sets it false first). The solver tries the negation if the first choice fails. Fewer, better choices
mean less search and a lower time. Keep the function name and signature: the evaluation imports it.
"""

from collections import Counter

# How much more an occurrence in a two-literal clause counts than one in a three-literal clause.
SHORT_CLAUSE_WEIGHT = 1.0


def choose_literal(clauses: list[tuple[int, ...]], assignment) -> int:
    """The literal occurring most often in the remaining clauses (short clauses weighted).

    clauses: the unsatisfied clauses, each a tuple of non-zero ints (DIMACS style).
    assignment: read-only mapping variable -> bool of the variables assigned so far.
    returns: a literal whose variable is unassigned.
    """
    scores: Counter[int] = Counter()
    for clause in clauses:
        weight = SHORT_CLAUSE_WEIGHT if len(clause) == 2 else 1.0
        for lit in clause:
            scores[lit] += weight
    return max(scores, key=scores.__getitem__)

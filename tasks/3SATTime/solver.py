"""The DPLL SAT solver the evaluation uses (read-only). ``heuristic.py`` decides where it branches.

Clauses are lists of non-zero ints in DIMACS style (3 means x3, -3 means not x3). At every branch the
solver first applies unit propagation, then asks ``heuristic_fn`` for a variable and the value to try
first, tries it and, if that fails, the opposite value. Each call of the heuristic counts as one decision.

The solver keeps the state the heuristic receives (MLGym's ``heuristic_fn`` signature):
``assignments`` (variable -> bool), ``conflict_count`` (variable -> conflicts it took part in),
``assignment_history`` (variables in the order they were assigned) and ``level`` (one list of variables
per decision level, the decided variable first).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Clause = tuple[int, ...]
Heuristic = Callable[..., tuple[Any, Any]]


class BadDecision(Exception):
    """The heuristic returned something the solver cannot branch on."""


def read_dimacs(text: str) -> tuple[int, list[Clause]]:
    """(number of variables, clauses) of a DIMACS CNF file's text."""
    num_vars = 0
    clauses: list[Clause] = []
    current: list[int] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "c%":
            continue
        if line[0] == "p":
            num_vars = int(line.split()[2])
            continue
        for token in line.split():
            lit = int(token)
            if lit == 0:
                clauses.append(tuple(current))
                current = []
            else:
                current.append(lit)
    return num_vars, clauses


def _assign(clauses: list[Clause], lit: int) -> list[Clause] | None:
    """The clauses with ``lit`` made true: satisfied ones dropped, ``-lit`` removed; None on a conflict."""
    neg = -lit
    out = []
    for clause in clauses:
        if lit in clause:
            continue
        if neg in clause:
            clause = tuple(x for x in clause if x != neg)
            if not clause:
                return None
        out.append(clause)
    return out


class DPLL:
    """One DPLL search over one formula: ``DPLL(clauses, heuristic_fn).solve()`` -> satisfiable?"""

    def __init__(self, clauses: list[Clause], heuristic_function: Heuristic, num_vars: int | None = None):
        self.clauses = [tuple(c) for c in clauses]
        self.heuristic_function = heuristic_function
        self.num_vars = num_vars or max((abs(x) for c in self.clauses for x in c), default=0)
        self.assignments: dict[int, bool] = {}
        self.conflict_count: dict[int, int] = {}
        self.assignment_history: list[int] = []
        self.level: list[list[int]] = []
        self.num_decisions = 0

    def solve(self) -> bool:
        """Whether the formula is satisfiable; when it is, :meth:`model` is a satisfying assignment."""
        return self._search(list(self.clauses), [])

    def model(self) -> list[bool]:
        """The value of every variable 1..num_vars (unassigned ones: True) after a successful solve."""
        return [self.assignments.get(v, True) for v in range(1, self.num_vars + 1)]

    def _set(self, var: int, value: bool, frame: list[int]) -> None:
        self.assignments[var] = value
        self.assignment_history.append(var)
        frame.append(var)

    def _undo(self, frame: list[int]) -> None:
        for var in reversed(frame):
            del self.assignments[var]
            self.assignment_history.pop()
        frame.clear()

    def _conflict(self, var: int) -> None:
        self.conflict_count[var] = self.conflict_count.get(var, 0) + 1

    def _propagate(self, clauses: list[Clause], frame: list[int]) -> list[Clause] | None:
        while True:
            unit = next((c[0] for c in clauses if len(c) == 1), None)
            if unit is None:
                return clauses
            self._set(abs(unit), unit > 0, frame)
            reduced = _assign(clauses, unit)
            if reduced is None:
                self._conflict(abs(unit))
                return None
            clauses = reduced

    def _decide(self, clauses: list[Clause]) -> tuple[int, bool] | None:
        variable, value = self.heuristic_function(
            clauses, self.assignments, self.conflict_count, self.assignment_history, self.level
        )
        self.num_decisions += 1
        if variable is None:
            return None
        if isinstance(variable, bool) or not isinstance(variable, int) or not 1 <= variable <= self.num_vars:
            raise BadDecision(f"heuristic_fn returned variable {variable!r}; it must be an int between 1 and "
                              f"{self.num_vars}")
        if variable in self.assignments:
            raise BadDecision(f"heuristic_fn returned variable {variable}, which is already assigned")
        if not isinstance(value, bool):
            raise BadDecision(f"heuristic_fn returned value {value!r}; it must be True or False")
        return variable, value

    def _search(self, clauses: list[Clause], frame: list[int]) -> bool:
        reduced = self._propagate(clauses, frame)
        if reduced is not None:
            if not reduced:
                return True
            decision = self._decide(reduced)
            if decision is not None:
                variable, value = decision
                for branch in (value, not value):
                    lit = variable if branch else -variable
                    inner: list[int] = []
                    self.level.append(inner)
                    self._set(variable, branch, inner)
                    after = _assign(reduced, lit)
                    if after is None:
                        self._conflict(variable)
                    elif self._search(after, inner):
                        return True
                    self._undo(inner)
                    self.level.pop()
        self._undo(frame)
        return False

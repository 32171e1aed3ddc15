"""The DPLL SAT solver the evaluation uses (read-only). ``heuristic.py`` decides where it branches.

Clauses are tuples of non-zero ints in DIMACS style (3 means x3, -3 means not x3). At every branch the
solver first applies unit propagation, then asks the heuristic for a literal, tries it and, if that fails,
its negation. Each literal tried counts as one decision.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

Clause = tuple[int, ...]
Heuristic = Callable[[list[Clause], Mapping[int, bool]], int]


class BadLiteral(Exception):
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


class Solver:
    """One DPLL search over one formula."""

    def __init__(self, num_vars: int, clauses: list[Clause], heuristic: Heuristic) -> None:
        self.num_vars = num_vars
        self.clauses = clauses
        self.heuristic = heuristic
        self.assignment: dict[int, bool] = {}
        self.decisions = 0

    def solve(self) -> dict[int, bool] | None:
        """A satisfying assignment of every variable, or None when the formula is unsatisfiable."""
        if not self._search(list(self.clauses)):
            return None
        return {v: self.assignment.get(v, True) for v in range(1, self.num_vars + 1)}

    def _propagate(self, clauses: list[Clause], trail: list[int]) -> list[Clause] | None:
        while True:
            unit = next((c[0] for c in clauses if len(c) == 1), None)
            if unit is None:
                return clauses
            self.assignment[abs(unit)] = unit > 0
            trail.append(abs(unit))
            reduced = _assign(clauses, unit)
            if reduced is None:
                return None
            clauses = reduced

    def _choose(self, clauses: list[Clause]) -> int:
        lit = self.heuristic(clauses, MappingProxyType(self.assignment))
        if isinstance(lit, bool) or not isinstance(lit, int) or lit == 0 or abs(lit) > self.num_vars:
            raise BadLiteral(f"choose_literal returned {lit!r}; it must be a non-zero int "
                             f"between -{self.num_vars} and {self.num_vars}")
        if abs(lit) in self.assignment:
            raise BadLiteral(f"choose_literal returned {lit}, but variable {abs(lit)} is already assigned")
        return lit

    def _search(self, clauses: list[Clause]) -> bool:
        trail: list[int] = []
        reduced = self._propagate(clauses, trail)
        if reduced is not None:
            if not reduced:
                return True
            lit = self._choose(reduced)
            for branch in (lit, -lit):
                self.decisions += 1
                self.assignment[abs(branch)] = branch > 0
                after = _assign(reduced, branch)
                if after is not None and self._search(after):
                    return True
                del self.assignment[abs(branch)]
        for var in trail:
            del self.assignment[var]
        return False

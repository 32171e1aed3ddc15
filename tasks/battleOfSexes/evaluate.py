"""Scores ``strategy.py`` (in the current folder) in the repeated Battle of the Sexes.

Plays ``row_strategy`` against a fixed pool of column players, many seeded matches each, and prints one
JSON object: {"Score": mean row payoff per round}. Every match seeds Python's ``random`` module, so a
strategy that uses it is scored deterministically. Errors (a missing file, an exception, an invalid move)
go to stderr with exit code 1.
"""

from __future__ import annotations

import importlib.util
import json
import random
import sys
from collections.abc import Callable
from pathlib import Path

# (row payoff, column payoff) for (row move, column move). Row prefers 0, column prefers 1.
PAYOFF = {(0, 0): (2, 1), (1, 1): (1, 2), (0, 1): (0, 0), (1, 0): (0, 0)}
ROUNDS = 50
MATCHES_PER_OPPONENT = 30
SEED = 31337

# Column players. Each sees the match from its own side: a list of (own_move, row_move) pairs.
History = list[tuple[int, int]]


def stubborn(history: History) -> int:
    return 1


def yielding(history: History) -> int:
    return 0


def follower(history: History) -> int:
    """Plays whatever the row player played last round (its own preference first)."""
    return history[-1][1] if history else 1


def win_stay_lose_shift(history: History) -> int:
    if not history:
        return 1
    own, other = history[-1]
    return own if own == other else 1 - own


def coin_flip(history: History) -> int:
    return random.randint(0, 1)


def biased(history: History) -> int:
    return 1 if random.random() < 0.8 else 0


def alternator(history: History) -> int:
    return 1 - len(history) % 2


def majority(history: History) -> int:
    """Plays the row player's most frequent move so far (ties: its own preference)."""
    zeros = sum(1 for _, other in history if other == 0)
    return 0 if zeros * 2 > len(history) else 1


def gives_in_to_resolve(history: History) -> int:
    """Insists on 1 unless the row player has held out with 0 for the last three rounds."""
    if len(history) >= 3 and all(other == 0 for _, other in history[-3:]):
        return 0
    return 1


def noisy_follower(history: History) -> int:
    if history and random.random() < 0.8:
        return history[-1][1]
    return random.randint(0, 1)


OPPONENTS: list[Callable[[History], int]] = [
    stubborn, yielding, follower, win_stay_lose_shift, coin_flip, biased, alternator, majority,
    gives_in_to_resolve, noisy_follower,
]


def load_strategy(path: Path) -> Callable[[History], int]:
    if not path.is_file():
        sys.exit(f"evaluation: {path.name} not found in {path.parent}; submit a file defining row_strategy")
    spec = importlib.util.spec_from_file_location("submitted_strategy", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - any failure of the submission is reported, not raised
        sys.exit(f"evaluation: importing {path.name} failed: {type(exc).__name__}: {exc}")
    fn = getattr(module, "row_strategy", None)
    if not callable(fn):
        sys.exit(f"evaluation: {path.name} does not define a function row_strategy(history)")
    return fn


def play_match(row_strategy: Callable[[History], int], opponent: Callable[[History], int], seed: int) -> float:
    """Mean row payoff per round over one match."""
    random.seed(seed)
    history: History = []
    total = 0
    for rnd in range(ROUNDS):
        try:
            row = row_strategy(list(history))
        except Exception as exc:  # noqa: BLE001
            sys.exit(f"evaluation: row_strategy raised {type(exc).__name__}: {exc} "
                     f"(round {rnd + 1} against {opponent.__name__})")
        if isinstance(row, bool) or row not in (0, 1):
            sys.exit(f"evaluation: row_strategy returned {row!r} in round {rnd + 1} against "
                     f"{opponent.__name__}; it must return 0 or 1")
        col = opponent([(c, r) for r, c in history])
        total += PAYOFF[(row, col)][0]
        history.append((int(row), col))
    return total / ROUNDS


def main() -> None:
    row_strategy = load_strategy(Path.cwd() / "strategy.py")
    scores = [
        play_match(row_strategy, opponent, SEED + 1000 * i + m)
        for i, opponent in enumerate(OPPONENTS)
        for m in range(MATCHES_PER_OPPONENT)
    ]
    print(json.dumps({"Score": round(sum(scores) / len(scores), 6)}))


if __name__ == "__main__":
    main()

"""Scores ``strategy.py`` (in the current folder) in the iterated Prisoner's Dilemma.

Plays ``row_strategy`` against a fixed pool of opponents, many seeded matches each, and prints one JSON
object: {"Score": mean payoff per round}. Every match seeds Python's ``random`` module, so a strategy that
uses it is scored deterministically. Errors (a missing file, an exception, an invalid move) go to stderr
with exit code 1.
"""

from __future__ import annotations

import importlib.util
import json
import random
import sys
from pathlib import Path

# (row payoff, column payoff) for (row move, column move); 0 = cooperate, 1 = defect.
PAYOFF = {(0, 0): (3, 3), (0, 1): (0, 5), (1, 0): (5, 0), (1, 1): (1, 1)}
ROUNDS = 100
MATCHES_PER_OPPONENT = 40
SEED = 20240917


def always_cooperate(history):
    return 0


def always_defect(history):
    return 1


def tit_for_tat(history):
    return history[-1][0] if history else 0


def suspicious_tit_for_tat(history):
    return history[-1][0] if history else 1


def tit_for_two_tats(history):
    return 1 if len(history) >= 2 and history[-1][0] == history[-2][0] == 1 else 0


def grudger(history):
    return 1 if any(row == 1 for row, _ in history) else 0


def pavlov(history):
    """Win-stay, lose-shift: repeat the last move after a good payoff, switch after a bad one."""
    if not history:
        return 0
    row, col = history[-1]
    return col if PAYOFF[(row, col)][1] >= 3 else 1 - col


def generous_tit_for_tat(history):
    if history and history[-1][0] == 1:
        return 0 if random.random() < 0.3 else 1
    return 0


def random_player(history):
    return random.randint(0, 1)


def prober(history):
    """Opens D, C, C; exploits a player who never retaliated, otherwise plays tit-for-tat."""
    n = len(history)
    if n < 3:
        return (1, 0, 0)[n]
    if history[1][0] == 0 and history[2][0] == 0:
        return 1
    return history[-1][0]


def alternator(history):
    return len(history) % 2


OPPONENTS = [always_cooperate, always_defect, tit_for_tat, suspicious_tit_for_tat, tit_for_two_tats,
             grudger, pavlov, generous_tit_for_tat, random_player, prober, alternator]


def load_strategy(path: Path):
    if not path.is_file():
        sys.exit(f"evaluation: {path.name} not found in {path.parent}; submit a file defining row_strategy")
    spec = importlib.util.spec_from_file_location("submitted_strategy", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - any failure of the submission is reported, not raised
        sys.exit(f"evaluation: importing {path.name} failed: {type(exc).__name__}: {exc}")
    fn = getattr(module, "row_strategy", None)
    if not callable(fn):
        sys.exit(f"evaluation: {path.name} does not define a function row_strategy(history)")
    return fn


def play_match(row_strategy, opponent, seed: int) -> float:
    """Mean row payoff per round over one match. The column player sees history from its own side."""
    random.seed(seed)
    history: list[tuple[int, int]] = []
    total = 0
    for rnd in range(ROUNDS):
        try:
            row = row_strategy(list(history))
        except Exception as exc:  # noqa: BLE001
            sys.exit(f"evaluation: row_strategy raised {type(exc).__name__}: {exc} "
                     f"(round {rnd + 1} against {opponent.__name__})")
        if row not in (0, 1):
            sys.exit(f"evaluation: row_strategy returned {row!r} in round {rnd + 1} against "
                     f"{opponent.__name__}; it must return 0 or 1")
        col = opponent([(c, r) for r, c in history])
        total += PAYOFF[(row, col)][0]
        history.append((row, col))
    return total / ROUNDS


def main() -> None:
    row_strategy = load_strategy(Path.cwd() / "strategy.py")
    scores = []
    for i, opponent in enumerate(OPPONENTS):
        for m in range(MATCHES_PER_OPPONENT):
            scores.append(play_match(row_strategy, opponent, SEED + 1000 * i + m))
    print(json.dumps({"Score": round(sum(scores) / len(scores), 6)}))


if __name__ == "__main__":
    main()

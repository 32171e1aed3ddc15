"""Scores ``strategy.py`` (in the current folder) in the repeated Battle of the Sexes.

Plays ``row_strategy`` against a fixed pool of column players, many seeded matches each, and prints one
JSON object: {"Score": mean row payoff per round}. Every match seeds Python's ``random`` module, so a
strategy that uses it is scored deterministically. Errors (a missing file, an exception, an invalid move)
go to stderr with exit code 1.
"""

from __future__ import annotations

import json
import random
import sys

from mlgym_channel import ChannelError, PlayerError, open_player, play_matches
from collections.abc import Callable

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


def check_move(value: object) -> int:
    if isinstance(value, bool) or value not in (0, 1):
        raise ValueError(f"row_strategy returned {value!r}; it must return 0 or 1")
    return int(value)  # type: ignore[call-overload]


def main() -> None:
    matches = [(opponent, SEED + 1000 * i + m) for i, opponent in enumerate(OPPONENTS)
               for m in range(MATCHES_PER_OPPONENT)]
    with open_player() as player:
        try:
            scores = play_matches(player, matches, ROUNDS, check_move, lambda row, col: PAYOFF[(row, col)][0])
        except PlayerError as exc:
            sys.exit(f"evaluation: {exc.detail}")
        except (ChannelError, ValueError) as exc:
            sys.exit(f"evaluation: {exc}")
    print(json.dumps({"Score": round(sum(scores) / len(scores), 6)}))


if __name__ == "__main__":
    main()

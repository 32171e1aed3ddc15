"""Scores ``strategy.py`` (in the current folder) in repeated Colonel Blotto (6 battlefields, 120 soldiers).

Plays ``row_strategy`` against a fixed pool of opponents, many seeded matches each, and prints one JSON
object: {"Score": mean result per round}, where a round won (more battlefields won) counts 1, lost -1,
drawn 0. Every match seeds Python's ``random`` module, so a strategy that uses it is scored
deterministically. Errors (a missing file, an exception, an invalid allocation) go to stderr with exit
code 1.
"""

from __future__ import annotations

import json
import operator
import random
import sys

from mlgym_channel import ChannelError, PlayerError, open_player, play_matches
from collections.abc import Callable

BATTLEFIELDS = 6
SOLDIERS = 120
ROUNDS = 20
MATCHES_PER_OPPONENT = 25
SEED = 4242

Allocation = list[int]
History = list[tuple[Allocation, Allocation]]


def _split(weights: list[float]) -> Allocation:
    """Soldiers in proportion to ``weights``, rounded down, the remainder to the heaviest battlefield."""
    total = sum(weights)
    alloc = [int(SOLDIERS * w / total) for w in weights]
    alloc[max(range(BATTLEFIELDS), key=lambda i: weights[i])] += SOLDIERS - sum(alloc)
    return alloc


def _shuffled(values: list[int]) -> Allocation:
    values = list(values)
    random.shuffle(values)
    return values


# Opponents. Each sees the match from its own side: a list of (own_allocation, row_allocation) pairs.
def uniform(history: History) -> Allocation:
    return [SOLDIERS // BATTLEFIELDS] * BATTLEFIELDS


def random_split(history: History) -> Allocation:
    return _split([random.random() for _ in range(BATTLEFIELDS)])


def three_fronts(history: History) -> Allocation:
    return _shuffled([40, 40, 40, 0, 0, 0])


def four_fronts(history: History) -> Allocation:
    return _shuffled([30, 30, 30, 30, 0, 0])


def two_heavy(history: History) -> Allocation:
    return _shuffled([50, 50, 5, 5, 5, 5])


def staircase(history: History) -> Allocation:
    return _shuffled([35, 30, 25, 15, 10, 5])


def counter_last(history: History) -> Allocation:
    """Beats the row player's last allocation on its four weakest battlefields, if it can afford to."""
    if not history:
        return uniform(history)
    last = history[-1][1]
    order = sorted(range(BATTLEFIELDS), key=lambda i: last[i])
    alloc = [0] * BATTLEFIELDS
    for i in order[:4]:
        alloc[i] = last[i] + 1
    if sum(alloc) > SOLDIERS:
        return random_split(history)
    spare = SOLDIERS - sum(alloc)
    for i in order[:4]:
        alloc[i] += spare // 4
    alloc[order[0]] += SOLDIERS - sum(alloc)
    return alloc


def copycat(history: History) -> Allocation:
    """Plays the row player's last allocation, battlefields shuffled."""
    return _shuffled(history[-1][1]) if history else random_split(history)


OPPONENTS: list[Callable[[History], Allocation]] = [
    uniform, random_split, three_fronts, four_fronts, two_heavy, staircase, counter_last, copycat,
]


def check_allocation(value: object) -> Allocation | str:
    """The allocation as a list of ints, or why it is invalid."""
    try:
        alloc = [operator.index(v) for v in value]  # type: ignore[attr-defined]
    except TypeError:
        return f"{value!r} is not a sequence of {BATTLEFIELDS} integers"
    if len(alloc) != BATTLEFIELDS:
        return f"{value!r} has {len(alloc)} battlefields, not {BATTLEFIELDS}"
    if min(alloc) < 0:
        return f"{value!r} has a negative number of soldiers"
    if sum(alloc) != SOLDIERS:
        return f"{value!r} sums to {sum(alloc)}, not {SOLDIERS}"
    return alloc


def round_result(row: Allocation, col: Allocation) -> int:
    won = sum(r > c for r, c in zip(row, col, strict=True))
    lost = sum(c > r for r, c in zip(row, col, strict=True))
    return (won > lost) - (won < lost)


def check_move(value: object) -> Allocation:
    alloc = check_allocation(value)
    if isinstance(alloc, str):
        raise ValueError(f"row_strategy returned an invalid allocation: {alloc}")
    return alloc


def main() -> None:
    matches = [(opponent, SEED + 1000 * i + m) for i, opponent in enumerate(OPPONENTS)
               for m in range(MATCHES_PER_OPPONENT)]
    with open_player() as player:
        try:
            scores = play_matches(player, matches, ROUNDS, check_move, round_result)
        except PlayerError as exc:
            sys.exit(f"evaluation: {exc.detail}")
        except (ChannelError, ValueError) as exc:
            sys.exit(f"evaluation: {exc}")
    print(json.dumps({"Score": round(sum(scores) / len(scores), 6)}))


if __name__ == "__main__":
    main()

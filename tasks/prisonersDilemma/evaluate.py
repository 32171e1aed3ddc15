"""Scores ``strategy.py`` (in the current folder) in the iterated Prisoner's Dilemma.

Plays ``row_strategy`` against a fixed pool of opponents, many seeded matches each, and prints one JSON
object: {"Score": mean payoff per round}. The strategy runs in its own sandboxed process (``player.py``) and
only answers moves; the score is computed here. Errors (a missing file, an exception, an invalid move) go to stderr
with exit code 1.
"""

from __future__ import annotations

import json
import random
import sys

from mlgym_channel import ChannelError, PlayerError, open_player, play_matches

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


def check_move(value: object) -> int:
    if value not in (0, 1):
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

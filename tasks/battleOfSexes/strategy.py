"""Your strategy for the repeated Battle of the Sexes.

Edit ``row_strategy``. It is called once per round with the history of the match so far and must return
0 or 1. You (the row player) prefer both choosing 0; your opponent prefers both choosing 1; choosing
differently pays nobody. Keep the function name and signature: the evaluation imports it.
"""

import random

# Rounds in a row the opponent must insist on 1 before you go along with it.
PATIENCE = 2
# Chance of going back to your own choice (0) after you have gone along with theirs.
REASSERT = 0.2


def row_strategy(history: list[tuple[int, int]]) -> int:
    """Pick this round's move.

    history: one (your_move, opponent_move) pair per round played so far, oldest first;
             empty in the first round.
    returns: 0 or 1.
    """
    if len(history) < PATIENCE:
        return 0
    recent = [theirs for _, theirs in history[-PATIENCE:]]
    if all(move == 1 for move in recent):
        return 0 if random.random() < REASSERT else 1
    return 0

"""Runs your ``row_strategy`` from ``strategy.py`` for the evaluation, in the sandbox.

The evaluation (``evaluate.py``) keeps the opponents and the score; this process only answers moves, one
per match per round, over its stdin and stdout. Each match seeds Python's ``random`` module, so a
strategy that uses it plays deterministically.
"""

from pathlib import Path

from mlgym_channel import serve_match_player

if __name__ == "__main__":
    serve_match_player(Path.cwd() / "strategy.py", "row_strategy")

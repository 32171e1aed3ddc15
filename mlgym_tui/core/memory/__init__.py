"""The agent's research log: notes written during an episode and retrieved by meaning later.

Notes live in the run folder (``memory.jsonl``, appended as they are written) and can be carried into a
later attempt on the same task. Ranking is semantic (all-MiniLM-L6-v2, computed on the host, outside the
sandbox) when the encoder is available, else lexical BM25 — and the tool's help text says which.
"""

from __future__ import annotations

from mlgym_tui.core.memory.rankers import BM25Ranker, Ranker, SemanticRanker, make_ranker
from mlgym_tui.core.memory.store import MemoryStore, Note, read_notes

__all__ = ["BM25Ranker", "MemoryStore", "Note", "Ranker", "SemanticRanker", "make_ranker", "read_notes"]

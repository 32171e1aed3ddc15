"""How notes are ranked for a query: embeddings when available, BM25 otherwise."""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Protocol

import numpy as np

_WORD = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*")


class Ranker(Protocol):
    name: str
    description: str
    """One line for the tool help: what kind of ranking this is."""

    def embed(self, text: str) -> list[float] | None:
        """A vector to store with a note (None for lexical rankers)."""

    def scores(self, query: str, texts: list[str], vectors: list[list[float] | None]) -> list[float]:
        """Relevance of each text to the query; higher is closer."""


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


class BM25Ranker:
    """Okapi BM25 over the notes themselves (k1 = 1.5, b = 0.75): the fallback with no model."""

    name = "bm25"
    description = "lexical BM25 ranking (fallback: the sentence encoder is not installed)"

    def __init__(self, k1: float = 1.5, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b

    def embed(self, text: str) -> list[float] | None:
        return None

    def scores(self, query: str, texts: list[str], vectors: list[list[float] | None]) -> list[float]:
        docs = [Counter(tokens(t)) for t in texts]
        if not docs:
            return []
        lengths = [sum(d.values()) for d in docs]
        avg = sum(lengths) / len(lengths) or 1.0
        n = len(docs)
        result = []
        query_terms = set(tokens(query))
        df = {term: sum(1 for d in docs if term in d) for term in query_terms}
        for doc, length in zip(docs, lengths, strict=True):
            score = 0.0
            for term in query_terms:
                tf = doc.get(term, 0)
                if not tf:
                    continue
                idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
                score += idf * tf * (self.k1 + 1) / (tf + self.k1 * (1 - self.b + self.b * length / avg))
            result.append(score)
        return result


class SemanticRanker:
    """Cosine similarity of all-MiniLM-L6-v2 sentence embeddings."""

    name = "minilm"
    description = "semantic similarity (all-MiniLM-L6-v2 sentence embeddings)"

    def __init__(self) -> None:
        from mlgym_tui.core.memory.minilm import MiniLMEncoder

        self.encoder = MiniLMEncoder()

    def embed(self, text: str) -> list[float] | None:
        return [round(float(v), 6) for v in self.encoder.encode([text])[0]]

    def scores(self, query: str, texts: list[str], vectors: list[list[float] | None]) -> list[float]:
        q = self.encoder.encode([query])[0]
        missing = [i for i, v in enumerate(vectors) if v is None]
        filled = list(vectors)
        if missing:
            fresh = self.encoder.encode([texts[i] for i in missing])
            for i, vec in zip(missing, fresh, strict=True):
                filled[i] = vec.tolist()
        matrix = np.array(filled, dtype=np.float32) if filled else np.zeros((0, q.shape[0]), np.float32)
        return (matrix @ q).tolist()


def make_ranker(prefer_semantic: bool = True) -> tuple[Ranker, str | None]:
    """The best available ranker and, when it is the fallback, why."""
    if prefer_semantic:
        from mlgym_tui.core.memory.minilm import ModelUnavailable

        try:
            return SemanticRanker(), None
        except ModelUnavailable as exc:
            return BM25Ranker(), str(exc)
    return BM25Ranker(), "semantic ranking was turned off"

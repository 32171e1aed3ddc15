"""Known models: US dollars per million tokens and context windows, as published by the providers when
this table was written. Prices change: override them per agent with ``model.prices`` in the config.

Names match by longest prefix, so dated variants (``claude-sonnet-4-20250514``) find their family.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KnownModel:
    input: float
    output: float
    context_window: int


TABLE: dict[str, KnownModel] = {
    # OpenAI
    "gpt-4o-mini": KnownModel(0.15, 0.60, 128_000),
    "gpt-4o": KnownModel(2.50, 10.00, 128_000),
    "gpt-4.1-nano": KnownModel(0.10, 0.40, 1_047_576),
    "gpt-4.1-mini": KnownModel(0.40, 1.60, 1_047_576),
    "gpt-4.1": KnownModel(2.00, 8.00, 1_047_576),
    "gpt-5-nano": KnownModel(0.05, 0.40, 400_000),
    "gpt-5-mini": KnownModel(0.25, 2.00, 400_000),
    "gpt-5": KnownModel(1.25, 10.00, 400_000),
    "o3-mini": KnownModel(1.10, 4.40, 200_000),
    "o3": KnownModel(2.00, 8.00, 200_000),
    "o4-mini": KnownModel(1.10, 4.40, 200_000),
    # Anthropic
    "claude-opus-4-5": KnownModel(5.00, 25.00, 200_000),
    "claude-opus-4": KnownModel(15.00, 75.00, 200_000),
    "claude-sonnet-4": KnownModel(3.00, 15.00, 200_000),
    "claude-haiku-4-5": KnownModel(1.00, 5.00, 200_000),
    "claude-3-7-sonnet": KnownModel(3.00, 15.00, 200_000),
    "claude-3-5-sonnet": KnownModel(3.00, 15.00, 200_000),
    "claude-3-5-haiku": KnownModel(0.80, 4.00, 200_000),
    # Local, free
    "smollm2": KnownModel(0.0, 0.0, 8_192),
}


def price_for(model: str) -> KnownModel | None:
    """The table entry for ``model`` (provider prefix such as ``openai:`` ignored), by longest prefix."""
    name = model.split(":", 1)[1] if ":" in model else model
    name = name.rsplit("/", 1)[-1].lower()
    best = None
    for prefix in TABLE:
        if name.startswith(prefix) and (best is None or len(prefix) > len(best)):
            best = prefix
    return TABLE[best] if best else None

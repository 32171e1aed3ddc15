"""Model clients, one per provider (:mod:`.providers`: ``openai:MODEL``, ``anthropic:MODEL``,
``local:smollm2``, or ``MODEL`` at a base URL).

Each client turns a conversation into a :class:`~mlgym_tui.agents.models.base.ModelReply` with token
counts and cost, retrying transient failures itself; see ``base.py`` for the contract.
"""

from __future__ import annotations

from mlgym_tui.agents.config import ModelConfig
from mlgym_tui.agents.models.base import Message, Model, ModelReply
from mlgym_tui.agents.models.providers import provider_of
from mlgym_tui.agents.models.scripted import ScriptedModel

__all__ = ["Message", "Model", "ModelReply", "ScriptedModel", "make_model"]


def make_model(config: ModelConfig) -> Model:
    """The client for ``config.name``, as the provider table says."""
    provider, model = provider_of(config.name, config.base_url)
    client = provider.load()
    resolved = config.model_copy(update={"api_key_env": config.api_key_env or provider.key_env})
    return client(model, resolved)

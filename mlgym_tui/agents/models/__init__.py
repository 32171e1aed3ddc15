"""Model clients: ``openai:MODEL``, ``anthropic:MODEL``, ``local:smollm2``, or ``MODEL`` at a base URL.

Each client turns a conversation into a :class:`~mlgym_tui.agents.models.base.ModelReply` with token
counts and cost, retrying transient failures itself; see ``base.py`` for the contract.
"""

from __future__ import annotations

from mlgym_tui.agents.config import ModelConfig
from mlgym_tui.agents.models.base import Message, Model, ModelReply
from mlgym_tui.agents.models.scripted import ScriptedModel
from mlgym_tui.core.errors import ConfigError

__all__ = ["Message", "Model", "ModelReply", "ScriptedModel", "make_model"]


def make_model(config: ModelConfig) -> Model:
    """The client for ``config.name`` (see the module docstring for the accepted forms)."""
    provider, sep, model = config.name.partition(":")
    if not sep:
        provider, model = "", config.name
    if provider == "openai":
        from mlgym_tui.agents.models.openai_client import OpenAIModel

        return OpenAIModel(model, config, base_url=config.base_url, label=config.name)
    if provider == "anthropic":
        from mlgym_tui.agents.models.anthropic_client import AnthropicModel

        return AnthropicModel(model, config, base_url=config.base_url)
    if provider == "local":
        from mlgym_tui.agents.models.local import LocalModel

        return LocalModel(model, config)
    if config.base_url:
        from mlgym_tui.agents.models.openai_client import OpenAIModel

        return OpenAIModel(config.name, config, base_url=config.base_url)
    raise ConfigError(
        f"model {config.name!r}: write openai:MODEL, anthropic:MODEL or local:smollm2, "
        "or give --base-url for an OpenAI-compatible server"
    )

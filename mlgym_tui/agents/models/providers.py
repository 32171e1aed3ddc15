"""Model providers, one table: the prefix of a model spec (``openai:gpt-4o``) → the client that serves it,
the environment variable that holds its API key, and the package and extra its SDK comes from.

:func:`~mlgym_tui.agents.models.make_model`, the CLI's ``--model`` help and the message for a spec no
provider takes are all read from :data:`PROVIDERS`; adding a provider is a client module (the ``Model``
contract of ``base.py``, constructed as ``Client(model, config)``) and one row here.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from typing import Any

from mlgym_tui.core.errors import ConfigError


@dataclass(frozen=True)
class Provider:
    """One way to reach models."""

    prefix: str
    """What comes before ``:`` in the model spec (empty for :data:`COMPATIBLE`)."""
    client: str
    """``module:Class`` of the client, imported only when a model of this provider is made (its SDK is
    an optional extra). It is built as ``Client(model, config)``: the spec's part after the prefix and
    the :class:`~mlgym_tui.agents.config.ModelConfig`, whose ``api_key_env`` is already resolved."""
    key_env: str | None = None
    """The environment variable with the API key, unless ``model.api_key_env`` names another; None: the
    provider takes no key."""
    sdk: str = "openai"
    """The module the client needs; missing, it is a one-line error naming ``extra``."""
    extra: str = "llm"
    """The ``pip install 'mlgym-tui[EXTRA]'`` that brings ``sdk``."""
    models: str = "MODEL"
    """What may follow the prefix, as help texts show it."""

    @property
    def form(self) -> str:
        return f"{self.prefix}:{self.models}"

    def load(self) -> Any:
        """The client class; a missing SDK is the user's to install, said in one line."""
        if importlib.util.find_spec(self.sdk) is None:
            raise ConfigError(f"{self.form} models need the {self.sdk} package: pip install 'mlgym-tui[{self.extra}]'")
        module, _, name = self.client.partition(":")
        return getattr(importlib.import_module(module), name)


PROVIDERS: dict[str, Provider] = {
    p.prefix: p
    for p in (
        Provider("openai", "mlgym_tui.agents.models.openai_client:OpenAIModel", key_env="OPENAI_API_KEY"),
        Provider(
            "anthropic", "mlgym_tui.agents.models.anthropic_client:AnthropicModel", key_env="ANTHROPIC_API_KEY",
            sdk="anthropic",
        ),
        Provider("local", "mlgym_tui.agents.models.local:LocalModel", sdk="xllamacpp", extra="local-llm",
                 models="smollm2"),
    )
}

COMPATIBLE = Provider("", "mlgym_tui.agents.models.openai_client:OpenAIModel", key_env="OPENAI_API_KEY")
"""A spec without a known prefix, served by the OpenAI-compatible server at ``base_url`` (vLLM, llama.cpp,
Ollama); the whole spec is the model name there (Ollama's ``llama3:8b`` keeps its colon)."""


def model_forms() -> str:
    """The spec forms the providers accept, for help texts: ``openai:MODEL, anthropic:MODEL, …``."""
    return ", ".join(p.form for p in PROVIDERS.values())


def provider_of(spec: str, base_url: str | None) -> tuple[Provider, str]:
    """The provider of a model spec and the model name it is given."""
    prefix, sep, model = spec.partition(":")
    if sep and prefix in PROVIDERS:
        return PROVIDERS[prefix], model
    if base_url:
        return COMPATIBLE, spec
    raise ConfigError(
        f"model {spec!r}: write {model_forms()}, or give --base-url for an OpenAI-compatible server"
    )

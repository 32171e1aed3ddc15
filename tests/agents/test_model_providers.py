"""The provider table is the one place a model spec is resolved: ``make_model``, the ``--model`` help and
the message for a spec nobody serves all follow it, so a provider added there is offered everywhere."""

from __future__ import annotations

from typing import Any

import pytest

from mlgym_tui.agents.config import ModelConfig
from mlgym_tui.agents.models import make_model, providers
from mlgym_tui.agents.models.anthropic_client import AnthropicModel
from mlgym_tui.agents.models.openai_client import OpenAIModel
from mlgym_tui.agents.models.providers import Provider
from mlgym_tui.cli import build_parser
from mlgym_tui.core.errors import ConfigError


class EchoModel:
    """A client as a new provider would add one: built as ``Client(model, config)``."""

    def __init__(self, model: str, config: ModelConfig) -> None:
        self.model, self.name, self.config = model, config.name, config


@pytest.fixture
def echo_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    row = Provider("echo", f"{__name__}:EchoModel", key_env="ECHO_KEY", sdk="json", extra="echo")
    monkeypatch.setitem(providers.PROVIDERS, "echo", row)


def test_specs_reach_their_provider_s_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    gpt = make_model(ModelConfig(name="openai:gpt-4o"))
    assert isinstance(gpt, OpenAIModel) and (gpt.model, gpt.name) == ("gpt-4o", "openai:gpt-4o")
    claude = make_model(ModelConfig(name="anthropic:claude-sonnet-4"))
    assert isinstance(claude, AnthropicModel) and (claude.model, claude.name) == ("claude-sonnet-4",
                                                                                 "anthropic:claude-sonnet-4")
    # A spec with no known prefix at a base URL is the server's model name, colon and all (Ollama).
    ollama = make_model(ModelConfig(name="llama3:8b", base_url="http://127.0.0.1:1/v1"))
    assert isinstance(ollama, OpenAIModel) and (ollama.model, ollama.name) == ("llama3:8b", "llama3:8b")


def test_the_provider_s_key_variable_unless_the_config_names_another(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="ANTHROPIC_API_KEY"):
        make_model(ModelConfig(name="anthropic:claude-sonnet-4"))
    monkeypatch.setenv("MY_KEY", "sk-ant-mine")
    claude: Any = make_model(ModelConfig(name="anthropic:claude-sonnet-4", api_key_env="MY_KEY"))
    assert claude.config.api_key_env == "MY_KEY"


def test_a_spec_no_provider_takes_is_one_line_listing_the_forms() -> None:
    with pytest.raises(ConfigError) as caught:
        make_model(ModelConfig(name="mistral:7b"))
    assert "openai:MODEL" in str(caught.value) and "local:smollm2" in str(caught.value)
    assert "--base-url" in str(caught.value) and "\n" not in str(caught.value)


def test_a_provider_added_to_the_table_is_offered_everywhere(
    echo_provider: None, capsys: pytest.CaptureFixture[str]
) -> None:
    model: Any = make_model(ModelConfig(name="echo:small"))
    assert isinstance(model, EchoModel) and model.model == "small" and model.config.api_key_env == "ECHO_KEY"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--help"])
    assert "echo:MODEL" in capsys.readouterr().out
    with pytest.raises(ConfigError, match="echo:MODEL"):
        make_model(ModelConfig(name="nobody:x"))


def test_a_missing_sdk_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    row = Provider("far", f"{__name__}:EchoModel", sdk="mlgym_no_such_sdk", extra="far")
    monkeypatch.setitem(providers.PROVIDERS, "far", row)
    with pytest.raises(ConfigError, match=r"pip install 'mlgym-tui\[far\]'"):
        make_model(ModelConfig(name="far:x"))

"""The research agent's configuration: a pydantic model loaded from ``agents/*.yaml`` plus overrides.

Config is data (STYLE.md): prompts, history processing, model parameters and limits live in YAML so a new
agent is a new file, not new code. ``load_agent_config`` merges files and ``key=value`` overrides in the
order given (``-c FILE -c key=value`` on the command line), then validates once, so a typo in any layer
is reported as one line naming the field.

API keys are deliberately not a field: only the *name* of the environment variable that holds one
(``model.api_key_env``) can be configured, so a key can never end up in a config dump or a trajectory.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mlgym_tui.core.errors import ConfigError
from mlgym_tui.core.tools import expand_tools
from mlgym_tui.core.yaml_files import read_yaml_mapping
from mlgym_tui.paths import agents_dir


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Templates(_Strict):
    """Jinja2 templates (strict undefined: a misspelt variable fails loudly at the first render)."""

    system: str
    """The system message: role, command format, the tools (``{{ commands }}``)."""
    instance: str
    """The first user message: the task (``{{ task_text }}``), the workspace state."""
    next_step: str
    """Each later user message: ``{{ observation }}``, ``{{ open_file }}``, ``{{ cwd }}``, ``{{ steps_left }}``,
    ``{{ cost }}`` / ``{{ cost_limit }}``, ``{{ calls_left }}``. Every template also sees ``{{ max_steps }}``,
    ``{{ wall_time }}`` (seconds) and ``{{ limits }}`` (the task's command and training timeouts)."""
    next_step_no_output: str | None = None
    """Used instead of ``next_step`` when the observation is empty (None: ``next_step`` with a note)."""
    format_error: str
    """The re-ask after an answer without exactly one command (``{{ error }}``)."""
    interjection: str = "A message from the person supervising you:\n{{ text }}\n\n"
    """Put before the next observation when a person interjects."""


class HistoryConfig(_Strict):
    """How past observations are kept in the prompt."""

    keep_full: int = Field(default=5, ge=0)
    """The last N observations are shown in full; older ones are replaced by ``elided``."""
    elided: str = "Old environment output: ({{ lines }} lines omitted)"
    """What an older observation becomes (``{{ lines }}``, ``{{ chars }}``)."""


class Prices(_Strict):
    """US dollars per million tokens."""

    input: float = Field(default=0.0, ge=0)
    output: float = Field(default=0.0, ge=0)


class ModelConfig(_Strict):
    """Which model, where, and how to call it."""

    name: str = "openai:gpt-4o"
    """``PROVIDER:MODEL`` for a provider of :mod:`mlgym_tui.agents.models.providers` (``openai:gpt-4o``,
    ``anthropic:…``, ``local:smollm2``), or a bare model name with ``base_url``."""
    base_url: str | None = None
    """An OpenAI-compatible server (vLLM, llama.cpp, Ollama …); the ``openai`` client is used."""
    api_key_env: str | None = None
    """Name of the environment variable holding the key (default: the provider's, ``OPENAI_API_KEY`` /
    ``ANTHROPIC_API_KEY``). The key itself is never configurable, so it is never recorded."""
    temperature: float | None = Field(default=0.0, ge=0)
    top_p: float | None = Field(default=None, gt=0, le=1)
    max_tokens: int = Field(default=8192, ge=1)
    """Most tokens per answer (at most a quarter of a known context window is asked for). An answer cut
    at this limit is recognised as cut and the model is asked for a shorter one."""
    context_window: int | None = Field(default=None, ge=1)
    """Prompt + answer tokens the model accepts (None: from the price table, else unchecked)."""
    chars_per_token: float = Field(default=3.5, gt=0)
    """For the cheap prompt-size estimate used to stop before the server rejects an over-long prompt."""
    timeout: float = Field(default=300.0, gt=0)
    """Seconds one request may take."""
    retries: int = Field(default=5, ge=0)
    """Re-tries of a request that failed with a rate limit (429), a 5xx or a dropped connection."""
    backoff: float = Field(default=2.0, ge=0)
    """First wait in seconds before a retry; doubles each time (a server's Retry-After wins)."""
    backoff_max: float = Field(default=60.0, ge=0)
    prices: Prices | None = None
    """Per-million-token prices; overrides the built-in table (needed for costs of unknown models)."""
    use_tools: bool = False
    """Also offer the command as a native tool call (function calling); answers may use either form."""
    extra: dict[str, Any] = Field(default_factory=dict)
    """Further request parameters passed to the SDK as they are."""


class Limits(_Strict):
    """Per-episode model limits (the session's step and wall-time limits apply on top)."""

    cost: float | None = Field(default=None, gt=0)
    """US dollars; the episode ends with ``exit_cost`` (autosubmitting) when the next call would exceed it."""
    calls: int | None = Field(default=None, ge=1)
    """Most model calls; also ends with ``exit_cost``."""
    format_errors: int = Field(default=3, ge=0)
    """Re-asks after unparsable answers within one step before ending with ``exit_format``."""


class AgentConfig(_Strict):
    """One research agent (``agents/<name>.yaml``)."""

    name: str = "default"
    description: str = ""
    templates: Templates
    history: HistoryConfig = Field(default_factory=HistoryConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    limits: Limits = Field(default_factory=Limits)
    tools: list[str] | None = None
    """Tools shown in the prompt (None: every tool but the research log's). ``default`` in the list stands
    for that set, so ``[default, memory_write, memory_read]`` adds the research log."""
    demonstration: str | None = None
    """An example exchange appended to the system message."""

    @field_validator("tools")
    @classmethod
    def _expand_default(cls, tools: list[str] | None) -> list[str] | None:
        return None if tools is None else expand_tools(tools)


def agent_config_path(name: str) -> Path | None:
    """``agents/NAME.yaml`` (or a path to a YAML file), if it exists."""
    candidate = Path(name)
    if candidate.suffix in (".yaml", ".yml") and candidate.is_file():
        return candidate
    path = agents_dir() / f"{name}.yaml"
    return path if path.is_file() else None


def _read_yaml(path: Path) -> dict[str, Any]:
    return read_yaml_mapping(path, empty_ok=True)


def deep_merge(base: dict[str, Any], layer: dict[str, Any]) -> dict[str, Any]:
    """``layer`` over ``base``; nested mappings merge, everything else replaces."""
    out = copy.deepcopy(base)
    for key, value in layer.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def parse_override(text: str) -> dict[str, Any]:
    """``a.b.c=VALUE`` → ``{"a": {"b": {"c": VALUE}}}``; VALUE is read as YAML (numbers, true, lists)."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(f"-c {text!r}: expected a YAML file or key=value")
    try:
        parsed = yaml.safe_load(value) if value.strip() else ""
    except yaml.YAMLError:
        parsed = value
    out: dict[str, Any] = {}
    node = out
    parts = key.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = parsed
    return out


def merge_layers(base: dict[str, Any], layers: list[str]) -> dict[str, Any]:
    """Apply ``-c`` layers in order: an existing ``.yaml`` file is merged whole, anything else is key=value."""
    merged = base
    for layer in layers:
        path = Path(layer)
        if "=" not in layer or (path.suffix in (".yaml", ".yml") and path.is_file()):
            merged = deep_merge(merged, _read_yaml(path))
        else:
            merged = deep_merge(merged, parse_override(layer))
    return merged


def _describe(source: str, exc: ValidationError) -> str:
    err = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")[0]
    loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
    msg = "unknown field (see agents/README.md)" if err["type"] == "extra_forbidden" else err["msg"]
    if err["loc"] and err["loc"][-1] in ("api_key", "key"):
        msg = "API keys are read from the environment only; set model.api_key_env to the variable's name"
    return f"{source}: field '{loc}': {msg}"


def _read_with_parents(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """A config file merged over the one it names in ``extends:`` (so variants restate only what differs)."""
    if path in seen:
        raise ConfigError(f"{path}: field 'extends': circular ({' -> '.join(str(p) for p in (*seen, path))})")
    raw = _read_yaml(path)
    parent_name = raw.pop("extends", None)
    if parent_name is None:
        return raw
    parent = agent_config_path(str(parent_name))
    if parent is None:
        raise ConfigError(f"{path}: field 'extends': no agent config {parent_name!r}")
    return deep_merge(_read_with_parents(parent, (*seen, path)), raw)


def load_agent_config(name: str = "default", layers: list[str] | None = None) -> AgentConfig:
    """The config of agent ``name`` (``agents/NAME.yaml``) with ``-c`` layers applied, validated."""
    path = agent_config_path(name)
    if path is None:
        raise ConfigError(f"no agent config {name!r} (looked for {agents_dir() / (name + '.yaml')})")
    raw = merge_layers(_read_with_parents(path), layers or [])
    try:
        return AgentConfig.model_validate(raw)
    except ValidationError as exc:
        # name the layers' keys, never their values (a mistaken -c could carry a secret)
        shown = [layer if "=" not in layer else layer.split("=", 1)[0] + "=…" for layer in layers or []]
        source = str(path) if not shown else f"{path} with -c {' -c '.join(shown)}"
        raise ConfigError(_describe(source, exc)) from exc

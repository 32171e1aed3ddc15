"""Messages through the official ``anthropic`` SDK (``anthropic:MODEL``).

The conversation is kept in the OpenAI shape (a system message, then alternating user/assistant); this
client lifts the system message into Anthropic's ``system`` parameter.
"""

from __future__ import annotations

import inspect
import os
from typing import Any

from mlgym_tui.agents.config import ModelConfig
from mlgym_tui.agents.models.base import (
    CHECK_TIMEOUT,
    Message,
    ModelReply,
    answer_budget,
    call_sdk,
    check_server,
    resolve_pricing,
    sent_settings,
    with_retries,
)
from mlgym_tui.core.errors import ConfigError

COMMAND_TOOL = {
    "name": "run_command",
    "description": "Run exactly one command (a tool of the interface or a shell command).",
    "input_schema": {
        "type": "object",
        "properties": {"command": {"type": "string", "description": "the command, as you would type it"}},
        "required": ["command"],
    },
}


class AnthropicModel:
    """``anthropic:MODEL``."""

    def __init__(self, model: str, config: ModelConfig) -> None:
        import anthropic

        self._anthropic = anthropic
        self.model = model
        self.name = config.name
        self.config = config
        base_url = config.base_url
        env_name = config.api_key_env
        self._key_env = env_name
        self._base_url = base_url
        self._key = os.environ.get(env_name) if env_name else None
        if not self._key:
            raise ConfigError(f"model {self.name}: set the {env_name} environment variable to your API key")
        self.pricing, window = resolve_pricing(self.name, config.prices)
        self.context_window = config.context_window or window
        self._client = anthropic.Anthropic(
            api_key=self._key, base_url=base_url, max_retries=0, timeout=config.timeout
        )
        # Newer SDKs have no argument for some sampling parameters the API still takes (temperature,
        # top_p); those travel in the request body through ``extra_body``.
        self._accepts = set(inspect.signature(self._client.messages.create).parameters)

    def _request(self, messages: list[Message]) -> dict[str, Any]:
        c = self.config
        system = [m["content"] for m in messages if m["role"] == "system"]
        turns = [{"role": m["role"], "content": m["content"]} for m in messages if m["role"] != "system"]
        budget = answer_budget(c.max_tokens, self.context_window)
        params: dict[str, Any] = {"model": self.model, "max_tokens": budget, "messages": turns}
        if system:
            params["system"] = "\n\n".join(system)
        body: dict[str, Any] = {}
        for name, value in (("temperature", c.temperature), ("top_p", c.top_p)):
            if value is not None:
                (params if name in self._accepts else body)[name] = value
        if c.use_tools:
            params["tools"] = [COMMAND_TOOL]
        params.update(c.extra)
        if body:
            params["extra_body"] = {**body, **params.get("extra_body", {})}
        return params

    def settings(self) -> dict[str, Any]:
        """What every request sends besides the conversation (recorded in the trajectory header)."""
        return sent_settings(self._request([]))

    def _call(self, params: dict[str, Any]) -> Any:
        return call_sdk(self._anthropic, self._client.messages.create, params, key=self._key, name=self.name)

    def query(self, messages: list[Message]) -> ModelReply:
        params = self._request(messages)
        response, retries = with_retries(
            lambda: self._call(params), self.config.retries, self.config.backoff, self.config.backoff_max
        )
        texts: list[str] = []
        command = None
        for block in response.content or []:
            if block.type == "text":
                texts.append(block.text)
            elif block.type == "tool_use" and command is None:
                command = str((block.input or {}).get("command", ""))
        usage = response.usage
        tokens_in = int(getattr(usage, "input_tokens", 0) or 0)
        tokens_out = int(getattr(usage, "output_tokens", 0) or 0)
        cost = self.pricing.cost(tokens_in, tokens_out) if self.pricing else 0.0
        truncated = response.stop_reason == "max_tokens"
        return ModelReply("".join(texts), command, tokens_in, tokens_out, cost, retries, truncated)

    def check(self, timeout: float = CHECK_TIMEOUT) -> None:
        """Fail with one line when the server cannot be used (see :func:`check_server`)."""
        check_server(
            self._anthropic, self._client, name=self.name, key_env=self._key_env, base_url=self._base_url,
            timeout=timeout,
        )

    def close(self) -> None:
        self._client.close()

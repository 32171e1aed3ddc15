"""Chat completions through the official ``openai`` SDK: OpenAI itself, or any OpenAI-compatible server
(vLLM, llama.cpp, Ollama) given ``base_url``.

The SDK's own retries are turned off so that every retry is counted and backed off in one place
(:func:`~mlgym_tui.agents.models.base.with_retries`).
"""

from __future__ import annotations

import json
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
from mlgym_tui.core.exits import ModelAPIError

COMMAND_TOOL = {
    "type": "function",
    "function": {
        "name": "run_command",
        "description": "Run exactly one command (a tool of the interface or a shell command).",
        "parameters": {
            "type": "object",
            "properties": {"command": {"type": "string", "description": "the command, as you would type it"}},
            "required": ["command"],
        },
    },
}

NO_KEY = "not-needed"
"""Sent to keyless OpenAI-compatible servers, which ignore it (the SDK insists on some value)."""


class OpenAIModel:
    """``openai:MODEL``, or ``MODEL`` at ``config.base_url`` (where a key is optional)."""

    def __init__(self, model: str, config: ModelConfig) -> None:
        import openai

        self._openai = openai
        self.model = model
        self.name = config.name
        self.config = config
        base_url = config.base_url
        self.base_url = base_url
        env_name = config.api_key_env
        self._key_env = env_name
        self._base_url = base_url
        self._key = os.environ.get(env_name) if env_name else None
        if not self._key:
            if base_url is None:
                raise ConfigError(f"model {self.name}: set the {env_name} environment variable to your API key")
            self._key = NO_KEY
        self.pricing, window = resolve_pricing(self.name, config.prices)
        self.context_window = config.context_window or window
        self._client = openai.OpenAI(
            api_key=self._key, base_url=base_url, max_retries=0, timeout=config.timeout
        )

    def _request(self, messages: list[Message]) -> dict[str, Any]:
        c = self.config
        params: dict[str, Any] = {"model": self.model, "messages": messages}
        # OpenAI's newer models take max_completion_tokens; compatible servers know max_tokens.
        params["max_completion_tokens" if self.base_url is None else "max_tokens"] = answer_budget(
            c.max_tokens, self.context_window
        )
        if c.temperature is not None:
            params["temperature"] = c.temperature
        if c.top_p is not None:
            params["top_p"] = c.top_p
        if c.use_tools:
            params["tools"] = [COMMAND_TOOL]
        params.update(c.extra)
        return params

    def settings(self) -> dict[str, Any]:
        """What every request sends besides the conversation (recorded in the trajectory header)."""
        return sent_settings(self._request([]))

    def _call(self, params: dict[str, Any]) -> Any:
        return call_sdk(self._openai, self._client.chat.completions.create, params, key=self._key, name=self.name)

    def query(self, messages: list[Message]) -> ModelReply:
        params = self._request(messages)
        response, retries = with_retries(
            lambda: self._call(params), self.config.retries, self.config.backoff, self.config.backoff_max
        )
        if not response.choices:
            raise ModelAPIError(f"{self.name}: the server returned no choices")
        choice = response.choices[0]
        message = choice.message
        text = message.content or ""
        command = None
        for call in message.tool_calls or []:
            try:
                args = json.loads(call.function.arguments or "{}")
            except ValueError:
                args = {}
            command = str(args.get("command", ""))
            break
        usage = response.usage
        tokens_in = int(getattr(usage, "prompt_tokens", 0) or 0)
        tokens_out = int(getattr(usage, "completion_tokens", 0) or 0)
        if usage is None:  # some servers omit usage: estimate so limits still work
            tokens_in = int(sum(len(m["content"]) for m in messages) / self.config.chars_per_token)
            tokens_out = int(len(text) / self.config.chars_per_token)
        cost = self.pricing.cost(tokens_in, tokens_out) if self.pricing else 0.0
        truncated = choice.finish_reason == "length"
        return ModelReply(text, command, tokens_in, tokens_out, cost, retries, truncated)

    def check(self, timeout: float = CHECK_TIMEOUT) -> None:
        """Fail with one line when the server cannot be used (see :func:`check_server`)."""
        check_server(
            self._openai, self._client, name=self.name, key_env=self._key_env, base_url=self._base_url,
            timeout=timeout,
        )

    def close(self) -> None:
        self._client.close()

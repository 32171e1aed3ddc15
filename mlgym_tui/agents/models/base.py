"""What every model client shares: the reply record, the protocol, retries with backoff, key redaction.

Clients raise the session's ending exceptions directly — :class:`ContextWindowExceeded` when the prompt
no longer fits, :class:`ModelAPIError` when the provider refuses for good — so the agent loop needs no
provider-specific error handling. Transient failures (429, 5xx, dropped connections) are retried here
with exponential backoff, honouring a server's ``Retry-After``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from mlgym_tui.agents.models.prices import price_for
from mlgym_tui.core.errors import ConfigError
from mlgym_tui.core.exits import ContextWindowExceeded, ModelAPIError

Message = dict[str, str]
"""``{"role": "system" | "user" | "assistant", "content": text}``."""

T = TypeVar("T")


@dataclass(frozen=True)
class ModelReply:
    """One answer: its text (and a native tool call's command, if the model used one), and its cost."""

    text: str
    tool_command: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    retries: int = 0
    truncated: bool = False
    """The answer was cut at the ``max_tokens`` limit (OpenAI ``finish_reason: length``, Anthropic
    ``stop_reason: max_tokens``): the agent tells the model so instead of calling it a format error."""


class Model(Protocol):
    name: str
    """The model spec as recorded in trajectories (``openai:gpt-4o``)."""
    context_window: int | None

    def query(self, messages: list[Message]) -> ModelReply:
        """Answer the conversation. ``messages`` must not be modified (the agent keeps it)."""

    def close(self) -> None:
        """Release connections and servers."""

    # Optional: ``check() -> None`` raises a one-line ``ConfigError`` when the model's server cannot be
    # used at all (clients of a remote server have it; :func:`check_server`). Episodes call it first.


@dataclass(frozen=True)
class Pricing:
    """Dollars per million tokens, in and out."""

    input: float = 0.0
    output: float = 0.0

    def cost(self, tokens_in: int, tokens_out: int) -> float:
        return (tokens_in * self.input + tokens_out * self.output) / 1_000_000


def answer_budget(max_tokens: int, context_window: int | None) -> int:
    """Tokens to ask for and to keep free for an answer: ``max_tokens``, but at most a quarter of a known
    context window (so a small local model's window is not taken by the answer alone)."""
    return min(max_tokens, context_window // 4) if context_window else max_tokens


def sent_settings(params: dict[str, Any]) -> dict[str, Any]:
    """The request's settings as sent, for the record: everything but the conversation and the tool
    schema, with ``extra_body`` (parameters the SDK has no argument for) merged in."""
    skip = {"messages", "system", "tools", "extra_body"}
    return {**{k: v for k, v in params.items() if k not in skip}, **params.get("extra_body", {})}


def resolve_pricing(model: str, override: Any | None) -> tuple[Pricing | None, int | None]:
    """Prices (config override first, then the table) and the table's context window."""
    known = price_for(model)
    window = known.context_window if known else None
    if override is not None:
        return Pricing(override.input, override.output), window
    return (Pricing(known.input, known.output) if known else None), window


class Transient(Exception):
    """A failure worth retrying; ``retry_after`` is the server's hint in seconds, if it gave one."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def retry_after_seconds(headers: Any) -> float | None:
    """The ``Retry-After`` header (seconds form) of an HTTP error response, if any."""
    try:
        value = headers.get("retry-after") if headers is not None else None
        return max(0.0, float(value)) if value is not None else None
    except (TypeError, ValueError):
        return None


def with_retries(
    call: Callable[[], T],
    retries: int,
    backoff: float,
    backoff_max: float,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[T, int]:
    """Run ``call``; on :class:`Transient` wait (exponential, jittered, capped) and try again.

    Returns the result and how many retries it took; after ``retries`` failed retries the last error
    ends the episode as ``exit_api``.
    """
    attempt = 0
    while True:
        try:
            return call(), attempt
        except Transient as exc:
            if attempt >= retries:
                raise ModelAPIError(f"model API still failing after {retries} retries: {exc}") from exc
            delay = exc.retry_after
            if delay is None:
                delay = backoff * (2**attempt) * (0.8 + 0.4 * random.random())
            sleep(min(delay, backoff_max))
            attempt += 1


_CONTEXT_MARKERS = (
    "context_length_exceeded",
    "maximum context length",
    "context length",
    "context window",
    "prompt is too long",
    "too many tokens",
    "exceeds the available context size",
    "exceed_context_size",
)


def is_context_overflow(message: str) -> bool:
    """Whether a 400-class error text says the prompt was too long (wording differs per server)."""
    low = message.lower()
    return any(marker in low for marker in _CONTEXT_MARKERS)


def redact(text: str, secret: str | None) -> str:
    """``text`` without ``secret`` (providers echo parts of bad keys in error messages)."""
    if secret and len(secret) >= 4:
        text = text.replace(secret, "***")
    return text


def context_error(message: str) -> ContextWindowExceeded:
    return ContextWindowExceeded(f"the prompt no longer fits the model's context window: {message[:300]}")


def call_sdk(sdk: Any, create: Callable[..., T], params: dict[str, Any], *, key: str | None, name: str) -> T:
    """One request through an official SDK (``openai`` or ``anthropic``, which share their exception
    hierarchy), its errors mapped for :func:`with_retries` and the session: rate limits, 5xx (Anthropic's
    529 included) and dropped connections are :class:`Transient`; a too-long prompt ends the episode with
    :class:`ContextWindowExceeded`; anything else with :class:`ModelAPIError`. The key never appears in a
    message."""
    try:
        return create(**params)
    except (sdk.RateLimitError, sdk.InternalServerError, sdk.APIConnectionError) as exc:
        headers = getattr(getattr(exc, "response", None), "headers", None)
        raise Transient(redact(str(exc), key), retry_after_seconds(headers)) from None
    except sdk.APIStatusError as exc:
        message = redact(str(exc), key)
        if exc.status_code >= 500:
            raise Transient(message) from None
        if exc.status_code in (400, 413) and is_context_overflow(message):
            raise context_error(message) from None
        raise ModelAPIError(f"{name}: {message[:500]}") from None


CHECK_TIMEOUT = 10.0
"""Seconds the server may take to answer the check before an episode (a model list, not a generation)."""


def check_server(
    sdk: Any, client: Any, *, name: str, key_env: str, base_url: str | None, timeout: float = CHECK_TIMEOUT
) -> None:
    """Fail before the episode when the model's server cannot be used at all: nothing listens at the
    address (a wrong ``--base-url``, a server not started, an unknown host), it does not answer within
    ``timeout``, or it refuses the key (401). Otherwise the first model call would retry for minutes and
    end the episode as ``exit_api`` with the untouched starter code submitted, a run that counts in the
    scores. The check lists the models (free, no tokens); any other HTTP answer (404 from a server without
    that endpoint, 403 from a key allowed to generate but not to list) shows the server is there.
    """
    where = str(client.base_url)
    fix = "check --base-url and that the server is running" if base_url else "check the network connection"
    try:
        client.with_options(timeout=timeout, max_retries=0).models.list()
    except sdk.APITimeoutError:
        raise ConfigError(
            f"model {name}: the server at {where} did not answer within {timeout:g} s; {fix}"
        ) from None
    except sdk.APIConnectionError as exc:
        cause = str(exc.__cause__ or exc) or type(exc.__cause__ or exc).__name__
        raise ConfigError(
            f"model {name}: cannot reach the server at {where} ({cause}); {fix}"
        ) from None
    except sdk.AuthenticationError:
        raise ConfigError(f"model {name}: the server at {where} refused the API key (401); check {key_env}") from None
    except sdk.APIStatusError:
        pass

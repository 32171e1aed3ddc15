"""Local HTTP servers that speak the OpenAI chat-completions and the Anthropic messages wire protocols.

They answer from a script, so the real SDKs (and everything between them and the agent loop) are
exercised without a network or a key. Each scripted turn is a :class:`Turn`: an answer text, a native
tool call, token counts, or an HTTP error status (429, 500, 529 …) to test retries. Every request is
kept (path, headers, JSON body) for assertions.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Turn:
    text: str = ""
    tool_command: str | None = None
    tokens_in: int = 100
    tokens_out: int = 20
    status: int = 200
    error: dict[str, Any] | None = None
    retry_after: str | None = None
    cut: bool = False
    """The answer stopped at the token limit (OpenAI ``finish_reason: length``, Anthropic
    ``stop_reason: max_tokens``)."""


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class ScriptedServer:
    """A scripted chat server; ``protocol`` is ``openai`` or ``anthropic``. After the script: ``submit``."""

    def __init__(self, protocol: str, turns: list[Turn]) -> None:
        self.protocol = protocol
        self.turns = list(turns)
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                with server._lock:
                    server.requests.append(Request(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    turn = server.turns.pop(0) if server.turns else Turn("DISCUSSION\nDone.\n```\nsubmit\n```")
                status, payload, headers = server._respond(body, turn)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}" + ("/v1" if self.protocol == "openai" else "")

    def start(self) -> ScriptedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _respond(self, body: dict[str, Any], turn: Turn) -> tuple[int, dict[str, Any], dict[str, str]]:
        headers = {"retry-after": turn.retry_after} if turn.retry_after is not None else {}
        if turn.status != 200:
            if self.protocol == "openai":
                error = turn.error or {"message": "scripted failure", "type": "server_error", "code": None}
                return turn.status, {"error": error}, headers
            error = turn.error or {"type": "overloaded_error", "message": "scripted failure"}
            return turn.status, {"type": "error", "error": error}, headers
        if self.protocol == "openai":
            message: dict[str, Any] = {"role": "assistant", "content": turn.text or None}
            if turn.tool_command is not None:
                message["tool_calls"] = [{
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "run_command", "arguments": json.dumps({"command": turn.tool_command})},
                }]
            return 200, {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "created": 0,
                "model": body.get("model", "?"),
                "choices": [{"index": 0, "message": message,
                             "finish_reason": "length" if turn.cut else "tool_calls" if turn.tool_command else "stop"}],
                "usage": {"prompt_tokens": turn.tokens_in, "completion_tokens": turn.tokens_out,
                          "total_tokens": turn.tokens_in + turn.tokens_out},
            }, headers
        content: list[dict[str, Any]] = []
        if turn.text:
            content.append({"type": "text", "text": turn.text})
        if turn.tool_command is not None:
            content.append({"type": "tool_use", "id": "toolu_1", "name": "run_command",
                            "input": {"command": turn.tool_command}})
        return 200, {
            "id": "msg_test",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "?"),
            "content": content,
            "stop_reason": "max_tokens" if turn.cut else "tool_use" if turn.tool_command else "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": turn.tokens_in, "output_tokens": turn.tokens_out},
        }, headers


@contextmanager
def scripted_server(protocol: str, turns: list[Turn]) -> Iterator[ScriptedServer]:
    server = ScriptedServer(protocol, turns).start()
    try:
        yield server
    finally:
        server.stop()


def answer(thought: str, command: str) -> str:
    """A well-formed MLGym-style answer."""
    return f"DISCUSSION\n{thought}\n\n```\n{command}\n```"

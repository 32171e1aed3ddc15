"""A model server that cannot be used is a mistake in the options: the real ``openai`` and ``anthropic``
SDKs find out before the episode (nothing listening, an unknown host, no answer, a refused key), and
``run`` says so in one line with exit 2 and writes no run folder, within seconds instead of retrying for
minutes and scoring an episode that never reached its model."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from mlgym_tui.agents.config import ModelConfig
from mlgym_tui.agents.models import make_model
from mlgym_tui.core.errors import ConfigError
from tests.agents.fake_llm_servers import Turn, answer, scripted_server
from tests.helpers import cli

NO_PROXY = {"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def model(protocol: str, url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    for key, value in NO_PROXY.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    if protocol == "openai":
        return make_model(ModelConfig(name="m", base_url=url))
    return make_model(ModelConfig(name="anthropic:claude-test", base_url=url))


@contextmanager
def silent_server() -> Iterator[str]:
    """Accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield f"http://127.0.0.1:{s.getsockname()[1]}"


@contextmanager
def refusing_key_server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            data = b'{"error": {"message": "invalid api key", "type": "authentication_error"}}'
            self.send_response(401)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_nothing_listening_is_said_at_once(protocol: str, monkeypatch: pytest.MonkeyPatch) -> None:
    client = model(protocol, f"http://127.0.0.1:{closed_port()}", monkeypatch)
    started = time.monotonic()
    with pytest.raises(ConfigError, match="cannot reach the server at .*refused.*check --base-url"):
        client.check()
    assert time.monotonic() - started < 5
    client.close()


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_an_unknown_host_is_said_at_once(protocol: str, monkeypatch: pytest.MonkeyPatch) -> None:
    client = model(protocol, "http://no-such-host.invalid", monkeypatch)
    with pytest.raises(ConfigError, match="cannot reach the server at http://no-such-host.invalid"):
        client.check()
    client.close()


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_a_server_that_never_answers_is_given_up_on(protocol: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with silent_server() as url:
        client = model(protocol, url, monkeypatch)
        started = time.monotonic()
        with pytest.raises(ConfigError, match="did not answer within 0.5 s"):
            client.check(timeout=0.5)
        assert time.monotonic() - started < 5
        client.close()


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_a_refused_key_is_said_at_once(protocol: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with refusing_key_server() as url:
        client = model(protocol, url, monkeypatch)
        with pytest.raises(ConfigError, match=r"refused the API key \(401\); check (OPENAI|ANTHROPIC)_API_KEY"):
            client.check()
        client.close()


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_a_server_without_a_model_list_passes_and_is_not_asked_to_generate(
    protocol: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with scripted_server(protocol, []) as server:  # answers GET with 501
        client = model(protocol, server.url, monkeypatch)
        client.check()
        client.close()
        assert server.requests == []


def test_run_with_a_closed_base_url_is_one_line_exit_2_and_no_run_folder(tmp_path: Path) -> None:
    started = time.monotonic()
    proc = cli("run", "prisonersDilemma", "--agent", "default", "--model", "m",
               "--base-url", f"http://127.0.0.1:{closed_port()}/v1", "--out", str(tmp_path / "out"), env=NO_PROXY)
    assert time.monotonic() - started < 30
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "cannot reach the server" in lines[0] and "--base-url" in lines[0], proc.stderr
    assert not (tmp_path / "out").exists()


def test_run_against_a_working_server_still_runs(tmp_path: Path) -> None:
    with scripted_server("openai", [Turn(answer("Submit the baseline.", "submit"))]) as server:
        proc = cli("run", "prisonersDilemma", "--agent", "default", "--model", "m", "--base-url", server.url,
                   "--out", str(tmp_path), env=NO_PROXY)
        assert [r.path for r in server.requests] == ["/v1/chat/completions"]
    assert proc.returncode == 0, proc.stderr


def test_batch_with_a_closed_base_url_is_one_line_exit_2_before_any_episode(tmp_path: Path) -> None:
    proc = cli("batch", "--tasks", "prisonersDilemma", "--agents", "default,baseline", "--models", "m",
               "--base-url", f"http://127.0.0.1:{closed_port()}/v1", "--out", str(tmp_path / "out"), env=NO_PROXY)
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "cannot reach the server" in lines[0], proc.stderr
    assert not (tmp_path / "out").exists()


def test_a_server_that_refuses_the_model_ends_exit_api_and_run_q_says_why(tmp_path: Path) -> None:
    """Reachable, but the model name is wrong: the episode ends as ``exit_api``, and even ``run -q`` (no
    progress lines) prints the reason instead of leaving it in the trajectory alone."""
    refused = Turn(status=404, error={"message": "model 'mm' not found", "type": "invalid_request_error",
                                      "code": None})
    with scripted_server("openai", [refused]) as server:
        proc = cli("run", "prisonersDilemma", "--agent", "default", "--model", "mm", "--base-url", server.url,
                   "-q", "--out", str(tmp_path), env=NO_PROXY)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "exit_api" in lines[0] and "model 'mm' not found" in lines[0], proc.stderr

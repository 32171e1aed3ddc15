"""Scores the language model in the workspace on the held-out tokens; prints {"val_loss": ...}.

Builds the model with `build_model()` from the workspace's model.py (loaded by path), loads model.pt (a
state_dict) into it, and computes the mean next-token cross-entropy in nats over the private shard
($MLGYM_PRIVATE_DATA/fineweb_val_000000.bin), cut into consecutive windows of `eval_seq_len` tokens
(data/meta.json: 256 offline, 1024 full). Every token after the first is predicted exactly once, from the
tokens before it in its window. An invalid submission exits 1 with the reason on stderr.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

VOCAB_SIZE = 50257
BATCH_WINDOWS = 4


def fail(reason: str) -> None:
    """Exit 1 with the reason as the last line of stderr (only that line, cut short, reaches the agent)."""
    print(f"invalid submission: {' '.join(reason.split())}"[:290], file=sys.stderr)
    sys.exit(1)


def read_shard(path: Path) -> np.ndarray:
    header = np.fromfile(path, dtype="<i4", count=256)
    if header[0] != 20240520 or header[1] != 1:
        print(f"evaluation error: {path} is not a token shard", file=sys.stderr)
        sys.exit(2)
    return np.fromfile(path, dtype="<u2", count=int(header[2]), offset=256 * 4)


def load_model(workspace: Path, device: torch.device) -> torch.nn.Module:
    source, weights = workspace / "model.py", workspace / "model.pt"
    for path in (source, weights):
        if not path.is_file():
            fail(f"{path.name} not found in the workspace (train the model to write model.pt)")
    sys.path.insert(0, str(workspace))  # model.py may import its own helper modules
    spec = importlib.util.spec_from_file_location("submitted_model", source)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[spec.name] = module  # dataclasses and pickling look the module up by name
    try:
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    except Exception as exc:  # noqa: BLE001 - the agent's code may raise anything
        fail(f"importing model.py failed: {type(exc).__name__}: {exc}")
    if not callable(getattr(module, "build_model", None)):
        fail("model.py does not define a function build_model()")
    try:
        model = module.build_model()
        state = torch.load(weights, map_location="cpu", weights_only=True)
        model.load_state_dict(state)
    except Exception as exc:  # noqa: BLE001
        fail(f"building the model or loading model.pt into it failed: {type(exc).__name__}: {exc}")
    if not isinstance(model, torch.nn.Module):
        fail(f"build_model() returned {type(model).__name__}, not a torch.nn.Module")
    return model.to(device).eval()


def main() -> None:
    workspace = Path.cwd()
    private = Path(os.environ.get("MLGYM_PRIVATE_DATA", ""))
    shard = private / "fineweb_val_000000.bin"
    if not shard.is_file():
        print(f"evaluation error: held-out tokens not found at {shard}", file=sys.stderr)
        sys.exit(2)
    meta_path = workspace / "data" / "meta.json"
    seq_len = json.loads(meta_path.read_text()).get("eval_seq_len", 256) if meta_path.is_file() else 256
    tokens = torch.from_numpy(read_shard(shard).astype(np.int64))
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(0)
    model = load_model(workspace, device)

    n_windows = (len(tokens) - 1) // seq_len
    inputs = tokens[: n_windows * seq_len].view(n_windows, seq_len)
    targets = tokens[1 : n_windows * seq_len + 1].view(n_windows, seq_len)
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, n_windows, BATCH_WINDOWS):
            x, y = inputs[i : i + BATCH_WINDOWS].to(device), targets[i : i + BATCH_WINDOWS].to(device)
            try:
                out = model(x)
            except Exception as exc:  # noqa: BLE001
                fail(f"the model's forward pass failed on a ({len(x)}, {seq_len}) batch: {type(exc).__name__}: {exc}")
            logits = out[0] if isinstance(out, tuple | list) else out
            if not isinstance(logits, torch.Tensor) or tuple(logits.shape) != (len(x), seq_len, VOCAB_SIZE):
                shape = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
                fail(f"forward(idx) must return logits of shape ({len(x)}, {seq_len}, {VOCAB_SIZE}), got {shape}")
            loss = F.cross_entropy(logits.float().reshape(-1, VOCAB_SIZE), y.reshape(-1), reduction="sum")
            total += loss.item()
            count += y.numel()
    val_loss = total / count
    if not math.isfinite(val_loss):
        fail(f"the loss is {val_loss} (the model produced non-finite logits)")
    print(json.dumps({"val_loss": round(val_loss, 6), "val_perplexity": round(math.exp(min(val_loss, 50)), 4)}))


if __name__ == "__main__":
    main()

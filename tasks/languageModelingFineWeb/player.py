"""Runs your language model for the evaluation, in the sandbox: ``build_model()`` from ``model.py``, the
weights from ``model.pt``, then answers the evaluation's requests over stdin and stdout.

This process never sees the held-out data as a file; the evaluation (``evaluate.py``) sends it token ids
and keeps the targets and the scores. Requests:

- ``{"op": "load"}``: build the model and load the weights.
- ``{"op": "score", "tokens": (B, T + 1) ids}``: the model reads ``tokens[:, :T]``; the reply is the
  log-probability it gives each next token ``tokens[:, 1:]``, ``{"logp": (B, T) float32}``.
- ``{"op": "predict", "tokens": (B, L) ids}``: the next-token distribution after the last token of each
  row, ``{"logp": (B, vocab) float32}`` (the evaluation normalises it itself).
"""

import numpy as np
from mlgym_channel import claim_stdout, load_function, serve

VOCAB_SIZE = 50257


def load(workspace):
    import torch

    build_model = load_function(workspace / "model.py", "build_model")
    torch.manual_seed(0)
    try:
        model = build_model()
        state = torch.load(workspace / "model.pt", map_location="cpu", weights_only=True)
        model.load_state_dict(state)
    except Exception as exc:  # noqa: BLE001 - the agent's code may raise anything
        raise RuntimeError(f"building the model or loading model.pt into it failed: {type(exc).__name__}: {exc}"
                           ) from None
    if not isinstance(model, torch.nn.Module):
        raise RuntimeError(f"build_model() returned {type(model).__name__}, not a torch.nn.Module")
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return model.to(device).eval(), device


def log_probs(model, device, ids):
    """log_softmax of the model's logits for ``ids`` (B, T), as float32, checked for shape."""
    import torch

    x = torch.from_numpy(np.asarray(ids, dtype=np.int64)).to(device)
    try:
        out = model(x)
    except Exception as exc:  # noqa: BLE001
        raise RuntimeError(f"the model's forward pass failed on a {tuple(x.shape)} batch: "
                           f"{type(exc).__name__}: {exc}") from None
    logits = out[0] if isinstance(out, tuple | list) else out
    want = (*x.shape, VOCAB_SIZE)
    if not isinstance(logits, torch.Tensor) or tuple(logits.shape) != want:
        shape = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
        raise RuntimeError(f"forward(idx) must return logits of shape {want}, got {shape}")
    return torch.log_softmax(logits.float(), dim=-1)


if __name__ == "__main__":
    claim_stdout()
    from pathlib import Path

    import torch

    workspace = Path.cwd()
    loaded = []

    def handle(request):
        op = request.get("op")
        if op == "load":
            loaded[:] = [load(workspace)]
            return {}
        if not loaded:
            raise RuntimeError("the model was not loaded")
        model, device = loaded[0]
        tokens = np.asarray(request["tokens"])
        with torch.no_grad():
            if op == "score":
                lp = log_probs(model, device, tokens[:, :-1])
                target = torch.from_numpy(tokens[:, 1:].astype(np.int64)).to(device)
                picked = lp.gather(-1, target.unsqueeze(-1)).squeeze(-1)
                return {"logp": picked.cpu().numpy().astype(np.float32)}
            if op == "predict":
                return {"logp": log_probs(model, device, tokens)[:, -1, :].cpu().numpy().astype(np.float32)}
        raise RuntimeError(f"unknown request {op!r}")

    serve(handle)

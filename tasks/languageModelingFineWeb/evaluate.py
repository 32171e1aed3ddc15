"""Scores your language model (``model.py`` + ``model.pt``) on the held-out tokens; prints
{"val_loss": ..., "val_perplexity": ...}.

Your model runs in its own sandboxed process (``player.py``), which never sees the held-out shard; this
judge sends it token ids and computes the loss. ``val_loss`` is the mean next-token cross-entropy in nats
over the held-out shard cut into consecutive windows of ``eval_seq_len`` tokens (256 offline, 1024 full):
every token after the first is predicted once, from the tokens before it in its window.

1. Scoring: the player gets whole windows and returns, for every position, the log-probability its model
   gives the next token. It sees each window whole, so these numbers are claims.
2. Audit: a fresh player process, which never saw the windows, gets only the tokens up to an audited
   position — the next token withheld — and returns the model's whole next-token distribution, which
   this judge normalises itself. Audited positions are drawn at random per evaluation, uniformly over the
   scored tokens. A claim above the audited log-probability by more than AUDIT_POINT_TOL nats, or claims
   above them by more than AUDIT_MEAN_TOL on average, make the submission invalid: the model looks at
   later tokens (is not causal), is not deterministic, or the player's answers were not the model's.

Run by hand (``python evaluate.py`` in the workspace) it scores the public dev split
(``data/fineweb_dev_000000.bin``) and shows the player's errors in full. An invalid submission exits 1
with the reason on stderr.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import sys
from pathlib import Path

import numpy as np
from mlgym_channel import ChannelError, Player, PlayerError, open_player

VOCAB_SIZE = 50257
BATCH_WINDOWS = 4
AUDITS = 512
"""Positions audited per evaluation (a claim inflated at a fraction f of the positions escapes every
audit with probability about (1 - f) ** AUDITS: 0.6 % at f = 1 %, 7.7 % at f = 0.5 %). At most one per
AUDIT_EVERY scored tokens, so a small held-out set (a test's) is not audited for longer than scored."""
AUDIT_EVERY = 64
AUDIT_POINT_TOL = 0.2
AUDIT_MEAN_TOL = 0.005
LOGP_SLACK = 1e-4
"""A log-probability above this is impossible (float32 rounding of log_softmax stays far below it)."""


class Invalid(Exception):
    """The submission is invalid; the message is for the agent."""


def fail(reason: str) -> None:
    """Exit 1 with the reason as the last line of stderr (only that line, cut short, reaches the agent)."""
    print(f"invalid submission: {' '.join(reason.split())}"[:290], file=sys.stderr)
    sys.exit(1)


def read_shard(path: Path) -> np.ndarray:
    header = np.fromfile(path, dtype="<i4", count=256)
    if len(header) < 3 or header[0] != 20240520 or header[1] != 1:
        print(f"evaluation error: {path} is not a token shard", file=sys.stderr)
        sys.exit(2)
    return np.fromfile(path, dtype="<u2", count=int(header[2]), offset=256 * 4).astype(np.int64)


def held_out() -> tuple[np.ndarray, int, bool]:
    """The tokens to score, the window length, and whether they are hidden from the agent."""
    private = os.environ.get("MLGYM_PRIVATE_DATA")
    folder = Path(private) if private else Path.cwd() / "data"
    shard = folder / ("fineweb_val_000000.bin" if private else "fineweb_dev_000000.bin")
    meta = folder / "meta.json"
    if not private:
        print("evaluation: MLGYM_PRIVATE_DATA is not set; scoring the public dev split data/fineweb_dev_000000.bin",
              file=sys.stderr)
    if not shard.is_file() or not meta.is_file():
        print(f"evaluation error: {shard} or {meta} not found", file=sys.stderr)
        sys.exit(2)
    return read_shard(shard), int(json.loads(meta.read_text())["eval_seq_len"]), bool(private)


def ask(player: Player, request: dict, hidden: bool, where: str) -> dict:
    """The player's reply; its error in full only where it has seen nothing hidden."""
    try:
        return player.ask(request)
    except PlayerError as exc:
        if hidden:
            raise Invalid(f"the model failed on {where}; run `python evaluate.py` in the workspace to see the "
                          f"error on the public dev split") from None
        raise Invalid(exc.detail) from None
    except ChannelError as exc:
        raise Invalid(f"{exc} ({where})") from None


def float_array(reply: dict, shape: tuple[int, ...], what: str) -> np.ndarray:
    value = reply.get("logp")
    if not isinstance(value, np.ndarray) or value.dtype.kind != "f" or value.shape != shape:
        got = f"{value.dtype} {value.shape}" if isinstance(value, np.ndarray) else type(value).__name__
        raise Invalid(f"the player answered {what} with {got}, not a float array of shape {shape}")
    return value.astype(np.float64)


def score(player: Player, windows: np.ndarray, hidden: bool) -> np.ndarray:
    """The claimed log-probability of every next token: (windows, T). ``windows`` is (n, T + 1)."""
    n, t = windows.shape[0], windows.shape[1] - 1
    claims = np.empty((n, t))
    for i in range(0, n, BATCH_WINDOWS):
        batch = windows[i : i + BATCH_WINDOWS]
        where = f"held-out windows {i + 1}-{i + len(batch)}" if hidden else f"dev windows {i + 1}-{i + len(batch)}"
        logp = float_array(ask(player, {"op": "score", "tokens": batch.astype(np.int32)}, hidden, where),
                           (len(batch), t), "a scoring request")
        if not np.isfinite(logp).all():
            raise Invalid(f"the model gave a token probability 0 or NaN ({where})")
        if (logp > LOGP_SLACK).any():
            raise Invalid(f"the player answered log-probabilities above 0 ({where})")
        claims[i : i + len(batch)] = np.minimum(logp, 0.0)
    return claims


def audit_positions(n_windows: int, t: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    """(window, position) pairs drawn uniformly over the scored tokens. The last position of window w
    predicts the first token of window w + 1, which any prefix of w + 1 shows: w + 1 is then not audited."""
    total = n_windows * t
    picked = rng.choice(total, size=min(AUDITS, max(1, total // AUDIT_EVERY)), replace=False)
    pairs = sorted({(int(k) // t, int(k) % t) for k in picked}, key=lambda p: (p[1], p[0]))
    last = {w for w, pos in pairs if pos == t - 1}
    return [(w, pos) for w, pos in pairs if w - 1 not in last]


def audit(player: Player, windows: np.ndarray, claims: np.ndarray, hidden: bool) -> None:
    """Raise Invalid when the claims exceed what the model predicts with the next token withheld.

    Requests go in order of position, so by the time a longer prefix of a window is shown, every shorter
    one has been answered."""
    t = claims.shape[1]
    rng = np.random.default_rng(secrets.randbits(64))
    excess = []
    for w, pos in audit_positions(len(windows), t, rng):
        where = "an audited held-out position" if hidden else f"dev window {w + 1}, position {pos}"
        prefix = windows[w : w + 1, : pos + 1].astype(np.int32)
        dist = float_array(ask(player, {"op": "predict", "tokens": prefix}, hidden, where), (1, VOCAB_SIZE),
                           "an audit request")[0]
        if np.isnan(dist).any() or (dist == np.inf).any():
            raise Invalid(f"the model gave NaN or infinite logits ({where})")
        top = dist.max()
        norm = top + math.log(float(np.exp(dist - top).sum())) if np.isfinite(top) else math.inf
        excess.append(claims[w, pos] - (dist[windows[w, pos + 1]] - norm))
    gaps = np.asarray(excess)
    if not gaps.size:
        return
    bad = int((gaps > AUDIT_POINT_TOL).sum())
    if bad or gaps.mean() > AUDIT_MEAN_TOL:
        raise Invalid(
            f"the log-probabilities scored with the whole window exceed what the model predicts when the next "
            f"token is withheld ({bad} of {len(gaps)} audited positions differ by more than {AUDIT_POINT_TOL} "
            f"nats{'' if hidden else f', mean excess {gaps.mean():.4f}'}): the model must not look at later tokens "
            f"(forward must be causal) and must be deterministic in eval mode")


def evaluate(tokens: np.ndarray, seq_len: int, hidden: bool) -> float:
    n_windows = (len(tokens) - 1) // seq_len
    if n_windows < 1:
        raise Invalid(f"fewer than {seq_len + 1} tokens to score")
    index = np.arange(n_windows)[:, None] * seq_len + np.arange(seq_len + 1)[None, :]
    windows = tokens[index]  # (n, T + 1): each window and the token after it
    with open_player() as player:
        ask(player, {"op": "load"}, False, "loading")
        # A first request on random ids, shown to the model before anything hidden: its errors are safe
        # to show in full (a wrong output shape, a crash).
        probe = np.random.default_rng(0).integers(0, VOCAB_SIZE, (min(BATCH_WINDOWS, n_windows), seq_len + 1))
        score(player, probe, False)
        claims = score(player, windows, hidden)
    # The audit's player is a fresh process, started after the first one was killed: it cannot remember
    # the windows, so it predicts every audited token without having seen it.
    with open_player(slot=1) as auditor:
        ask(auditor, {"op": "load"}, False, "loading")
        audit(auditor, windows, claims, hidden)
    return float(-claims.mean())


def main() -> None:
    for name in ("model.py", "model.pt"):
        if not (Path.cwd() / name).is_file():
            fail(f"{name} not found in the workspace (train the model to write model.pt)")
    tokens, seq_len, hidden = held_out()
    try:
        val_loss = evaluate(tokens, seq_len, hidden)
    except Invalid as exc:
        fail(str(exc))
    if not math.isfinite(val_loss):
        fail(f"the loss is {val_loss} (the model produced non-finite logits)")
    print(json.dumps({"val_loss": round(val_loss, 6), "val_perplexity": round(math.exp(min(val_loss, 50)), 4)}))


if __name__ == "__main__":
    main()

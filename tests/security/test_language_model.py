"""languageModelingFineWeb: the agent's model runs as a sandboxed player that answers token ids with
log-probabilities; the judge holds the held-out tokens, computes the loss and audits the claims with a
fresh player that never sees the token it predicts. Model code that prints a metrics line, writes into
the channel, patches the player or the evaluator, reads the held-out data, or looks at later tokens
(with or without remembering what it was sent) scores invalid or exactly its honest score, never more.

The model is a uniform one (a zero bias over the 50,257 tokens: honest loss ln 50257), so an episode
needs no training. Local backend only: the docker backend's player would need the task image built with
the torch requirements (``MLGYM_DOCKER_TASKS`` in scripts/setup-docker.sh), about 1 GB more."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from mlgym_tui.core.env import ResearchEnv
from mlgym_tui.core.evaluation import round_reported
from mlgym_tui.core.task_sources import load_task
from tests.security.conftest import Step, agent_reads, stepper, write

pytestmark = pytest.mark.xdist_group("torch-tasks")

TASK = "languageModelingFineWeb"
HONEST = round_reported(math.log(50257), 4, load_task(TASK).baseline.scores["val_loss"])
"""The uniform model's loss as a validation reports it (4 significant digits at the baseline's scale)."""

UNIFORM = '''
import torch

class Uniform(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.bias = torch.nn.Parameter(torch.zeros(50257))

    def forward(self, idx):
        return self.bias.expand(*idx.shape, 50257)

def build_model():
    return Uniform()
'''

WEIGHTS = "python -c \"import torch, model; torch.save(model.build_model().state_dict(), 'model.pt')\""


@contextmanager
def attacked(attack: str) -> Iterator[tuple[ResearchEnv, Step]]:
    """An episode whose model.py is the uniform model with ``attack`` appended, and its weights."""
    env = ResearchEnv(TASK, backend="local")
    env.reset(seed=0)
    try:
        act = stepper(env)
        write(act, "model.py", UNIFORM + attack)
        obs, _, info = act(WEIGHTS)
        assert info["exit_code"] == 0, obs
        yield env, act
    finally:
        env.close()


def validate(act: Step) -> tuple[str, dict[str, Any]]:
    obs, _, info = act("validate")
    return obs, info["evaluation"]


def never_better(obs: str, evaluation: dict[str, Any]) -> None:
    if evaluation["valid"]:
        assert evaluation["metrics"]["val_loss"] >= HONEST, obs


@pytest.mark.nightly  # a full evaluation (60-110 s on two cores); CI keeps the printed-line and peeking attacks
def test_the_uniform_model_scores_ln_vocab() -> None:
    with attacked("") as (_, act):
        obs, evaluation = validate(act)
        assert evaluation["valid"], obs
        assert evaluation["metrics"]["val_loss"] == HONEST, obs
        obs, _, info = act("submit")  # full precision: the mean of the claims is exactly ln 50257
    assert info["evaluation"]["metrics"]["val_loss"] == pytest.approx(math.log(50257), abs=1e-5), obs


PRINTER = '''
import json as _json, os as _os, sys as _sys
_LINE = _json.dumps({"val_loss": 0.001, "val_perplexity": 1.001})
print(_LINE)
_sys.__stdout__.write(_LINE + "\\n"); _sys.__stdout__.flush()
_os.write(1, (_LINE + "\\n").encode())
_honest_forward = Uniform.forward
def _forward(self, idx):
    print(_LINE)
    return _honest_forward(self, idx)
Uniform.forward = _forward
'''

CHANNEL_WRITER = '''
import json as _json, os as _os
_LINE = _json.dumps({"val_loss": 0.001, "val_perplexity": 1.001})
for _fd in range(3, 64):  # every inherited descriptor, the channel among them
    try:
        _os.write(_fd, (_LINE + "\\n").encode())
    except OSError:
        pass
'''


def test_a_metrics_line_printed_by_the_model_is_not_the_score() -> None:
    with attacked(PRINTER) as (_, act):
        obs, evaluation = validate(act)
    assert evaluation["valid"], obs
    assert evaluation["metrics"]["val_loss"] == HONEST, obs
    with attacked(CHANNEL_WRITER) as (_, act):
        obs, evaluation = validate(act)
    never_better(obs, evaluation)
    assert not evaluation["valid"] and "the player answered" in obs, obs


PATCHER = '''
import os as _os, sys as _sys
_main = _sys.modules.get("__main__")
if _main is not None and hasattr(_main, "log_probs"):  # the player's driver: claim every token certain
    _orig = _main.log_probs
    def _certain(model, device, ids):
        return torch.zeros_like(_orig(model, device, ids))
    _main.log_probs = _certain
for _path in ("evaluate.py", "player.py", TASK_DIR + "/evaluate.py", TASK_DIR + "/player.py"):
    try:
        _os.chmod(_path, 0o644)
    except OSError:
        pass
    try:
        with open(_path, "a") as _f:
            _f.write("\\nAUDITS = 0\\nAUDIT_POINT_TOL = AUDIT_MEAN_TOL = 1e9\\n")
    except OSError:
        pass
'''


@pytest.mark.nightly  # a full evaluation (60-110 s on two cores); CI keeps the printed-line and peeking attacks
def test_the_model_cannot_patch_the_player_or_the_evaluator() -> None:
    with attacked(PATCHER.replace("TASK_DIR", repr(str(load_task(TASK).dir)))) as (_, act):
        obs, evaluation = validate(act)
    never_better(obs, evaluation)
    # the patched player claims every token certain; the fresh auditor's distribution (patched to zeros,
    # normalised by the judge: uniform) does not back it. Where the player could reach a read-only file
    # (local without a sandbox), the run is tampered instead.
    assert not evaluation["valid"], obs
    assert "must not look at later tokens" in obs or "tampered" in obs, obs


READER = '''
import os as _os
_found = []
for _root in (_os.environ.get("MLGYM_PRIVATE_DATA", ""), "/mlgym/private", PRIVATE_ON_HOST):
    if _root and _os.path.isdir(_root):
        for _dirpath, _, _files in _os.walk(_root):
            _found += [_os.path.join(_dirpath, _f) for _f in _files]
_shard = [p for p in _found if p.endswith("fineweb_val_000000.bin")]
_held_out, _where = None, {}
if _shard:
    import numpy as _np
    _held_out = torch.from_numpy(_np.fromfile(_shard[0], dtype="<u2", offset=1024).astype("int64"))
    _list = _held_out.tolist()
    _where = {tuple(_list[i:i + 8]): i for i in range(len(_list) - 8)}
for _path in ("leak.txt", "/tmp/leak.txt", _os.path.expanduser("~/leak.txt")):
    try:
        with open(_path, "a") as _f:
            _f.write("FILES:" + " ".join(_found) + "\\n")
    except OSError:
        pass
_honest_forward = Uniform.forward
def _forward(self, idx):
    out = _honest_forward(self, idx)
    if _held_out is None:
        return out
    out = out.clone()
    n = idx.shape[1]
    for row in range(idx.shape[0]):  # find the window in the held-out tokens, put all mass on the truth
        start = _where.get(tuple(idx[row, :8].tolist()))
        if start is not None and start + n < len(_held_out):
            out[row, :, :] = -30.0
            out[row].scatter_(-1, _held_out[start + 1:start + n + 1, None].to(idx.device), 30.0)
    return out
Uniform.forward = _forward
'''


@pytest.mark.nightly  # a full evaluation (60-110 s on two cores); CI keeps the printed-line and peeking attacks
def test_the_model_cannot_read_the_held_out_tokens() -> None:
    with attacked("") as (env, act):
        assert env._prepared is not None and env._prepared.private is not None
        private = str(env._prepared.private)
        if agent_reads(act, private):
            pytest.skip("the local backend without a sandbox lets agent code read the private data "
                        "(README: what each backend protects)")
    with attacked(READER.replace("PRIVATE_ON_HOST", repr(private))) as (_, act):
        obs, evaluation = validate(act)
        seen, _, _ = act("cat leak.txt /tmp/leak.txt ~/leak.txt 2>&1; ls")
    assert evaluation["valid"], obs
    assert evaluation["metrics"]["val_loss"] == HONEST, obs
    # the agent's own shell imports model.py too (to save the weights) and finds nothing: "FILES:" alone
    assert "fineweb_val" not in seen, seen
    assert all(line.strip() == "FILES:" for line in seen.splitlines() if line.startswith("FILES:")), seen


PEEKER = '''
_honest_forward = Uniform.forward
def _forward(self, idx):  # reads the next input token: not causal
    out = _honest_forward(self, idx).clone()
    out[:, :-1, :] = -30.0
    out[:, :-1].scatter_(-1, idx[:, 1:, None], 30.0)
    return out
Uniform.forward = _forward
'''

MEMORY_PEEKER = '''
import json as _json, os as _os
_seen = []
for _path in ("/tmp/seen.json", _os.path.expanduser("~/seen.json"), "seen.json"):
    try:
        _seen += _json.load(open(_path))  # windows an earlier process of this evaluation saved
    except (OSError, ValueError):
        pass
_honest_forward = Uniform.forward
def _forward(self, idx):
    out = _honest_forward(self, idx).clone()
    rows = idx.tolist()
    if idx.shape[1] > 1:  # a scoring window: remember it everywhere it might survive, then peek
        _seen.extend(rows)
        for _path in ("/tmp/seen.json", _os.path.expanduser("~/seen.json"), "seen.json"):
            try:
                _json.dump(_seen, open(_path, "w"))
            except OSError:
                pass
    out[:, :-1, :] = -30.0
    out[:, :-1].scatter_(-1, idx[:, 1:, None], 30.0)
    for r, row in enumerate(rows):  # an audit prefix: the next token from memory, if remembered
        for window in _seen:
            if window[: len(row)] == row and len(window) > len(row):
                out[r, -1, :] = -30.0
                out[r, -1, window[len(row)]] = 30.0
                break
    return out
Uniform.forward = _forward
'''


@pytest.mark.parametrize("attack", [PEEKER, pytest.param(MEMORY_PEEKER, marks=pytest.mark.nightly)],
                         ids=["peeks", "peeks-and-remembers"])  # the remembering peeker: CI in test_language_model_protocol
def test_a_model_that_looks_at_later_tokens_is_invalid(attack: str) -> None:
    with attacked(attack) as (_, act):
        obs, evaluation = validate(act)
        left, _, _ = act("test -e seen.json -o -e ~/seen.json -o -e /tmp/seen.json && echo LEFT || echo CLEAN")
    never_better(obs, evaluation)
    assert not evaluation["valid"], obs
    assert "the model must not look at later tokens" in obs, obs
    assert "CLEAN" in left, left  # nothing it was shown was left for the agent

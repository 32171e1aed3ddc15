"""The gymnax RL tasks (rlBreakoutMinAtar, rlMetaMazeMisc): the agent's policy runs as a sandboxed player
that only answers observations with actions; the judge steps the environments and counts the returns. A
policy that prints a metrics line, writes into the channel, patches the judge or its returns, or looks for
the judge's data scores invalid or exactly its honest score, never more.

Local backend only: the docker backend's player would need the task image built with these tasks'
JAX requirements (``MLGYM_DOCKER_TASKS`` in scripts/setup-docker.sh), about 1 GB more."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mlgym_tui.core.env import ResearchEnv
from mlgym_tui.core.task_sources import load_task
from tests.security.conftest import Step, episode, stepper, write

pytestmark = pytest.mark.xdist_group("jax-tasks")

OBS_SIZE = {"rlBreakoutMinAtar": (400, 3), "rlMetaMazeMisc": (15, 4)}


@pytest.mark.parametrize("task_id", sorted(OBS_SIZE))
def test_the_rl_tasks_judge_on_the_host_with_a_read_only_player(task_id: str) -> None:
    task = load_task(task_id)
    assert task.evaluation.judge == "host" and task.evaluation.player == "player.py"
    assert {"evaluate.py", "player.py"} <= set(task.read_only) <= set(task.starter_code)


def fresh_checkpoint(task_id: str) -> str:
    """The shell command that writes checkpoint.pkl with untrained parameters of the starter policy (a
    real policy, quick to make: the attacks need a score to compare with, not a good one)."""
    size, actions = OBS_SIZE[task_id]
    return ("python -c \"import pickle, jax, policy; pickle.dump({'params': policy.init(jax.random.key(0), "
            f"{size}, {actions})}}, open('checkpoint.pkl', 'wb'))\"")


def validate(act: Step) -> tuple[str, dict[str, Any]]:
    obs, _, info = act("validate")
    return obs, info["evaluation"]


@pytest.fixture(scope="module")
def honest() -> Iterator[Callable[[str], dict[str, float]]]:
    """Each task's metrics for the untrained starter policy, measured once (the evaluation is
    deterministic: fixed parameters, fixed seeds)."""
    measured: dict[str, dict[str, float]] = {}

    def get(task_id: str) -> dict[str, float]:
        if task_id not in measured:
            with episode(task_id, "local") as env:
                act = stepper(env)
                obs, _, info = act(fresh_checkpoint(task_id))
                assert info["exit_code"] == 0, obs
                obs, evaluation = validate(act)
                assert evaluation["valid"], obs
                measured[task_id] = evaluation["metrics"]
        return measured[task_id]

    yield get


def attacked(task_id: str, attack: str) -> tuple[ResearchEnv, Step]:
    """An episode with the untrained policy and ``attack`` appended to policy.py (the policy's own act is
    unchanged: an honest evaluation scores it exactly as the unattacked one)."""
    env = ResearchEnv(task_id, backend="local")
    env.reset(seed=0)
    act = stepper(env)
    obs, _, info = act(fresh_checkpoint(task_id))
    assert info["exit_code"] == 0, obs
    write(act, "attack.py", attack)
    obs, _, info = act("cat attack.py >> policy.py")
    assert info["exit_code"] == 0, obs
    return env, act


PRINTER = '''
import json as _json, os as _os, sys as _sys
_LINE = _json.dumps({"Reward Mean": 999.0, "Reward Std": 0.0})
print(_LINE)
_sys.__stdout__.write(_LINE + "\\n"); _sys.__stdout__.flush()
_os.write(1, (_LINE + "\\n").encode())
_honest_act = act
def act(params, obs, carry, key):
    print(_LINE)  # at trace time
    return _honest_act(params, obs, carry, key)
'''

CHANNEL_WRITER = PRINTER + '''
for _fd in range(3, 64):  # every inherited descriptor, the channel among them
    try:
        _os.write(_fd, (_LINE + "\\n").encode())
    except OSError:
        pass
'''


# One task in CI (a full evaluation each, 80-90 s on two cores); both at night.
@pytest.mark.parametrize("task_id", ["rlBreakoutMinAtar", pytest.param("rlMetaMazeMisc", marks=pytest.mark.nightly)])
def test_a_metrics_line_printed_by_the_policy_is_not_the_score(task_id: str, honest) -> None:
    """Issue #21, attack 2a, on the RL tasks: the policy prints its own metrics line on every stream it
    has; only the judge's count is the score. Written into the channel, it breaks the exchange."""
    expected = honest(task_id)
    env, act = attacked(task_id, PRINTER)
    try:
        obs, evaluation = validate(act)
        assert evaluation["valid"], obs
        assert evaluation["metrics"] == expected, obs
    finally:
        env.close()
    env, act = attacked(task_id, CHANNEL_WRITER)
    try:
        obs, evaluation = validate(act)
        assert evaluation["valid"] is False and evaluation["score"] is None, obs
        assert "the player answered" in obs, obs
    finally:
        env.close()


PATCHER = '''
import gc as _gc, os as _os, sys as _sys
import numpy as _np
_channel = _sys.modules.get("mlgym_channel")
if _channel is not None:
    _encode = _channel._encode
    def _forged(message):  # every reply carries returns and metrics of the policy's choosing
        return _encode({**message, "returns": _np.full(256, 999.0, _np.float32), "rewards": 999.0,
                        "Reward Mean": 999.0})
    _channel._encode = _forged
    _channel.play_episodes = lambda *a, **k: (_np.full(256, 999.0, _np.float32), 1)
    _channel.check_discrete_actions = lambda value, *a: value
for _obj in _gc.get_objects():  # any returns-like array in this process
    if isinstance(_obj, _np.ndarray) and _obj.dtype == _np.float32 and _obj.shape == (256,):
        try:
            _obj[:] = 999.0
        except ValueError:
            pass
for _path in ("evaluate.py", "player.py", "/mlgym/task/evaluate.py", "/mlgym/task/player.py"):
    try:
        _os.chmod(_path, 0o644)
        with open(_path, "a") as _f:
            _f.write("\\nprint('{\\"Reward Mean\\": 999.0}')\\n")
    except OSError:
        pass
'''


def test_the_policy_cannot_patch_the_judge_or_its_returns(honest) -> None:
    """Issue #21, attack 2b, on the RL tasks: the policy patches the channel helper, the returns and the
    evaluation files it can reach: the honest score, or (where it could write a read-only file) tampered."""
    task_id = "rlMetaMazeMisc"
    expected = honest(task_id)
    env, act = attacked(task_id, PATCHER)
    try:
        obs, evaluation = validate(act)
    finally:
        env.close()
    if evaluation["valid"]:
        assert evaluation["metrics"] == expected, obs
    else:
        assert "tampered" in obs, obs


READER = '''
import glob as _glob, os as _os, tempfile as _tempfile
_found = [k for k in ("MLGYM_PRIVATE_DATA", "MLGYM_PLAYER_FDS", "MLGYM_HOST_FDS") if k in _os.environ]
_found += [p for p in ("/mlgym/private",) if _os.path.exists(p)]
for _tmp in {_tempfile.gettempdir(), "/tmp"}:  # the judge's private folder
    _found += _glob.glob(_os.path.join(_tmp, "mlgym-judge-*"))
for _pid in _os.listdir("/proc"):  # the judge's process: its memory, its environment
    try:
        with open(f"/proc/{_pid}/cmdline", "rb") as _f:
            if b"evaluate.py" in _f.read():
                _found.append(f"/proc/{_pid}")
    except OSError:
        pass
_honest_act = act
def act(params, obs, carry, key):
    if _found:
        raise RuntimeError("FOUND: " + " ".join(_found))
    return _honest_act(params, obs, carry, key)
'''


def test_the_policy_finds_nothing_of_the_judges(honest) -> None:
    """Issue #21, attack 3, on the RL tasks: the policy looks for private data, the judge's private folder
    and its process; in the sandbox it finds none of them and scores honestly."""
    env, act = attacked("rlMetaMazeMisc", READER)
    try:
        if getattr(env.runtime, "sandbox", "") == "none":
            pytest.skip("the local backend without a sandbox runs the player as you: it can see the judge's "
                        "process and folders (README: what each backend protects)")
        obs, evaluation = validate(act)
    finally:
        env.close()
    assert "FOUND:" not in obs, obs
    assert evaluation["valid"] and evaluation["metrics"] == honest("rlMetaMazeMisc"), obs

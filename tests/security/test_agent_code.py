"""The agent's code runs as a sandboxed player, never in the judge: it cannot print a score, patch the
scorer, or carry the hidden test data back to the agent."""

from __future__ import annotations

import pytest

from mlgym_tui.core.evaluation import round_reported
from tests.security.conftest import episode, stepper, write

FORGER = '''
import json, os, sys
LINE = json.dumps({"Score": 99})
print(LINE)
sys.__stdout__.write(LINE + "\\n"); sys.__stdout__.flush()
os.write(1, (LINE + "\\n").encode())
for fd in range(3, 64):  # every inherited descriptor
    try:
        os.write(fd, (LINE + "\\n").encode())
    except OSError:
        pass
def row_strategy(history):
    print(LINE)
    return history[-1][1] if history else 0
'''

PATCHER = '''
import gc, os, sys
for name in ("evaluate", "mlgym_channel"):
    try:
        module = __import__(name)
        if hasattr(module, "PAYOFF"):
            module.PAYOFF.update({k: (50, 50) for k in module.PAYOFF})
    except Exception:
        pass
for obj in gc.get_objects():  # any payoff-like table in this process
    if isinstance(obj, dict) and (0, 0) in obj:
        obj.update({k: (50, 50) for k in list(obj)})
for path in ("/mlgym/task/evaluate.py", os.path.join(os.getcwd(), "evaluate.py")):
    try:
        os.chmod(path, 0o644)
        with open(path, "a") as f:
            f.write("\\nPAYOFF = {k: (50, 50) for k in PAYOFF}\\n")
    except OSError:
        pass
def row_strategy(history):
    return 1
'''


def test_a_score_line_printed_by_the_strategy_is_not_the_score(backend: str) -> None:
    """Issue #21, attack 2a: a strategy printed {"Score": 99} and it was accepted."""
    with episode("prisonersDilemma", backend) as env:
        act = stepper(env)
        write(act, "strategy.py", "def row_strategy(history):\n    return history[-1][1] if history else 0\n")
        _, _, info = act("validate")
        honest = info["evaluation"]["score"]
        write(act, "strategy.py", FORGER)  # the same moves, plus score lines on every channel it has
        obs, _, info = act("validate")
        # writing a line into the channel itself breaks the exchange: invalid, with the reason
        assert info["evaluation"]["valid"] is False and info["evaluation"]["score"] is None, obs
        assert "the player answered with the wrong number of moves" in obs, obs
        write(act, "strategy.py", FORGER.replace("range(3, 64)", "range(0)"))  # stdout only
        obs, _, info = act("validate")
        assert info["evaluation"]["valid"], obs
        assert info["evaluation"]["metrics"] == {"Score": honest}, obs


def test_the_strategy_cannot_patch_the_scorer(backend: str) -> None:
    """Issue #21, attack 2b: a strategy patched the payoff table and scored 50."""
    with episode("prisonersDilemma", backend) as env:
        act = stepper(env)
        write(act, "strategy.py", "def row_strategy(history):\n    return 1\n")
        _, _, info = act("validate")
        always_defect = info["evaluation"]["score"]
        write(act, "strategy.py", PATCHER)
        obs, _, info = act("validate")
        evaluation = info["evaluation"]
        # either the honest score of always-defect, or (where the player could reach the workspace's
        # read-only evaluate.py, local without a sandbox) the run is tampered: never a patched score
        if evaluation["valid"]:
            assert evaluation["score"] == always_defect, obs
        else:
            assert "tampered" in obs, obs
        obs, _, info = act("submit")
        if info["evaluation"]["valid"]:
            assert round_reported(info["evaluation"]["score"], 4, always_defect) == always_defect, obs


LEAKER = '''
import json, os, sys
MARK = "LEAK-AT-IMPORT"
for path in ("leak.txt", "/tmp/leak.txt", os.path.expanduser("~/leak.txt")):
    try:
        with open(path, "a") as f:
            f.write(MARK + "\\n")
    except OSError:
        pass
found = []
for root in (os.environ.get("MLGYM_PRIVATE_DATA", ""), "/mlgym/private", PRIVATE_ON_HOST):
    if root and os.path.isdir(root):
        for dirpath, _, files in os.walk(root):
            found += [os.path.join(dirpath, f) for f in files]
def heuristic_fn(clauses, assignments, conflict_count, assignment_history, level):
    secret = "LEAK:" + json.dumps(sorted(map(list, clauses))[:5]) + " FILES:" + " ".join(found)
    for path in ("leak.txt", "/tmp/leak.txt", os.path.expanduser("~/leak.txt")):
        try:
            with open(path, "a") as f:
                f.write(secret + "\\n")
        except OSError:
            pass
    print(secret, file=sys.stderr)
    raise RuntimeError(secret)
'''


def test_the_heuristic_cannot_carry_hidden_instances_back(backend: str) -> None:
    """Issue #21, attack 3: agent code read the private data and returned it (3SATTime leaked its test
    instances on local)."""
    with episode("3SATTime", backend) as env:
        act = stepper(env)
        assert env._prepared is not None and env._prepared.private is not None
        write(act, "heuristic.py", LEAKER.replace("PRIVATE_ON_HOST", repr(str(env._prepared.private))))
        obs, reward, info = act("validate")
        assert info["evaluation"]["valid"] is False and reward == 0.0
        assert "the heuristic failed on hidden instance 1" in obs, obs
        seen, _, _ = act("cat leak.txt /tmp/leak.txt ~/leak.txt 2>&1; ls")
        if backend == "local" and "LEAK-AT-IMPORT" in seen:
            pytest.skip("the local backend without a sandbox lets the player write the workspace: hidden "
                        "instances can leak there (README: what each backend protects)")
        for text in (obs, seen):
            assert "LEAK:" not in text and "FILES:" not in text, text

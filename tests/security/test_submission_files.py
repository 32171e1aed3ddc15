"""Submissions are data: links to the labels, named pipes, huge and sparse files are refused with the
reason, and copying the workspace out never takes more host disk than the task's limit."""

from __future__ import annotations

import json
from pathlib import Path

from mlgym_tui.core.submission import MANIFEST
from tests.security.conftest import agent_reads, episode, stepper, write

HONEST_STRATEGY = "def row_strategy(history):\n    return history[-1][1] if history else 0\n"


def test_a_link_to_the_labels_is_refused(backend: str) -> None:
    """Issue #21, attack 1: `ln -sf /mlgym/private/answer.csv submission.csv` scored r2 = 1.0."""
    with episode("regressionKaggleHousePrice", backend) as env:
        act = stepper(env)
        assert env._prepared is not None and env._prepared.private is not None
        host_labels = env._prepared.private / "answer.csv"
        for target in ("/mlgym/private/answer.csv", str(host_labels)):
            act(f"ln -sfn {target} submission.csv")
            obs, reward, info = act("validate")
            assert info["evaluation"]["valid"] is False and info["evaluation"]["score"] is None, obs
            assert reward == 0.0
            assert "submission refused: submission.csv is a symbolic link" in obs, obs
        # a link to a folder on the way is a link too
        act("rm -f submission.csv; mkdir -p real; ln -sfn real linked; echo Id,SalePrice > real/x.csv")
        act("ln -sfn linked/x.csv submission.csv")
        obs, _, info = act("validate")
        assert info["evaluation"]["valid"] is False and "symbolic link" in obs, obs


def test_a_named_pipe_huge_or_sparse_submission_is_refused(backend: str) -> None:
    """Issue #21, attack 6: a 1 GB submission was kept; sparse files took 12 GB of host disk."""
    with episode("prisonersDilemma", backend) as env:
        act = stepper(env)
        limit = env.task.evaluation.max_submission_bytes
        act("rm strategy.py; mkfifo strategy.py")
        obs, _, info = act("validate")
        assert not info["evaluation"]["valid"] and "strategy.py is a named pipe" in obs, obs
        act("rm strategy.py; truncate -s 4G strategy.py")  # 4 GiB apparent, nothing on disk
        obs, _, info = act("validate")
        assert not info["evaluation"]["valid"], obs
        assert "the submission is 4.0 GiB (0 bytes on disk)" in obs and "at most 256.0 MiB" in obs, obs
        act(f"rm strategy.py; fallocate -l {limit + 1} strategy.py || head -c {limit + 1} /dev/zero > strategy.py")
        obs, _, info = act("validate")
        assert not info["evaluation"]["valid"] and "this task accepts at most 256.0 MiB" in obs, obs
        assert env.best is None


def test_copying_the_workspace_out_is_bounded_by_the_limit(backend: str, tmp_path: Path) -> None:
    with episode("prisonersDilemma", backend) as env:
        act = stepper(env)
        limit = env.task.evaluation.max_submission_bytes
        write(act, "strategy.py", HONEST_STRATEGY)
        act("truncate -s 8G sparse.bin; mkfifo pipe; ln -s /etc/passwd link")
        act(f"fallocate -l {limit // 2} half1.bin || head -c {limit // 2} /dev/zero > half1.bin")
        act("cp half1.bin half2.bin; cp half1.bin half3.bin")
        obs, _, info = act("submit")
        assert info["evaluation"]["valid"], obs
        run = tmp_path / "run"
        run.mkdir()
        env.copy_workspace_out(run / "workspace")
    copied = sum(p.stat().st_blocks * 512 for p in (run / "workspace").rglob("*") if p.is_file())
    assert copied <= limit
    assert (run / "workspace" / "strategy.py").read_text().strip() == HONEST_STRATEGY.strip()
    manifest = json.loads((run / MANIFEST).read_text())
    left = {entry["path"]: entry for entry in manifest["not_copied"]}
    assert left["sparse.bin"]["size"] == 8 << 30 and left["sparse.bin"]["disk"] < (1 << 20)
    assert left["pipe"]["kind"] == "fifo" and left["link"]["kind"] == "link"
    assert sum(name.startswith("half") for name in left) >= 1  # the three halves do not all fit


def test_the_labels_stay_out_of_the_agents_reach(backend: str) -> None:
    """Where the sandbox hides the host (docker), nothing the agent can name reaches the private data."""
    with episode("regressionKaggleHousePrice", backend) as env:
        act = stepper(env)
        assert env._prepared is not None and env._prepared.private is not None
        host_labels = env._prepared.private / "answer.csv"
        if backend == "local" and agent_reads(act, str(host_labels)):
            import pytest

            pytest.skip("the local backend without a sandbox runs the agent as you: it can read the "
                        "host's private data (README: what each backend protects)")
        obs, _, _ = act(f"cat {host_labels} /mlgym/private/answer.csv 2>&1 | head -3; ls /mlgym 2>&1")
        first_label = host_labels.read_text().splitlines()[1]
        assert first_label not in obs

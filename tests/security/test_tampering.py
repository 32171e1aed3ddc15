"""Tampering is final: once an evaluation file changed, restoring it does not make the run scored."""

from __future__ import annotations

from pathlib import Path

from mlgym_tui.core.runtime.docker import DockerRuntime
from tests.security.conftest import episode, stepper


def test_restoring_a_tampered_file_does_not_restore_scoring(backend: str) -> None:
    """Issue #21, attack 5: after "tampered … not scored", restoring the file scored normally."""
    with episode("prisonersDilemma", backend) as env:
        act = stepper(env)
        act("cp evaluate.py /tmp/evaluate.orig")
        obs, _, _ = act("chmod u+w evaluate.py && echo '# mine' >> evaluate.py; echo rc=$?")
        host_copy = None
        if "rc=0" not in obs:  # the agent cannot change it (a sandbox): someone outside it can
            if isinstance(env.runtime, DockerRuntime):
                code, _ = env.runtime.container.exec_run(
                    ["sh", "-c", "echo '# changed' >> /home/agent/workspace/evaluate.py"], user="root")
                assert code == 0
            else:
                host_copy = Path(env.runtime.workspace_path) / "evaluate.py"  # type: ignore[attr-defined]
                original = host_copy.read_bytes()
                host_copy.chmod(0o644)
                host_copy.write_bytes(original + b"# changed\n")
        obs, reward, info = act("validate")
        assert info["evaluation"]["valid"] is False and reward == 0.0
        assert "tampered" in obs and "evaluate.py" in obs, obs
        if isinstance(env.runtime, DockerRuntime):
            env.runtime.container.exec_run(
                ["sh", "-c", "cp /tmp/evaluate.orig /home/agent/workspace/evaluate.py"], user="root")
        elif host_copy is not None:
            host_copy.write_bytes(original)
            host_copy.chmod(0o444)
        else:
            act("cp /tmp/evaluate.orig evaluate.py && chmod a-w evaluate.py")
        for action in ("validate", "submit"):
            obs, reward, info = act(action)
            assert info["evaluation"]["valid"] is False and reward == 0.0, obs
            assert "marked tampered at step" in obs and "nothing in this episode is scored" in obs, obs

"""A judge's second player slot is a fresh process that shares nothing with the first: what the first was
shown (kept in memory, written to /tmp, HOME or the workspace, or left to a background process) does
not reach it. FineWeb's audit depends on this."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mlgym_tui.core.env import ResearchEnv
from mlgym_tui.task_lib import TASK_LIB
from tests.conftest import require_docker

JUDGE = """
import json
from mlgym_channel import ChannelError, open_player
with open_player() as first:
    first.ask({"op": "remember", "secret": "S3CRET-7"})
with open_player(slot=1) as second:
    reply = second.ask({"op": "recall"})
try:
    open_player(slot=2)
    extra = "opened"
except ChannelError as exc:
    extra = str(exc)
print(json.dumps({"Score": 0 if reply["recalled"] else 1}))
import sys; print(json.dumps({"recalled": reply["recalled"], "extra": extra}), file=sys.stderr)
"""

PLAYER = """
import os, subprocess, sys, tempfile, time
from mlgym_channel import serve
memory = []
TMP = os.path.join(tempfile.gettempdir(), "secret")
PLACES = [TMP, os.path.expanduser("~/secret"), "secret"]

def handle(request):
    if request["op"] == "remember":
        memory.append(request["secret"])
        for place in PLACES:
            try:
                with open(place, "w") as f:
                    f.write(request["secret"])
            except OSError:
                pass
        # a descendant that outlives its player would keep writing the secret
        subprocess.Popen([sys.executable, "-c", "import sys, time\\nfor _ in range(100):\\n    "
                          "open(sys.argv[1], 'w').write('S3CRET-7')\\n    time.sleep(0.05)", TMP],
                         start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return {}
    time.sleep(0.3)
    found = list(memory)
    for place in PLACES:
        try:
            found.append(open(place).read())
        except OSError:
            pass
    return {"recalled": [x for x in found if "S3CRET" in x]}

serve(handle)
"""


@pytest.fixture
def two_player_task(tasks_root: Path) -> Path:
    folder = tasks_root / "freshPlayer"
    folder.mkdir()
    (folder / "evaluate.py").write_text(JUDGE)
    (folder / "player.py").write_text(PLAYER)
    (folder / "task.yaml").write_text(textwrap.dedent("""\
        id: freshPlayer
        name: Fresh player
        domain: Test
        description: A judge that asks a second, fresh player what the first one was told.
        starter_code: [evaluate.py, player.py]
        read_only: [evaluate.py, player.py]
        metrics:
          - {name: Score, direction: max, primary: true, lower: 0, upper: 1}
        evaluation: {script: evaluate.py, player: player.py, timeout: 120, submission: []}
        baseline: {scores: {Score: 1.0}}
        """))
    return folder


@pytest.mark.parametrize("backend", ["local", pytest.param("docker", marks=[pytest.mark.docker])])
def test_the_second_slot_remembers_nothing_of_the_first(two_player_task: Path, backend: str) -> None:
    if backend == "docker":
        require_docker()
    env = ResearchEnv("freshPlayer", backend=backend)
    env.reset(seed=0)
    try:
        for _ in range(5):  # the hand-over races with the first player's relay (a reply once went astray)
            obs, _, _, _, info = env.step("validate")
            assert info["evaluation"]["valid"] and info["evaluation"]["metrics"] == {"Score": 1.0}, obs
        seen, _, _, _, _ = env.step("cat secret ~/secret /tmp/secret 2>&1; true")
        assert "S3CRET" not in seen, seen
    finally:
        env.close()


def test_run_by_hand_each_slot_is_a_new_process(two_player_task: Path, tmp_path: Path) -> None:
    (tmp_path / "home").mkdir()
    (tmp_path / "tmp").mkdir()
    proc = subprocess.run([sys.executable, str(two_player_task / "evaluate.py")], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(TASK_LIB),
                               "HOME": str(tmp_path / "home"), "TMPDIR": str(tmp_path / "tmp")})
    assert proc.returncode == 0, proc.stderr
    # by hand nothing isolates the processes' files (the workspace is writable): only memory is fresh
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    assert "S3CRET-7" in report["recalled"]  # from the files (HOME and the folder: 2; /tmp: 0 or 1 as the
    assert report["recalled"].count("S3CRET-7") <= 3  # writer races), never from the first one's memory
    assert report["extra"] == "opened"

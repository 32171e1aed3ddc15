"""The judge/player protocol of the discrete-action RL tasks (``play_episodes`` in ``mlgym_channel``), on a
tiny numpy corridor instead of gymnax: the judge alone steps the environments and counts the returns, one
round trip per step for all episodes, and whatever the player's code prints or answers cannot raise the
score. (The gymnax tasks themselves: tests/tasks_torch_jax/test_rl_gymnax.py, tests/security/.)"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from mlgym_tui.task_lib import TASK_LIB

sys.path.insert(0, str(TASK_LIB))
import mlgym_channel as channel  # noqa: E402 - task scripts find it on their PYTHONPATH

LENGTHS = [1, 3, 5, 2]
"""Corridor length per episode: action 1 steps right; the last step right is worth 1 and ends it."""


class Corridors:
    """The judge's environments: one corridor per episode. After an episode ended it keeps paying 5 per
    step (as gymnax's auto-reset keeps going), which the judge must not count."""

    def __init__(self) -> None:
        self.position = np.zeros(len(LENGTHS), np.int64)
        self.ended = np.zeros(len(LENGTHS), bool)
        self.steps = 0

    def reset(self) -> dict:
        return {"obs": self.position.astype(np.float32)[:, None], "keys": np.arange(len(LENGTHS), dtype=np.uint32)}

    def step(self, actions: np.ndarray):
        self.steps += 1
        self.position += actions == 1
        arrived = self.position >= np.array(LENGTHS)
        rewards = np.where(self.ended, 5.0, np.where(arrived, 1.0, 0.0))
        self.ended |= arrived
        return self.reset(), rewards, arrived


def start_player(tmp_path: Path, body: str) -> channel.Player:
    """A player whose ``act(obs, keys)`` is ``body``, served as a task's player.py serves the agent's."""
    script = tmp_path / "player.py"
    script.write_text(textwrap.dedent("""
        import os, sys
        import numpy as np
        from mlgym_channel import claim_stdout, serve
        claim_stdout()
        def act(obs, keys):
        {body}
        serve(lambda request: {{"actions": act(request["obs"], request["keys"])}})
    """).format(body=textwrap.indent(textwrap.dedent(body), "    ")))
    process = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env={"PYTHONPATH": str(TASK_LIB), "PATH": "/usr/bin:/bin"})
    assert process.stdin is not None and process.stdout is not None
    return channel.Player(process.stdout, process.stdin, process)


@pytest.fixture
def player_with(tmp_path: Path) -> Iterator:
    players: list[channel.Player] = []

    def make(body: str) -> channel.Player:
        players.append(start_player(tmp_path, body))
        return players[-1]

    yield make
    for player in players:
        assert player._process is not None
        player._process.kill()
        player.close()


def test_the_judge_counts_returns_with_one_round_trip_per_step(player_with) -> None:
    player = player_with("return np.ones(len(obs), np.int32)")
    asked = []
    ask = player.ask
    player.ask = lambda request: (asked.append(request), ask(request))[1]  # type: ignore[method-assign]
    env = Corridors()
    returns, steps = channel.play_episodes(player, env, max_steps=100, num_actions=2)
    assert returns.tolist() == [1.0, 1.0, 1.0, 1.0]  # the 5s paid after an episode ended never count
    assert steps == env.steps == max(LENGTHS) == len(asked)  # steps, not steps x episodes
    assert all(r["obs"].shape == (len(LENGTHS), 1) and r["keys"].dtype == np.uint32 for r in asked)


def test_the_step_limit_ends_every_episode(player_with) -> None:
    returns, steps = channel.play_episodes(player_with("return np.zeros(len(obs), np.int64)"), Corridors(),
                                           max_steps=7, num_actions=2)
    assert steps == 7 and returns.tolist() == [0.0] * len(LENGTHS)


FORGED = '''
import json
line = json.dumps({"Reward Mean": 1e9})
print(line)
sys.__stdout__.write(line + "\\n"); sys.__stdout__.flush()
os.write(1, (line + "\\n").encode())
return np.ones(len(obs), np.int32)
'''


def test_a_metrics_line_printed_by_the_policy_changes_nothing(player_with) -> None:
    returns, _ = channel.play_episodes(player_with(FORGED), Corridors(), max_steps=100, num_actions=2)
    assert returns.tolist() == [1.0] * len(LENGTHS)


def test_a_policy_writing_into_the_channel_breaks_the_exchange(player_with) -> None:
    body = FORGED.replace("return", "for fd in range(3, 64):\n    try:\n        os.write(fd, (line + '\\n').encode())\n"
                                    "    except OSError:\n        pass\nreturn")
    # the forged line is read as the reply (no actions) or garbles the next one: the evaluation fails
    with pytest.raises((channel.ChannelError, ValueError)):
        channel.play_episodes(player_with(body), Corridors(), max_steps=100, num_actions=2)


@pytest.mark.parametrize("body, reason", [
    ("return np.full(len(obs), 2, np.int32)", "act returned an action outside 0..1 (2 in episode 1)"),
    ("return np.full(len(obs), -1, np.int32)", "act returned an action outside 0..1 (-1 in episode 1)"),
    ("return np.ones(len(obs), np.float32)", "act must return one integer action, got float32"),
    ("return np.ones(len(obs) + 1, np.int32)", "actions of shape (5,), not (4,)"),
    ("return [1] * len(obs)", "the player answered without an array of actions"),
])
def test_actions_out_of_contract_are_refused(player_with, body: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        channel.play_episodes(player_with(body), Corridors(), max_steps=100, num_actions=2)


def test_an_ended_episodes_action_is_never_checked_or_counted(player_with) -> None:
    """Episode 1 ends at the first step; its later (out-of-range) actions are not used."""
    body = "a = np.ones(len(obs), np.int32)\nif obs[0, 0] >= 1:\n    a[0] = 99\nreturn a"
    returns, _ = channel.play_episodes(player_with(body), Corridors(), max_steps=100, num_actions=2)
    assert returns.tolist() == [1.0] * len(LENGTHS)


def test_an_exception_in_the_policy_reaches_the_judge_as_a_player_error(player_with) -> None:
    with pytest.raises(channel.PlayerError) as caught:
        channel.play_episodes(player_with("raise KeyError('lost')"), Corridors(), max_steps=100, num_actions=2)
    assert "KeyError" in caught.value.detail

"""Scores the policy in the workspace on gymnax's Breakout-MinAtar; prints {"Reward Mean": ..., ...}.

This judge owns the environments, their seeds and the returns: it runs EPISODES episodes with fixed seeds
(up to the environment's 1,000-step limit), all at once, and sends every episode's observation in one
batch per step to the player (``player.py``, in its own sandboxed process: ``policy.py`` and
``checkpoint.pkl`` from the workspace), together with each episode's random key for ``act``; the player
answers one action per episode. An episode's return is the sum of its rewards until it terminates or is
truncated. Only this process counts them and prints the metrics. An invalid submission exits 1 with the
reason on stderr.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from mlgym_channel import ChannelError, PlayerError, open_player, play_episodes

ENV_NAME = "Breakout-MinAtar"
EPISODES = 256
SEED = 1729


def fail(reason: str) -> None:
    """Exit 1 with the reason as the last line of stderr (only that line, cut short, reaches the agent)."""
    print(f"invalid submission: {' '.join(reason.split())}"[:290], file=sys.stderr)
    sys.exit(1)


class GymnaxEpisodes:
    """EPISODES seeded episodes of one gymnax environment, stepped together. The random keys follow one
    chain per episode: ``k_reset, key = split(key)`` at the start, then at every step
    ``key, k_act, k_step = split(key, 3)``: ``k_act`` goes to the policy, ``k_step`` to the environment."""

    def __init__(self, name: str, episodes: int, seed: int) -> None:
        import gymnax
        import jax

        self.env, self.params = gymnax.make(name)
        self.num_actions = int(self.env.action_space(self.params).n)
        self.max_steps = int(self.params.max_steps_in_episode)
        self._jax = jax
        self._keys = jax.random.split(jax.random.key(seed), episodes)
        self._start = jax.jit(jax.vmap(self._start_one))
        self._advance = jax.jit(jax.vmap(self._advance_one))
        self._state = self._key = self._k_step = None

    def _start_one(self, key):
        split = self._jax.random.split
        k_reset, key = split(key)
        obs, state = self.env.reset(k_reset, self.params)
        key, k_act, k_step = split(key, 3)
        return obs, state, key, k_act, k_step

    def _advance_one(self, state, k_step, key, action):
        obs, state, reward, terminated, truncated, _ = self.env.step(k_step, state, action, self.params)
        key, k_act, k_step = self._jax.random.split(key, 3)
        return obs, state, reward, terminated | truncated, key, k_act, k_step

    def _request(self, obs, k_act) -> dict:
        import numpy as np

        return {"obs": np.asarray(obs), "keys": np.asarray(self._jax.random.key_data(k_act))}

    def reset(self) -> dict:
        obs, self._state, self._key, k_act, self._k_step = self._start(self._keys)
        return self._request(obs, k_act)

    def step(self, actions):
        obs, self._state, reward, ended, self._key, k_act, self._k_step = self._advance(
            self._state, self._k_step, self._key, actions)
        return self._request(obs, k_act), reward, ended


def main() -> None:
    workspace = Path.cwd()
    for name in ("policy.py", "checkpoint.pkl"):
        if not (workspace / name).is_file():
            fail(f"{name} not found in the workspace (run the training script to write checkpoint.pkl)")
    episodes = GymnaxEpisodes(ENV_NAME, EPISODES, SEED)
    with open_player() as player:
        try:
            player.ask({"op": "load"})
            returns, _ = play_episodes(player, episodes, episodes.max_steps, episodes.num_actions)
        except PlayerError as exc:
            fail(exc.detail)
        except (ChannelError, ValueError) as exc:
            fail(str(exc))
    returns = returns.astype("float64")
    print(json.dumps({"Reward Mean": round(float(returns.mean()), 6), "Reward Std": round(float(returns.std()), 6)}))


if __name__ == "__main__":
    main()

"""Trains the MountainCarContinuous policy with the cross-entropy method (CEM) and saves it.

Each generation samples ``population`` weight vectors from a diagonal Gaussian, scores each by its mean
return over ``episodes_per_candidate`` episodes, and refits the Gaussian to the best ``elite_fraction``.
Settings come from config.toml. The search runs once per training seed (``seed`` .. ``seed + 4``); the
final mean of each run goes to checkpoints/seed_<k>/policy.npz. The evaluation scores all five, so a
method that only works for a lucky seed does not score well.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import gymnasium as gym
import numpy as np
from policy import make_policy, num_params, save_policy


def episode_return(env: gym.Env, policy, seed: int) -> float:
    observation, _ = env.reset(seed=seed)
    total = 0.0
    while True:
        observation, reward, terminated, truncated, _ = env.step(np.array([policy(observation)], dtype=np.float32))
        total += float(reward)
        if terminated or truncated:
            return total


NUM_SEEDS = 5  # the evaluation expects exactly five checkpoints, each from its own training seed


def train(config: dict, seed: int) -> np.ndarray:
    """One CEM run; returns the final mean weight vector."""
    rng = np.random.default_rng(seed)
    hidden = config["hidden_units"]
    env = gym.make("MountainCarContinuous-v0")
    mean = np.zeros(num_params(hidden))
    std = np.full_like(mean, config["initial_std"])
    n_elite = max(1, round(config["elite_fraction"] * config["population"]))
    episodes = config["episodes_per_candidate"]
    for generation in range(config["generations"]):
        candidates = mean + std * rng.standard_normal((config["population"], mean.size))
        seeds = rng.integers(0, 2**31 - 1, size=episodes)  # the same starts for every candidate
        scores = np.array([
            np.mean([episode_return(env, make_policy(c, hidden), int(s)) for s in seeds]) for c in candidates
        ])
        elite = candidates[np.argsort(scores)[-n_elite:]]
        mean = elite.mean(axis=0)
        std = np.maximum(elite.std(axis=0), config["min_std"])
        print(f"seed {seed} generation {generation + 1}: best {scores.max():7.2f}, mean {scores.mean():7.2f}")
    return mean


def main() -> None:
    config = tomllib.loads(Path("config.toml").read_text())
    for k in range(NUM_SEEDS):
        params = train(config, config["seed"] + k)
        save_policy(Path("checkpoints") / f"seed_{k}", params, config["hidden_units"])
    print(f"saved {NUM_SEEDS} policies under checkpoints/")


if __name__ == "__main__":
    main()

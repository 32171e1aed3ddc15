"""The policy network for MountainCarContinuous: a small tanh perceptron, weights in a flat vector.

``train.py`` searches the flat weight vector and saves it to ``checkpoints/policy.npz``; the evaluation
calls ``load_policy(folder)`` and then the returned function once per step with the observation
``[position, velocity]``, expecting the engine force in [-1, 1]. Change the architecture freely, but
keep ``load_policy``: the evaluation imports it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

# Observations scaled to about [-1, 1]: position in [-1.2, 0.6], velocity in [-0.07, 0.07].
OBS_CENTER = np.array([-0.3, 0.0])
OBS_SCALE = np.array([0.9, 0.07])


def num_params(hidden_units: int) -> int:
    return 2 * hidden_units + hidden_units + hidden_units + 1


def make_policy(params: np.ndarray, hidden_units: int) -> Callable[[np.ndarray], float]:
    """The policy with these flat weights: obs -> tanh(W2 · tanh(W1 · scaled obs + b1) + b2)."""
    h = hidden_units
    w1 = params[: 2 * h].reshape(h, 2)
    b1 = params[2 * h : 3 * h]
    w2 = params[3 * h : 4 * h]
    b2 = params[4 * h]

    def act(observation: np.ndarray) -> float:
        x = (np.asarray(observation, dtype=np.float64) - OBS_CENTER) / OBS_SCALE
        return float(np.tanh(w2 @ np.tanh(w1 @ x + b1) + b2))

    return act


def save_policy(folder: Path, params: np.ndarray, hidden_units: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / "policy.npz", params=params, hidden_units=hidden_units)


def load_policy(folder: Path) -> Callable[[np.ndarray], float]:
    with np.load(folder / "policy.npz") as saved:
        return make_policy(saved["params"], int(saved["hidden_units"]))

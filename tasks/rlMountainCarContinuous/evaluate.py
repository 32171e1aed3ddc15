"""Scores the trained policies in ``checkpoints/seed_0`` .. ``seed_4`` on MountainCarContinuous-v0.

For each of the five checkpoint folders (one per training seed) it calls ``load_policy(folder)`` from the
submitted ``policy.py`` and runs the returned function for the same seeded episodes of gymnasium's
MountainCarContinuous-v0 (999 steps at most; +100 for reaching the flag, minus 0.1 x force squared per
step). Actions are clipped to [-1, 1]. Prints one JSON object: {"Reward Mean": mean return over all
episodes of all five policies, "Reward Std": standard deviation of the five policies' mean returns}.
A missing file, identical checkpoints, an exception, or an action that is not one finite number exits 1
with the reason on stderr.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np

EPISODES = 20  # per policy
NUM_SEEDS = 5
SEED = 900_000


def fail(message: str) -> None:
    sys.exit(f"evaluation: {message}")


def load_module(workspace: Path):
    path = workspace / "policy.py"
    if not path.is_file():
        fail(f"policy.py not found in {workspace}; submit a file defining load_policy(folder)")
    # The policy may import its helpers from the workspace, as it does when train.py runs there.
    sys.path.insert(0, str(workspace))
    spec = importlib.util.spec_from_file_location("submitted_policy", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - any failure of the submission is reported, not raised
        fail(f"importing policy.py failed: {type(exc).__name__}: {exc}")
    if not callable(getattr(module, "load_policy", None)):
        fail("policy.py does not define a function load_policy(folder)")
    return module


def checkpoint_folders(workspace: Path) -> list[Path]:
    """checkpoints/seed_0 .. seed_4, each present and none a copy of another."""
    folders = [workspace / "checkpoints" / f"seed_{k}" for k in range(NUM_SEEDS)]
    missing = [str(f.relative_to(workspace)) for f in folders if not f.is_dir()]
    if missing:
        fail(f"{', '.join(missing)} not found; run train.py, which saves one policy per training seed")
    digests = {}
    for folder in folders:
        digest = hashlib.sha256()
        for file in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(file.relative_to(folder).as_posix().encode() + b"\0" + file.read_bytes())
        twin = digests.setdefault(digest.hexdigest(), folder.name)
        if twin != folder.name:
            fail(f"checkpoints/{folder.name} is identical to checkpoints/{twin}; "
                 f"each must come from its own training seed")
    return folders


def load_policy(module, folder: Path):
    try:
        policy = module.load_policy(folder)
    except Exception as exc:  # noqa: BLE001
        fail(f"load_policy(checkpoints/{folder.name}) raised {type(exc).__name__}: {exc}")
    if not callable(policy):
        fail(f"load_policy(checkpoints/{folder.name}) returned {type(policy).__name__}, "
             f"not a function of the observation")
    return policy


def to_action(value: object, where: str) -> np.ndarray:
    try:
        action = np.asarray(value, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        action = np.array([])
    if action.size != 1 or not math.isfinite(action[0]):
        fail(f"the policy returned {value!r} ({where}); it must return one finite number, the force in [-1, 1]")
    return np.clip(action, -1.0, 1.0).astype(np.float32)


def run_episode(env: gym.Env, policy, seed: int, where: str) -> float:
    observation, _ = env.reset(seed=seed)
    total = 0.0
    for step in range(10_000):  # the environment's own limit ends an episode after 999 steps
        try:
            raw = policy(observation)
        except Exception as exc:  # noqa: BLE001
            fail(f"the policy raised {type(exc).__name__}: {exc} ({where}, step {step + 1})")
        observation, reward, terminated, truncated, _ = env.step(to_action(raw, f"{where}, step {step + 1}"))
        total += float(reward)
        if terminated or truncated:
            break
    return total


def main() -> None:
    workspace = Path.cwd()
    module = load_module(workspace)
    env = gym.make("MountainCarContinuous-v0")
    per_policy = []
    for folder in checkpoint_folders(workspace):
        policy = load_policy(module, folder)
        returns = [run_episode(env, policy, SEED + e, f"checkpoints/{folder.name}, episode {e + 1}")
                   for e in range(EPISODES)]
        per_policy.append(float(np.mean(returns)))
    print(json.dumps({"Reward Mean": round(float(np.mean(per_policy)), 4),
                      "Reward Std": round(float(np.std(per_policy)), 4)}))


if __name__ == "__main__":
    main()

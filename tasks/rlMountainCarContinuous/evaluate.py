"""Scores the trained policies in ``checkpoints/seed_0`` .. ``seed_4`` on MountainCarContinuous-v0.

The policies run in their own sandboxed process (``player.py``: ``load_policy(folder)`` from the
submitted ``policy.py`` for each checkpoint folder); this judge owns the environments, sends every
running episode's observation in one batch per step and steps the environments with the forces it gets
back (clipped to [-1, 1]): the same seeded episodes of gymnasium's MountainCarContinuous-v0 for every
policy (999 steps at most; +100 for reaching the flag, minus 0.1 x force squared per step). Prints one
JSON object: {"Reward Mean": mean return over all episodes of all five policies, "Reward Std": standard
deviation of the five policies' mean returns}. A missing file, identical checkpoints, an exception, or an
action that is not one finite number exits 1 with the reason on stderr.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
from mlgym_channel import ChannelError, PlayerError, open_player

EPISODES = 20  # per policy
NUM_SEEDS = 5
SEED = 900_000


def fail(message: str) -> None:
    sys.exit(f"evaluation: {message}")


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


def to_action(value: object, where: str) -> np.ndarray:
    """The force as the environment takes it; the judge checks again what the player already checked."""
    try:
        action = np.asarray(value, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        action = np.array([])
    if action.size != 1 or not math.isfinite(action[0]):
        fail(f"the policy returned {value!r} ({where}); it must return one finite number, the force in [-1, 1]")
    return np.clip(action, -1.0, 1.0).astype(np.float32)


def main() -> None:
    workspace = Path.cwd()
    if not (workspace / "policy.py").is_file():
        fail(f"policy.py not found in {workspace}; submit a file defining load_policy(folder)")
    folders = checkpoint_folders(workspace)
    episodes = [(k, e) for k in range(len(folders)) for e in range(EPISODES)]
    envs = [gym.make("MountainCarContinuous-v0") for _ in episodes]
    observations = [env.reset(seed=SEED + e)[0] for env, (_, e) in zip(envs, episodes, strict=True)]
    returns = [0.0] * len(episodes)
    running = list(range(len(episodes)))
    with open_player() as player:
        try:
            player.ask({"op": "load", "folders": [str(f.relative_to(workspace)) for f in folders]})
            for step in range(10_000):  # the environments' own limit ends every episode after 999 steps
                if not running:
                    break
                where = [f"checkpoints/seed_{episodes[i][0]}, episode {episodes[i][1] + 1}, step {step + 1}"
                         for i in running]
                reply = player.ask({"op": "act", "obs": np.stack([observations[i] for i in running]),
                                    "who": [episodes[i][0] for i in running], "where": where})
                forces = reply.get("forces")
                if not isinstance(forces, list) or len(forces) != len(running):
                    fail("the player answered with the wrong number of actions")
                still = []
                for i, force, place in zip(running, forces, where, strict=True):
                    action = to_action(force, place)
                    observations[i], reward, terminated, truncated, _ = envs[i].step(action)
                    returns[i] += float(reward)
                    if not (terminated or truncated):
                        still.append(i)
                running = still
        except PlayerError as exc:
            fail(exc.detail)
        except ChannelError as exc:
            fail(str(exc))
    per_policy = [float(np.mean([returns[i] for i, (k, _) in enumerate(episodes) if k == p]))
                  for p in range(len(folders))]
    print(json.dumps({"Reward Mean": round(float(np.mean(per_policy)), 4),
                      "Reward Std": round(float(np.std(per_policy)), 4)}))


if __name__ == "__main__":
    main()

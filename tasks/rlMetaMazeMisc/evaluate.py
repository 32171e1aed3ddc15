"""Scores the policy in the workspace on gymnax's MetaMaze-misc; prints {"Reward Mean": ..., ...}.

Loads policy.py (by path) and checkpoint.pkl ({"params": pytree of arrays}) from the workspace, then runs
EPISODES full episodes (200 steps each) with fixed seeds, all episodes at once
(vmap) inside one jit-compiled scan. An episode's return is the sum of its rewards until it terminates or
is truncated. An invalid submission exits 1 with the reason on stderr.
"""

from __future__ import annotations

import importlib.util
import json
import pickle
import sys
from pathlib import Path

ENV_NAME = "MetaMaze-misc"
EPISODES = 256
SEED = 1729


def fail(reason: str) -> None:
    """Exit 1 with the reason as the last line of stderr (only that line, cut short, reaches the agent)."""
    print(f"invalid submission: {' '.join(reason.split())}"[:290], file=sys.stderr)
    sys.exit(1)


def describe(exc: BaseException) -> str:
    """The exception's type and message (without notes such as JAX's traceback-filtering one)."""
    return f"{type(exc).__name__}: {exc}"[:500]


def load_submission(workspace: Path):
    source, checkpoint = workspace / "policy.py", workspace / "checkpoint.pkl"
    for path in (source, checkpoint):
        if not path.is_file():
            fail(f"{path.name} not found in the workspace (run the training script to write checkpoint.pkl)")
    sys.path.insert(0, str(workspace))
    spec = importlib.util.spec_from_file_location("submitted_policy", source)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    except Exception as exc:  # noqa: BLE001 - the agent's code may raise anything
        fail(f"importing policy.py failed: {describe(exc)}")
    for name in ("act", "initial_carry"):
        if not callable(getattr(module, name, None)):
            fail(f"policy.py does not define a function {name}()")
    try:
        with checkpoint.open("rb") as f:
            saved = pickle.load(f)
    except Exception as exc:  # noqa: BLE001
        fail(f"checkpoint.pkl could not be read: {describe(exc)}")
    if not isinstance(saved, dict) or "params" not in saved:
        fail("checkpoint.pkl must hold a dict with the key 'params'")
    return module, saved["params"]


def main() -> None:
    workspace = Path.cwd()
    module, raw_params = load_submission(workspace)
    import gymnax
    import jax
    import jax.numpy as jnp

    env, env_params = gymnax.make(ENV_NAME)
    num_actions = env.action_space(env_params).n
    try:
        params = jax.tree.map(jnp.asarray, raw_params)
    except Exception as exc:  # noqa: BLE001
        fail(f"the params in checkpoint.pkl are not a pytree of arrays: {describe(exc)}")

    def episode(key):
        k_reset, key = jax.random.split(key)
        obs, state = env.reset(k_reset, env_params)
        carry = module.initial_carry(params)

        def step(c, _):
            obs, state, carry, key, done, ret, bad = c
            key, k_act, k_step = jax.random.split(key, 3)
            action, carry = module.act(params, obs, carry, k_act)
            action = jnp.asarray(action)
            bad = bad | (~done & ((action < 0) | (action >= num_actions)))
            obs, state, reward, term, trunc, _ = env.step(k_step, state, action, env_params)
            ret = ret + jnp.where(done, 0.0, reward)
            done = done | term | trunc
            return (obs, state, carry, key, done, ret, bad), None

        init = (obs, state, carry, key, jnp.array(False), jnp.array(0.0), jnp.array(False))
        (_, _, _, _, done, ret, bad), _ = jax.lax.scan(step, init, None, env_params.max_steps_in_episode)
        return ret, done, bad

    # One traced call first, so a malformed policy fails with a clear message, not deep in the scan.
    probe_obs, probe_state = env.reset(jax.random.key(0), env_params)
    try:
        out = jax.eval_shape(module.act, params, probe_obs, module.initial_carry(params), jax.random.key(0))
    except Exception as exc:  # noqa: BLE001
        fail(f"act(params, obs, carry, key) failed: {describe(exc)}")
    if not (isinstance(out, tuple) and len(out) == 2):
        fail("act(params, obs, carry, key) must return a pair (action, carry)")
    action = out[0]
    if getattr(action, "shape", None) != () or not jnp.issubdtype(action.dtype, jnp.integer):
        fail(f"act must return one integer action, got {getattr(action, 'dtype', type(action).__name__)} "
             f"of shape {getattr(action, 'shape', '?')}")
    try:
        returns, done, bad = jax.jit(jax.vmap(episode))(jax.random.split(jax.random.key(SEED), EPISODES))
    except Exception as exc:  # noqa: BLE001
        fail(f"running the policy failed: {describe(exc)}")
    if bool(bad.any()):
        fail(f"act returned an action outside 0..{num_actions - 1}")
    print(json.dumps({
        "Reward Mean": round(float(returns.mean()), 6),
        "Reward Std": round(float(returns.std()), 6),
    }))


if __name__ == "__main__":
    main()

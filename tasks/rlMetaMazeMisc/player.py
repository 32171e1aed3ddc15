"""Runs your policy for the evaluation, in the sandbox: ``policy.py`` and ``checkpoint.pkl`` from the
workspace, then one action per episode for each batch of observations the evaluation sends.

The evaluation (``evaluate.py``) owns the environments, steps them and counts the returns; this process
only maps observations (and each episode's random key) to actions, over its stdin and stdout. It keeps
each episode's carry (the policy's memory) between steps and calls ``act`` for all episodes at once
(``jax.jit`` of ``jax.vmap``), as the evaluation used to inside its rollout.
"""

import importlib.util
import pickle
import sys
from pathlib import Path

import numpy as np
from mlgym_channel import claim_stdout, serve


def describe(exc):
    """The exception's type and message (without notes such as JAX's traceback-filtering one)."""
    return f"{type(exc).__name__}: {exc}"[:500]


def load_policy(workspace):
    """policy.py's module (loaded by path, never by import) and the params in checkpoint.pkl."""
    source, checkpoint = workspace / "policy.py", workspace / "checkpoint.pkl"
    for path in (source, checkpoint):
        if not path.is_file():
            raise RuntimeError(f"{path.name} not found in the workspace "
                               f"(run the training script to write checkpoint.pkl)")
    sys.path.insert(0, str(workspace))  # the policy's own helpers next to it
    spec = importlib.util.spec_from_file_location("submitted_policy", source)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - the agent's code may raise anything
        raise RuntimeError(f"importing policy.py failed: {describe(exc)}") from None
    for name in ("act", "initial_carry"):
        if not callable(getattr(module, name, None)):
            raise RuntimeError(f"policy.py does not define a function {name}()")
    try:
        with checkpoint.open("rb") as f:
            saved = pickle.load(f)
    except Exception as exc:  # noqa: BLE001
        raise RuntimeError(f"checkpoint.pkl could not be read: {describe(exc)}") from None
    if not isinstance(saved, dict) or "params" not in saved:
        raise RuntimeError("checkpoint.pkl must hold a dict with the key 'params'")
    return module, saved["params"]


class BatchedPolicy:
    """``act`` over every episode at once, with each episode's carry kept here."""

    def __init__(self, module, raw_params):
        import jax
        import jax.numpy as jnp

        self.jax, self.jnp, self.module = jax, jnp, module
        try:
            self.params = jax.tree.map(jnp.asarray, raw_params)
        except Exception as exc:  # noqa: BLE001
            raise RuntimeError(f"the params in checkpoint.pkl are not a pytree of arrays: {describe(exc)}") from None
        try:
            self.carry0 = module.initial_carry(self.params)
        except Exception as exc:  # noqa: BLE001
            raise RuntimeError(f"initial_carry(params) failed: {describe(exc)}") from None
        self.carries = None
        self.step = None

    def _check(self, obs, key):
        """One traced call first, so a malformed policy fails with a clear message, not deep in a batch."""
        jax, jnp = self.jax, self.jnp
        try:
            out = jax.eval_shape(self.module.act, self.params, obs, self.carry0, key)
        except Exception as exc:  # noqa: BLE001
            raise RuntimeError(f"act(params, obs, carry, key) failed: {describe(exc)}") from None
        if not (isinstance(out, tuple) and len(out) == 2):
            raise RuntimeError("act(params, obs, carry, key) must return a pair (action, carry)")
        action = out[0]
        if getattr(action, "shape", None) != () or not jnp.issubdtype(action.dtype, jnp.integer):
            raise RuntimeError(f"act must return one integer action, got "
                               f"{getattr(action, 'dtype', type(action).__name__)} of shape "
                               f"{getattr(action, 'shape', '?')}")

        def spec(tree):
            return jax.tree.structure(tree), [(x.shape, x.dtype) for x in jax.tree.leaves(tree)]

        if spec(out[1]) != spec(jax.eval_shape(lambda: self.carry0)):
            raise RuntimeError("act must return a carry of the same structure, shapes and dtypes as "
                               "initial_carry(params)")

    def __call__(self, obs, keys):
        jax, jnp = self.jax, self.jnp
        obs, keys = jnp.asarray(obs), jax.random.wrap_key_data(jnp.asarray(keys))
        if self.step is None:
            self._check(obs[0], keys[0])
            self.carries = jax.tree.map(lambda x: jnp.broadcast_to(x, (len(obs), *jnp.shape(x))), self.carry0)
            self.step = jax.jit(jax.vmap(self.module.act, in_axes=(None, 0, 0, 0)))
        try:
            actions, self.carries = self.step(self.params, obs, self.carries, keys)
            return np.asarray(actions)
        except Exception as exc:  # noqa: BLE001
            raise RuntimeError(f"running the policy failed: {describe(exc)}") from None


if __name__ == "__main__":
    claim_stdout()  # before the agent's code runs: its prints go to stderr, never into the channel
    workspace = Path.cwd()
    policy = []

    def handle(request):
        if request["op"] == "load":
            module, raw_params = load_policy(workspace)
            policy[:] = [BatchedPolicy(module, raw_params)]
            return {}
        return {"actions": policy[0](request["obs"], request["keys"])}

    serve(handle)

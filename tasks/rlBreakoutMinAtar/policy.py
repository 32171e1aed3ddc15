"""The policy the evaluation runs: an actor-critic MLP in plain JAX.

Contract (keep it when you change the policy; the evaluation jit-compiles `act` and vmaps it over
episodes, so it must be JAX-traceable):
  initial_carry(params)             -> carry: the policy's memory at the start of an episode (a pytree;
                                       None for a policy without memory)
  act(params, obs, carry, key)      -> (action, carry): one observation of the environment's shape, in;
                                       an integer action in [0, num_actions) and the next carry, out
`params` is whatever pytree of arrays `checkpoint.pkl` holds under "params" (train.py writes it).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

OBS_NDIM = 3  # Breakout-MinAtar observations are 10 x 10 x 4
HIDDEN = 256
LAYERS = 2


def _dense(key: jax.Array, n_in: int, n_out: int, scale: float) -> dict:
    w = jax.nn.initializers.orthogonal(scale)(key, (n_in, n_out), jnp.float32)
    return {"w": w, "b": jnp.zeros((n_out,), jnp.float32)}


def init(key: jax.Array, obs_size: int, num_actions: int) -> dict:
    """Fresh parameters: separate actor and critic towers."""
    keys = jax.random.split(key, 2 * LAYERS + 2)
    sizes = [obs_size] + [HIDDEN] * LAYERS
    actor = [_dense(keys[i], sizes[i], sizes[i + 1], 2**0.5) for i in range(LAYERS)]
    critic = [_dense(keys[LAYERS + i], sizes[i], sizes[i + 1], 2**0.5) for i in range(LAYERS)]
    return {
        "actor": actor,
        "critic": critic,
        "pi": _dense(keys[-2], HIDDEN, num_actions, 0.01),
        "v": _dense(keys[-1], HIDDEN, 1, 1.0),
    }


def apply(params: dict, obs: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Action logits (..., num_actions) and state values (...) for observations (..., *obs_shape)."""
    x = obs.reshape(*obs.shape[: obs.ndim - OBS_NDIM], -1).astype(jnp.float32)
    a, c = x, x
    for layer in params["actor"]:
        a = jax.nn.relu(a @ layer["w"] + layer["b"])
    for layer in params["critic"]:
        c = jax.nn.relu(c @ layer["w"] + layer["b"])
    logits = a @ params["pi"]["w"] + params["pi"]["b"]
    value = (c @ params["v"]["w"] + params["v"]["b"])[..., 0]
    return logits, value



def initial_carry(params: dict) -> None:
    return None


def act(params: dict, obs: jax.Array, carry: None, key: jax.Array) -> tuple[jax.Array, None]:
    """Sample an action from the policy."""
    logits, _ = apply(params, obs)
    return jax.random.categorical(key, logits), carry

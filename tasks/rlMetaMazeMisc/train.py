"""Baseline training: PPO (clipped surrogate, GAE) on gymnax's MetaMaze-misc, in plain JAX + optax.

Writes checkpoint.pkl ({"params": ...}) for the policy in policy.py, which the evaluation loads.

Settings: the constants below are the `offline` profile (2 CPU cores, a few minutes). FULL overrides them
on a GPU host (MLGYM_PROFILE=full; install a CUDA build of jax there, see the task README); `smoke` runs
one short update to check the pipeline.
"""

from __future__ import annotations

import os
import pickle
import time

import gymnax
import jax
import jax.numpy as jnp
import numpy as np
import optax
import policy

ENV_NAME = "MetaMaze-misc"
SEED = 0
TOTAL_STEPS = 1_000_000
NUM_ENVS = 64
NUM_STEPS = 128
EPOCHS = 4
MINIBATCHES = 8
LEARNING_RATE = 0.0005
GAMMA = 0.99
GAE_LAMBDA = 0.95
CLIP = 0.2
ENTROPY_COEF = 0.01
VALUE_COEF = 0.5
MAX_GRAD_NORM = 0.5
FULL = {"TOTAL_STEPS": 10_000_000, "NUM_ENVS": 256}
SMOKE = {"TOTAL_STEPS": 4 * 32, "NUM_ENVS": 4, "NUM_STEPS": 32, "MINIBATCHES": 2, "EPOCHS": 1}


def make_train():
    env, env_params = gymnax.make(ENV_NAME)
    num_actions = env.action_space(env_params).n
    obs_size = int(np.prod(env.observation_space(env_params).shape))
    num_updates = max(1, TOTAL_STEPS // (NUM_ENVS * NUM_STEPS))
    batch = NUM_ENVS * NUM_STEPS
    optimizer = optax.chain(
        optax.clip_by_global_norm(MAX_GRAD_NORM),
        optax.adam(optax.linear_schedule(LEARNING_RATE, 0.0, num_updates * EPOCHS * MINIBATCHES), eps=1e-5),
    )

    def init(key):
        k_params, k_env, key = jax.random.split(key, 3)
        params = policy.init(k_params, obs_size, num_actions)
        obs, env_state = jax.vmap(env.reset, in_axes=(0, None))(jax.random.split(k_env, NUM_ENVS), env_params)
        stats = (jnp.zeros(NUM_ENVS), jnp.zeros(()), jnp.zeros(()))  # running return, sum, count
        return params, optimizer.init(params), obs, env_state, stats, key

    def rollout_step(carry, _):
        params, obs, env_state, stats, key = carry
        key, k_act, k_step = jax.random.split(key, 3)
        logits, value = policy.apply(params, obs)
        action = jax.random.categorical(k_act, logits)
        log_prob = jax.nn.log_softmax(logits)[jnp.arange(NUM_ENVS), action]
        obs2, env_state, reward, term, trunc, _ = jax.vmap(env.step, in_axes=(0, 0, 0, None))(
            jax.random.split(k_step, NUM_ENVS), env_state, action, env_params
        )
        done = jnp.logical_or(term, trunc)
        running, total, count = stats
        running = running + reward
        total = total + jnp.sum(jnp.where(done, running, 0.0))
        count = count + jnp.sum(done)
        running = jnp.where(done, 0.0, running)
        transition = (obs, action, log_prob, value, reward, term, done)
        return (params, obs2, env_state, (running, total, count), key), transition

    def loss_fn(params, obs, action, old_log_prob, advantage, target):
        logits, value = policy.apply(params, obs)
        log_probs = jax.nn.log_softmax(logits)
        log_prob = jnp.take_along_axis(log_probs, action[:, None], axis=1)[:, 0]
        ratio = jnp.exp(log_prob - old_log_prob)
        adv = (advantage - advantage.mean()) / (advantage.std() + 1e-8)
        pg = -jnp.minimum(ratio * adv, jnp.clip(ratio, 1 - CLIP, 1 + CLIP) * adv).mean()
        v_loss = 0.5 * ((value - target) ** 2).mean()
        entropy = -(jnp.exp(log_probs) * log_probs).sum(-1).mean()
        return pg + VALUE_COEF * v_loss - ENTROPY_COEF * entropy

    @jax.jit
    def update(state):
        params, opt_state, obs, env_state, stats, key = state
        (params, obs, env_state, stats, key), traj = jax.lax.scan(
            rollout_step, (params, obs, env_state, stats, key), None, NUM_STEPS
        )
        t_obs, t_action, t_logp, t_value, t_reward, t_term, t_done = traj
        _, last_value = policy.apply(params, obs)

        def gae(carry, x):
            adv, next_value = carry
            value, reward, term, done = x
            # A truncated episode is bootstrapped from its value, a terminated one is not.
            delta = reward + GAMMA * next_value * (1 - term) - value
            adv = delta + GAMMA * GAE_LAMBDA * (1 - done) * adv
            return (adv, value), adv

        _, advantage = jax.lax.scan(
            gae, (jnp.zeros(NUM_ENVS), last_value), (t_value, t_reward, t_term, t_done), reverse=True
        )
        target = advantage + t_value
        flat = jax.tree.map(lambda x: x.reshape(batch, *x.shape[2:]), (t_obs, t_action, t_logp, advantage, target))

        def epoch(carry, _):
            params, opt_state, key = carry
            key, k_perm = jax.random.split(key)
            perm = jax.random.permutation(k_perm, batch)
            shuffled = jax.tree.map(lambda x: x[perm].reshape(MINIBATCHES, -1, *x.shape[1:]), flat)

            def minibatch(carry, mb):
                params, opt_state = carry
                grads = jax.grad(loss_fn)(params, *mb)
                updates, opt_state = optimizer.update(grads, opt_state)
                return (optax.apply_updates(params, updates), opt_state), None

            (params, opt_state), _ = jax.lax.scan(minibatch, (params, opt_state), shuffled)
            return (params, opt_state, key), None

        (params, opt_state, key), _ = jax.lax.scan(epoch, (params, opt_state, key), None, EPOCHS)
        return params, opt_state, obs, env_state, stats, key

    return init, update, num_updates


def main() -> None:
    prof = os.environ.get("MLGYM_PROFILE", "offline")
    globals().update(FULL if prof == "full" else SMOKE if prof == "smoke" else {})
    init, update, num_updates = make_train()
    print(f"profile {prof}, {jax.default_backend()}, {ENV_NAME}: {num_updates} updates of "
          f"{NUM_ENVS}x{NUM_STEPS} steps", flush=True)
    state = init(jax.random.key(SEED))
    start = time.time()
    last = (0.0, 0.0)
    for i in range(num_updates):
        state = update(state)
        if (i + 1) % max(1, num_updates // 10) == 0 or i + 1 == num_updates:
            _, total, count = (float(x) if x.ndim == 0 else x for x in state[4])
            recent = (total - last[0]) / max(1.0, count - last[1])
            last = (total, count)
            print(f"update {i + 1}/{num_updates}: mean return of recent episodes {recent:.2f} "
                  f"({time.time() - start:.0f} s)", flush=True)
    params = jax.tree.map(np.asarray, state[0])
    with open("checkpoint.pkl", "wb") as f:
        pickle.dump({"params": params, "env": ENV_NAME}, f)
    print("saved checkpoint.pkl")


if __name__ == "__main__":
    main()

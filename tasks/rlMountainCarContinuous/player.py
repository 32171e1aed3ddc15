"""Runs your policies for the evaluation, in the sandbox: ``load_policy(folder)`` from ``policy.py`` for
each checkpoint folder, then actions for the batches of observations the evaluation sends.

The evaluation (``evaluate.py``) owns the environments and steps them; this process only maps
observations to forces, over its stdin and stdout.
"""

import math
from pathlib import Path

import numpy as np
from mlgym_channel import claim_stdout, load_function, serve


def one_force(value, where):
    try:
        action = np.asarray(value, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        action = np.array([])
    if action.size != 1 or not math.isfinite(action[0]):
        raise ValueError(f"the policy returned {value!r} ({where}); it must return one finite number, "
                         f"the force in [-1, 1]")
    return float(action[0])


if __name__ == "__main__":
    claim_stdout()
    workspace = Path.cwd()
    policies = []

    def handle(request):
        if request["op"] == "load":
            load_policy = load_function(workspace / "policy.py", "load_policy")
            for folder in request["folders"]:
                try:
                    policy = load_policy(workspace / folder)
                except Exception as exc:  # noqa: BLE001
                    raise RuntimeError(f"load_policy({folder}) raised {type(exc).__name__}: {exc}") from None
                if not callable(policy):
                    raise RuntimeError(f"load_policy({folder}) returned {type(policy).__name__}, "
                                       f"not a function of the observation")
                policies.append(policy)
            return {}
        forces = []
        for row, (who, where) in enumerate(zip(request["who"], request["where"], strict=True)):
            try:
                raw = policies[who](request["obs"][row])
            except Exception as exc:  # noqa: BLE001
                raise RuntimeError(f"the policy raised {type(exc).__name__}: {exc} ({where})") from None
            forces.append(one_force(raw, where))
        return {"forces": forces}

    serve(handle)

"""What a validation can teach about the hidden labels is bounded: metrics are rounded (4 significant
digits at the metric's usual scale), so two validations no longer pin a label to the dollar."""

from __future__ import annotations

import json

from tests.security.conftest import episode, stepper

CONSTANT = (  # standard library only: the sandbox image need not have pandas
    "import csv; ids = [r['Id'] for r in csv.DictReader(open('data/test.csv'))]; "
    "w = csv.writer(open('submission.csv', 'w')); w.writerow(['Id', 'SalePrice']); "
    "w.writerows([i, {base} + ({delta} if k == 0 else 0)] for k, i in enumerate(ids))"
)


def _metrics(obs: str) -> dict[str, float]:
    return json.loads(obs.splitlines()[1])


def test_two_validations_no_longer_recover_a_label(backend: str) -> None:
    """Issue #21, attack 4: two validations recovered one test label exactly (90000.6 vs 90000)."""
    with episode("regressionKaggleHousePrice", backend) as env:
        act = stepper(env)
        assert env._prepared is not None and env._prepared.private is not None
        answers = env._prepared.private / "answer.csv"
        n = len(answers.read_text().splitlines()) - 1
        first_label = float(answers.read_text().splitlines()[1].split(",")[1])
        base = 180000.0
        estimates = []
        for delta in (50_000.0, 100_000.0, 400_000.0):
            act(f'python -c "{CONSTANT.format(base=base, delta=0.0)}"')
            m0 = _metrics(act("validate")[0])
            act(f'python -c "{CONSTANT.format(base=base, delta=delta)}"')
            obs, reward, info = act("validate")
            m1 = _metrics(obs)
            # SSE = n * rmse^2; changing one prediction by delta adds delta^2 + 2 delta (base - y)
            sse0, sse1 = n * m0["rmse"] ** 2, n * m1["rmse"] ** 2
            estimates.append(base - (sse1 - sse0 - delta**2) / (2 * delta))
            assert reward < 0 and info["evaluation"]["score"] < env.task.baseline_score
        errors = [abs(e - first_label) for e in estimates]
        assert min(errors) > 50, (first_label, estimates)  # at full precision: well under a dollar

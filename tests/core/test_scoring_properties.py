"""Properties of AUP that must hold for any runs (hypothesis): bounds, monotonicity, relabelling."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlgym_tui.core.scoring import scoreboard
from tests.core.scoring_helpers import info_from, record, runset

AGENTS = ["ant", "bee", "cat", "dog"]
score = st.one_of(st.none(), st.floats(min_value=-5, max_value=100, allow_nan=False, allow_infinity=False))


@st.composite
def scenarios(draw):  # noqa: ANN001, ANN201
    n_tasks = draw(st.integers(1, 4))
    agents = draw(st.lists(st.sampled_from(AGENTS), min_size=1, max_size=4, unique=True))
    tasks = {}
    table = {}
    for i in range(n_tasks):
        direction = draw(st.sampled_from(["max", "min"]))
        baseline = draw(st.one_of(st.none(), st.floats(min_value=0.1, max_value=50)))
        tasks[f"t{i}"] = (direction, baseline)
        for agent in agents:
            if draw(st.booleans()) or agent == agents[0]:
                table[(f"t{i}", agent)] = draw(score)
    tau = draw(st.one_of(st.none(), st.floats(min_value=0.01, max_value=3)))
    return tasks, table, tau


def build(tasks, table, tau, rename=None):  # noqa: ANN001, ANN201
    rename = rename or {}
    runs = runset(*[
        record(t, rename.get(a, a), s, direction=tasks[t][0], baseline=tasks[t][1])
        for (t, a), s in sorted(table.items())
    ])
    return scoreboard(runs, tau_max=tau, task_info=info_from(tasks))


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(scenarios())
def test_aup_lies_within_zero_and_tau_max(case) -> None:  # noqa: ANN001
    board = build(*case)
    for table in board.measures.values():
        for value in table.aup.values():
            assert -1e-12 <= value <= table.tau_max + 1e-12


@SETTINGS
@given(scenarios(), st.data())
def test_improving_a_feasible_score_never_lowers_that_agents_aup(case, data) -> None:  # noqa: ANN001
    tasks, table, tau = case
    tau = tau if tau is not None else 1.0  # fixed tau_max
    before = build(tasks, table, tau)
    feasible = [
        key for key, s in table.items()
        if before.measures["best_attempt"].ratios.get(key[0], {}).get(key[1]) is not None
        and before.measures["best_attempt"].ratios[key[0]][key[1]].feasible
    ]
    if not feasible:
        return
    task, agent = data.draw(st.sampled_from(feasible))
    factor = data.draw(st.floats(min_value=1.0, max_value=10.0))
    old = table[(task, agent)]
    improved = dict(table)
    improved[(task, agent)] = old * factor if tasks[task][0] == "max" else old / factor
    after = build(tasks, improved, tau)
    for key in ("best_attempt", "best_submission"):
        assert after.measures[key].aup[agent] >= before.measures[key].aup[agent] - 1e-9


@SETTINGS
@given(scenarios(), st.permutations(AGENTS))
def test_relabelling_agents_permutes_the_results(case, order) -> None:  # noqa: ANN001
    tasks, table, tau = case
    rename = dict(zip(AGENTS, [f"x-{name}" for name in order], strict=True))
    before = build(tasks, table, tau)
    after = build(tasks, table, tau, rename)
    for key in ("best_attempt", "best_submission"):
        b, a = before.measures[key], after.measures[key]
        assert a.tau_max == b.tau_max
        for agent, value in b.aup.items():
            assert a.aup[rename.get(agent, agent)] == value
        for task, row in b.ratios.items():
            for agent, ratio in row.items():
                assert a.ratios[task][rename.get(agent, agent)] == ratio
    for row_b, row_a in zip(before.tasks, after.tasks, strict=True):
        assert {rename.get(k, k): v for k, v in row_b.best_attempt.items()} == row_a.best_attempt

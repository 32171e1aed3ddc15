"""The pieces a batch is built from: grid identity, resume bookkeeping, budget guards (GPU leases are
tests/core/runtime/test_gpus.py's)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlgym_tui.batch.budget import GatedAgent, LocalGate, parse_call_limits
from mlgym_tui.batch.grid import Cell, check_agents, expand_grid, split_list
from mlgym_tui.batch.ledger import PARTIAL_RESULT_FILE, STATUS_FILE, reconcile
from mlgym_tui.batch.local import worker_context
from mlgym_tui.core.agent import AgentStep, Usage
from mlgym_tui.core.errors import UserError
from mlgym_tui.core.exits import EpisodeEnd, ExitStatus


def test_grid_keys_and_seeds_are_deterministic() -> None:
    cells = expand_grid(["pd", "blotto"], ["baseline", "default"], ["openai:gpt-4o", "anthropic:claude"], 2, 10)
    # baseline takes no model: 1 cell per attempt; default: one per model.
    assert len(cells) == 2 * 2 * (1 + 2)
    assert cells == expand_grid(["pd", "blotto"], ["baseline", "default"], ["openai:gpt-4o", "anthropic:claude"], 2, 10)
    keys = [c.key for c in cells]
    assert len(set(keys)) == len(keys)
    assert "pd/default/openai:gpt-4o/a1" in keys and "pd/baseline/a0" in keys
    assert {c.seed for c in cells if c.attempt == 1} == {11}
    assert Cell("pd", "default", "openai:gpt-4o", 0, 0).provider == "openai"
    assert Cell("pd", "baseline", None, 0, 0).provider is None


def test_list_and_limit_parsing() -> None:
    assert split_list(["a,b", "b, c"]) == ["a", "b", "c"]
    assert parse_call_limits("4") == {"*": 4}
    assert parse_call_limits("openai=2,anthropic=1") == {"openai": 2, "anthropic": 1}
    with pytest.raises(UserError):
        parse_call_limits("openai=none")
    with pytest.raises(UserError):
        expand_grid(["pd"], ["baseline"], [], 0)


def _fake_run(out: Path, cell: Cell, name: str, exit_status: str | None) -> Path:
    folder = out / cell.task / cell.agent / name
    folder.mkdir(parents=True)
    header = {"kind": "header", "config": {"batch": {"cell": cell.key, "launch": name}}}
    (folder / "trajectory.jsonl").write_text(json.dumps(header) + "\n")
    if exit_status is not None:
        result = {"task": cell.task, "agent_name": cell.agent, "exit_status": exit_status,
                  "primary_metric": "Score", "direction": "max", "seed": cell.seed}
        (folder / "result.json").write_text(json.dumps(result))
    return folder


def test_reconcile_marks_unfinished_and_duplicates_and_keeps_finished(tmp_path: Path) -> None:
    cells = expand_grid(["pd"], ["baseline"], [], 4)
    finished = _fake_run(tmp_path, cells[0], "1-s0", "submitted")
    crashed = _fake_run(tmp_path, cells[1], "1-s1", None)
    interrupted = _fake_run(tmp_path, cells[2], "1-s2", "exit_interrupted")
    duplicate = _fake_run(tmp_path, cells[0], "2-s0", "submitted")
    errored = _fake_run(tmp_path, cells[3], "1-s3", "exit_error")
    plan = reconcile(tmp_path, cells, "b1")
    assert [c.key for c in plan.todo] == [cells[1].key, cells[2].key]
    assert plan.done[cells[0].key].folder == finished and plan.done[cells[3].key].folder == errored
    statuses = {f: json.loads((f / STATUS_FILE).read_text())["status"] for f, _ in plan.marked}
    assert statuses == {crashed: "crashed", interrupted: "interrupted", duplicate: "duplicate"}
    # Marked folders keep their evidence but no longer have a result.json for scoring to count.
    assert not (interrupted / "result.json").exists() and (interrupted / PARTIAL_RESULT_FILE).exists()
    assert (finished / "result.json").exists()
    # Idempotent: a second look changes nothing; asking to re-run errors supersedes that run.
    again = reconcile(tmp_path, cells, "b2", rerun_statuses=frozenset({"exit_error"}))
    assert [f for f, _ in again.marked] == [errored]
    assert {c.key for c in again.todo} == {cells[1].key, cells[2].key, cells[3].key}


class _Costly:
    name = "costly"
    model = "fake:m"

    def start(self, *a: object) -> None: ...

    def act(self, observation: str, info: dict) -> AgentStep:
        return AgentStep("echo", usage=Usage(cost=0.5, calls=1))

    def close(self) -> None: ...


def test_gate_ends_episodes_once_the_batch_budget_is_spent() -> None:
    gate = LocalGate(worker_context(), ["fake"], {"fake": 1}, cost_limit=1.0)
    agent = GatedAgent(_Costly(), gate, "fake")
    agent.act("", {})
    agent.act("", {})
    assert gate.spent == pytest.approx(1.0) and gate.exhausted()
    with pytest.raises(EpisodeEnd) as ended:
        agent.act("", {})
    assert ended.value.status is ExitStatus.INTERRUPTED


def test_unknown_agents_are_refused_before_anything_runs() -> None:
    check_agents(["baseline", "tests.batch.agents:HoldAgent"])
    with pytest.raises(UserError, match="unknown agent 'nosuch'"):
        check_agents(["baseline", "nosuch"])
    with pytest.raises(UserError, match="cannot load"):
        check_agents(["tests.batch.agents:Missing"])


def _make_folder(out: str) -> str:
    from mlgym_tui.core.trajectory import run_folder

    return str(run_folder(Path(out), "t", "same-name", None, 0))


def test_concurrent_episodes_never_share_a_run_folder(tmp_path: Path) -> None:
    # Two agents of one name (two LLM configs, say) on the same seed start in the same second.
    ctx = worker_context()
    with ctx.Pool(4) as pool:
        folders = pool.map(_make_folder, [str(tmp_path)] * 8)
    assert len(set(folders)) == 8

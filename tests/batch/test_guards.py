"""Shared limits across concurrent episodes: disjoint GPUs, calls per provider, the batch's cost."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mlgym_tui.batch.job import EpisodeJob, Outcome
from mlgym_tui.batch.ledger import scan
from mlgym_tui.batch.progress import QuietView
from mlgym_tui.batch.runner import BatchOptions, run_batch

PROJECT = Path(__file__).resolve().parents[2]
AGENTS = "tests.batch.agents"


class _Recorder(QuietView):
    """Remembers which devices each running episode held, whenever one starts."""

    def __init__(self) -> None:
        self.running: dict[str, list[str]] = {}
        self.overlaps: list[tuple[list[str], list[list[str]]]] = []
        self.most_at_once = 0

    def started(self, job: EpisodeJob) -> None:
        others = list(self.running.values())
        self.overlaps.append((list(job.gpus or []), others))
        self.running[job.launch] = list(job.gpus or [])
        self.most_at_once = max(self.most_at_once, len(self.running))

    def finished(self, job: EpisodeJob, outcome: Outcome) -> None:
        self.running.pop(job.launch, None)


@pytest.fixture(autouse=True)
def private_gpu_locks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The executor leases devices on this host's lock files: private ones, so the fake devices here are
    held by nobody else (the workers keep the shared cache and its task venvs)."""
    from mlgym_tui.core.runtime import gpus

    folder = tmp_path / "gpu-locks"
    folder.mkdir()
    monkeypatch.setattr(gpus, "lock_folder", lambda: folder)


@pytest.fixture
def gpu_task(tasks_root: Path) -> str:
    """prisonersDilemma marked as a GPU task, in a private tasks folder."""
    dst = tasks_root / "gpuDilemma"
    shutil.copytree(PROJECT / "tasks" / "prisonersDilemma", dst)
    text = (dst / "task.yaml").read_text().replace("id: prisonersDilemma", "id: gpuDilemma")
    (dst / "task.yaml").write_text(text + "gpu: true\n")
    return "gpuDilemma"


def _options(out: Path, **kw: object) -> BatchOptions:
    return BatchOptions(**{"out": out, "max_steps": 10, **kw})  # type: ignore[arg-type]


def test_concurrent_episodes_get_disjoint_gpus(tmp_path: Path, gpu_task: str) -> None:
    view = _Recorder()
    summary = run_batch(
        _options(tmp_path / "runs", tasks=[gpu_task], agents=[f"{AGENTS}:GpuProbeAgent"], attempts=4, workers=3,
                 gpus=["0", "1", "2"], gpus_per_episode=1),
        view,
    )
    assert summary.complete
    assert view.most_at_once >= 2, "episodes never overlapped; the test shows nothing"
    for mine, others in view.overlaps:
        assert len(mine) == 1
        assert all(set(mine).isdisjoint(o) for o in others)
    # The ids reach the sandbox.
    seen = set()
    for run in scan(tmp_path / "runs"):
        events = [json.loads(line) for line in (run.folder / "trajectory.jsonl").read_text().splitlines()]
        seen |= {e["text"].strip() for e in events if e.get("kind") == "observation" and "devices=" in e.get("text", "")}
    assert seen and seen <= {"devices=[0]", "devices=[1]", "devices=[2]"}


def test_episodes_wait_for_enough_free_gpus(tmp_path: Path, gpu_task: str) -> None:
    view = _Recorder()
    summary = run_batch(
        _options(tmp_path / "runs", tasks=[gpu_task], agents=[f"{AGENTS}:GpuProbeAgent"], attempts=3, workers=3,
                 gpus=["0", "1"], gpus_per_episode=2),
        view,
    )
    assert summary.complete and view.most_at_once == 1
    assert all(sorted(mine) == ["0", "1"] for mine, _ in view.overlaps)


def test_model_calls_per_provider_are_limited_across_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "calls.log"
    monkeypatch.setenv("MLGYM_TEST_CALL_LOG", str(log))
    summary = run_batch(
        _options(tmp_path / "runs", tasks=["prisonersDilemma"], agents=[f"{AGENTS}:CallLogAgent"],
                 models=["fake:model"], attempts=3, workers=3, call_limits={"fake": 1}),
    )
    assert summary.complete
    calls = sorted(tuple(map(float, line.split())) for line in log.read_text().splitlines())
    assert len(calls) >= 6
    for (_, end), (begin, _) in zip(calls, calls[1:], strict=False):
        assert begin >= end - 0.01, "two calls to one provider overlapped"


def test_total_cost_limit_stops_the_batch_and_resume_continues(tmp_path: Path) -> None:
    out = tmp_path / "runs"
    options = _options(out, tasks=["prisonersDilemma"], agents=[f"{AGENTS}:PricedAgent"], models=["fake:m"],
                       attempts=3, workers=1, total_cost_limit=1.5)
    summary = run_batch(options).data
    # $1.20 per episode: the first finishes, the second is cut at $1.50, the third never starts.
    states = [e["state"] for e in summary["episodes"]]
    assert states == ["finished", "interrupted"]
    assert summary["stopped"] and "cost limit" in summary["stopped"]
    assert len(summary["incomplete"]) == 2
    options.total_cost_limit = None
    again = run_batch(options).data
    assert again["skipped"] == 1 and again["ran"] == 2 and not again["incomplete"]

"""The trajectory index: built once, reused from its sidecar, extended as a run is written, and rebuilt
when the file changes any other way."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mlgym_tui.core.events import Event, EventKind
from mlgym_tui.core.trajectory import TrajectoryError, TrajectoryRecorder, read_trajectory
from mlgym_tui.core.trajectory_index import EVALUATED, FAILED, TrajectoryIndex


def _event(kind: EventKind, step: int, **data: object) -> Event:
    return Event(kind=kind, step=step, data=dict(data), time=1_700_000_000.0 + step)


def write_run(folder: Path, steps: int) -> TrajectoryRecorder:
    folder.mkdir(parents=True, exist_ok=True)
    rec = TrajectoryRecorder(folder / "trajectory.jsonl", {"task": "t", "agent": "a"})
    rec(_event(EventKind.EPISODE_STARTED, 0, task="t", agent="a"))
    for s in range(1, steps + 1):
        rec(_event(EventKind.ACTION, s, action=f"python run.py {s}"))
        rec(_event(EventKind.OUTPUT, s, text="x" * 1000 + "\n"))
        code = None if s == 3 else 0
        text = "Traceback (most recent call last):\nValueError" if s == 3 else "ok"
        rec(_event(EventKind.OBSERVATION, s, text=text, exit_code=code, tool=None))
        if s % 2 == 0:
            rec(_event(EventKind.VALIDATION, s, valid=s != 4, score=1.0, metrics={}))
    return rec


def test_index_reads_the_same_events_as_the_reader(tmp_path: Path) -> None:
    write_run(tmp_path / "run", 6).close()
    index = TrajectoryIndex(tmp_path / "run", cache=tmp_path / "idx")
    whole = read_trajectory(tmp_path / "run")
    assert index.header == whole.header and len(index) == len(whole.events)
    assert index.range(0, len(index)) == whole.events
    assert index.read([2, 5, 6]) == [whole.events[i] for i in (2, 5, 6)]
    marks = {(index.steps[i], index.kind(i)): index.marks[i] for i in range(len(index)) if index.marks[i]}
    assert marks == {(3, EventKind.OBSERVATION): FAILED, (2, EventKind.VALIDATION): EVALUATED,
                     (4, EventKind.VALIDATION): EVALUATED | FAILED, (6, EventKind.VALIDATION): EVALUATED}


def test_a_file_larger_than_one_read_is_indexed_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Lines that straddle the reads are found at their real offsets (a 4.9 MB run lost every event
    after its first 4 MiB read: the replay showed no reasoning at its last step)."""
    import mlgym_tui.core.trajectory_index as module

    write_run(tmp_path / "run", 12).close()
    monkeypatch.setattr(module, "_READ", 777)  # many reads, most ending mid-line
    index = TrajectoryIndex(tmp_path / "run", cache=tmp_path / "idx")
    whole = read_trajectory(tmp_path / "run")
    assert index.problems == []
    assert index.range(0, len(index)) == whole.events


def test_sidecar_is_reused_extended_and_rebuilt(tmp_path: Path) -> None:
    rec = write_run(tmp_path / "run", 3)
    cache = tmp_path / "idx"
    first = TrajectoryIndex(tmp_path / "run", cache=cache)
    assert not first.loaded_from_sidecar and len(list(cache.iterdir())) == 1
    again = TrajectoryIndex(tmp_path / "run", cache=cache)
    assert again.loaded_from_sidecar and list(again.offsets) == list(first.offsets)

    rec(_event(EventKind.ACTION, 4, action="echo more"))  # the run goes on: the index grows from its end
    path = tmp_path / "run" / "trajectory.jsonl"
    with path.open("a") as f:
        f.write('{"kind": "output", "step": 4, "ti')  # a line being written: not indexed yet
    grown = TrajectoryIndex(tmp_path / "run", cache=cache)
    assert grown.loaded_from_sidecar and len(grown) == len(first) + 1
    with path.open("a") as f:
        f.write('me": 1.0, "text": "more"}\n')
    assert grown.refresh() == 1 and grown.read([len(grown) - 1])[0].data["text"] == "more"
    rec.close()

    lines = path.read_text().splitlines(keepends=True)  # rewritten in place: same size, other content
    lines[2] = lines[2].replace("python run.py 1", "python run.py 9")
    path.write_text("".join(lines))
    os.utime(path, (1, 1))
    rebuilt = TrajectoryIndex(tmp_path / "run", cache=cache)
    assert not rebuilt.loaded_from_sidecar
    assert rebuilt.read([1])[0].data["action"] == "python run.py 9"


def test_bad_lines_are_reported_and_a_non_trajectory_refused(tmp_path: Path) -> None:
    write_run(tmp_path / "run", 2).close()
    path = tmp_path / "run" / "trajectory.jsonl"
    with path.open("a") as f:
        f.write("not json\n" + json.dumps({"kind": "no_such_kind", "step": 1}) + "\n")
    index = TrajectoryIndex(path, cache=tmp_path / "idx")
    assert len(index) == len(read_trajectory(path).events)
    assert len(index.problems) == 2 and "not valid JSON" in index.problems[0]
    (tmp_path / "notes.jsonl").write_text('{"hello": 1}\n')
    with pytest.raises(TrajectoryError, match="not a trajectory header"):
        TrajectoryIndex(tmp_path / "notes.jsonl", cache=tmp_path / "idx")

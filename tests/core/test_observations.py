"""Editor state and step outcomes read from observation text (MLGym records neither)."""

from __future__ import annotations

import json

from mlgym_tui.core.events import EventKind
from mlgym_tui.core.formats.mlgym import read_traj
from mlgym_tui.core.observations import editor_events, parse_window, step_outcome
from tests.core.formats_helpers import FIXTURE_TRAJS

FMNIST = next(p for p in FIXTURE_TRAJS if p.stem == "imageClassificationFMnist")
DILEMMA = next(p for p in FIXTURE_TRAJS if p.stem == "prisonersDilemma")


def test_a_window_in_the_middle_of_a_file() -> None:
    text = "[File: /w/a.py (300 lines total)]\n(21 more lines above)\n22:x = 1\n23:\n24:y = 2\n(276 more lines below)"
    w = parse_window(text)
    assert w is not None and (w.path, w.total, w.first, w.last) == ("/w/a.py", 300, 22, 24)
    assert parse_window("Your proposed edit has introduced new syntax error(s).\n[File: /w/a.py (3 lines total)]\n1:x") is None
    empty = parse_window("[File: /w/new.py (0 lines total)]")
    assert empty is not None and (empty.first, empty.last) == (1, 0)


def test_edit_and_insert_name_the_lines_they_wrote() -> None:
    window = "[File: /w/a.py (5 lines total)]\n1:a\n2:b\n3:c\n4:d\n5:e\nFile updated."
    edit = editor_events("edit", "edit 2:3\nB\nC\nC2\nend_of_edit", window)
    assert edit == [
        ("file_opened", {"path": "/w/a.py", "first": 1, "last": 5, "total": 5}),
        ("file_changed", {"path": "/w/a.py", "start": 2, "end": 3, "lines": ["B", "C", "C2"]}),
    ]
    insert = editor_events("insert", "insert 4\nafter four\nend_of_insert", window)
    assert insert[1] == ("file_changed", {"path": "/w/a.py", "start": 5, "end": 4, "lines": ["after four"]})
    assert editor_events("edit", "edit 2:3\nx\nend_of_edit", "Your proposed edit has introduced new syntax error(s)") == []
    assert editor_events(None, "cat a.py", window) == []


def test_outcome_is_known_unknown_or_failed_by_content() -> None:
    assert step_outcome({"exit_code": 0, "text": "Traceback (most recent call last):"}).outcome == "ok"  # the code wins
    assert step_outcome({"exit_code": 2, "text": ""}).outcome == "failed"
    unknown = step_outcome({"exit_code": None, "text": "epoch 1 loss 0.3", "tool": None})
    assert unknown.outcome == "unknown" and not unknown.known
    crash = step_outcome({"exit_code": None, "tool": None,
                          "text": "Traceback (most recent call last):\n  File \"x.py\"\nValueError: no"})
    assert crash.failed and crash.reason == "Python traceback" and crash.exit_code is None
    refused = step_outcome({"tool": "edit", "text": "Your proposed edit has introduced new syntax error(s). …"})
    assert refused.failed and refused.reason == "edit refused"
    assert step_outcome({"tool": "edit", "text": "Usage: edit <start_line>:<end_line>"}).reason == "tool error"
    assert step_outcome({"tool": "validate", "text": "Submission artefact not found."}).reason == "no score"
    scored = "Baseline Score: {'Score': 2.3}\nEvaluation Score: {'Score': 2.5}"
    assert step_outcome({"tool": "validate", "text": scored}).outcome == "unknown"
    assert step_outcome({"exit_code": 0, "timed_out": True}).failed


def test_imported_mlgym_run_carries_the_editor_state() -> None:
    run = read_traj(FMNIST)
    opened = [e for e in run.events if e.kind is EventKind.FILE_OPENED]
    changed = [e for e in run.events if e.kind is EventKind.FILE_CHANGED]
    # step 2 opens baseline.py; steps 4 and 6 are edits that were applied, 3 and 5 were refused
    assert [e.step for e in opened] == [2, 4, 6]
    assert {e.data["path"] for e in opened} == {"/home/agent/workspace/baseline.py"}
    assert opened[0].data == {"path": "/home/agent/workspace/baseline.py", "first": 1, "last": 131, "total": 131,
                              "synthesized": True}
    assert [(e.step, e.data["start"], e.data["end"], e.data["lines"][:1]) for e in changed] == [
        (4, 2, 2, ["from torchvision import transforms"]),
        (6, 27, 29, ["    def preprocess_function(examples):"]),
    ]
    # each editor event comes before its step's observation, so a view reads the window after it
    for e in opened:
        later = run.events[run.events.index(e):]
        assert next(x for x in later if x.kind is EventKind.OBSERVATION).step == e.step
    outcomes = {e.step: step_outcome(e.data) for e in run.events if e.kind is EventKind.OBSERVATION and e.step > 0}
    assert outcomes[8].failed and outcomes[8].reason == "Python traceback"  # python baseline.py crashed
    assert outcomes[3].reason == outcomes[5].reason == "edit refused"
    assert outcomes[7].reason == "no score"  # validate: artefact not found
    assert outcomes[1].outcome == "unknown" and outcomes[10].outcome == "unknown"
    assert not any(o.known for o in outcomes.values())
    assert run.header["imported"]["editor"].startswith("file_opened / file_changed synthesized")


def test_every_edit_of_the_dilemma_run_marks_its_lines() -> None:
    run = read_traj(DILEMMA)
    changed = [(e.step, e.data["start"], e.data["end"]) for e in run.events if e.kind is EventKind.FILE_CHANGED]
    assert changed == [(2, 5, 33), (4, 14, 17), (6, 14, 17), (8, 14, 17), (10, 14, 19)]


def test_the_json_export_says_how_each_step_ended() -> None:
    from mlgym_tui.core.formats import export_run

    doc = json.loads(export_run(FMNIST, "json"))
    steps = {s["index"]: s for s in doc["steps"]}
    assert (steps[8]["exit_code"], steps[8]["outcome"], steps[8]["outcome_reason"]) == (None, "failed", "Python traceback")
    assert (steps[1]["outcome"], steps[1]["outcome_reason"]) == ("unknown", "")
    assert steps[7]["outcome_reason"] == "no score"


def test_a_run_imported_before_editor_events_gets_them_when_replayed(tmp_path) -> None:  # noqa: ANN001
    from mlgym_tui.core.formats.importing import write_imported
    from mlgym_tui.core.formats.replayable import replayable
    from mlgym_tui.core.trajectory import read_trajectory

    folder = write_imported(read_traj(FMNIST), tmp_path / "runs")
    path = folder / "trajectory.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    del rows[0]["imported"]["editor"]  # as the importer wrote it before
    old = [r for r in rows if r["kind"] not in ("file_opened", "file_changed")]
    path.write_text("".join(json.dumps(r) + "\n" for r in old))
    before = path.read_bytes()

    shown = replayable(folder, cache=tmp_path / "cache")
    assert shown.is_relative_to(tmp_path / "cache") and (shown / "result.json").is_file()
    events = read_trajectory(shown).events
    assert [e.step for e in events if e.kind is EventKind.FILE_OPENED] == [2, 4, 6]
    assert [e for e in events if e.kind not in (EventKind.FILE_OPENED, EventKind.FILE_CHANGED)] == \
        read_trajectory(folder).events
    assert path.read_bytes() == before  # the user's run is untouched
    assert replayable(folder, cache=tmp_path / "cache") == shown  # made once
    fresh = write_imported(read_traj(FMNIST), tmp_path / "new")
    assert replayable(fresh, cache=tmp_path / "cache") == fresh  # a run imported now is replayed as it is

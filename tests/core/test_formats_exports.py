"""Exports of a real run: the round trip through MLGym's .traj, the JSON document, Markdown, asciicast,
the schemas, and that no secret or host detail leaves the machine."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import jsonschema
import pytest

from mlgym_tui.core.formats import export_run, load_run
from mlgym_tui.core.trajectory import read_trajectory
from tests.core.formats_helpers import FIXTURE_TRAJS, load_json, make_real_run
from tests.helpers import PROJECT, cli

SCHEMAS = PROJECT / "docs" / "schema"


@pytest.fixture(scope="module")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_real_run(tmp_path_factory.mktemp("real"))


def steps_of(folder: Path) -> list[tuple[str, str, str]]:
    return [(s.thought, s.action, s.observation) for s in load_run(folder).steps()]


def scores_of(folder: Path) -> tuple[list[tuple[bool, float | None]], float | None, list[dict]]:
    result = load_json(folder / "result.json")
    return [(v["valid"], v["score"]) for v in result["validations"]], result["score"], result["agent"]


def test_round_trip_through_traj_gives_the_same_steps_and_scores(real_run: Path, tmp_path: Path) -> None:
    target = tmp_path / "exported" / "prisonersDilemma.traj"
    proc = cli("export", str(real_run), "--format", "traj", "-o", str(target))
    assert proc.returncode == 0, proc.stderr
    traj = load_json(target)
    assert set(traj) == {"environment", "trajectory", "history", "info"}
    assert all(s["action"].endswith("\n") and isinstance(s["state"], str) for s in traj["trajectory"])
    out = tmp_path / "runs"
    proc = cli("import", str(target), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    back = next(out.rglob("result.json")).parent
    assert steps_of(back) == steps_of(real_run)
    assert scores_of(back) == scores_of(real_run)
    assert load_run(back).task_text == load_run(real_run).task_text
    assert load_json(back / "result.json")["exit_status"] == "submitted"
    assert back.relative_to(out).parts[:2] == ("prisonersDilemma", "baseline")


def test_json_document_is_self_contained_and_graded(real_run: Path) -> None:
    doc = json.loads(export_run(real_run, "json"))
    assert doc["schema"] == "mlgym-tui/graded-trajectory"
    grade = doc["grade"]
    result = load_json(real_run / "result.json")
    assert grade["score"] == result["score"] and grade["baseline"] == result["baseline"]["Score"]
    assert grade["exit_group"] == "success" and grade["verdict"] == "equal to the baseline"
    assert [s["action"] for s in doc["steps"]] == ["ls", "validate", "submit"]
    assert doc["result"]["agent"] == result["agent"] and len(doc["events"]) == len(read_trajectory(real_run).events)


def test_markdown_report_shows_score_steps_and_folds_long_output(real_run: Path, tmp_path: Path) -> None:
    md = export_run(real_run, "md")
    assert "| score | Score 2.39061 (equal to the baseline; higher is better) |" in md
    assert "| exit status | submitted (success) |" in md
    assert "### Step 3" in md and "```bash\nsubmit\n```" in md
    assert "<details><summary>task description</summary>" in md


def test_cast_is_valid_asciicast_v2(real_run: Path, tmp_path: Path) -> None:
    for source in (real_run, FIXTURE_TRAJS[1]):
        target = tmp_path / f"{source.name}.cast"
        proc = cli("export", str(source), "--format", "cast", "-o", str(target))
        assert proc.returncode == 0, proc.stderr
        lines = target.read_text().splitlines()
        header = json.loads(lines[0])
        assert header["version"] == 2 and header["width"] > 0 and header["height"] > 0
        assert isinstance(header["timestamp"], int)
        events = [json.loads(line) for line in lines[1:]]
        assert events, "no events"
        times = [e[0] for e in events]
        assert all(isinstance(t, int | float) and t >= 0 for t in times) and times == sorted(times)
        assert all(len(e) == 3 and e[1] == "o" and isinstance(e[2], str) for e in events)
        text = "".join(e[2] for e in events)
        assert "validate" in text


def test_outputs_match_the_published_schemas(real_run: Path, tmp_path: Path) -> None:
    traj_schema = load_json(SCHEMAS / "trajectory.schema.json")
    result_schema = load_json(SCHEMAS / "result.schema.json")
    jsonschema.Draft202012Validator.check_schema(traj_schema)
    out = tmp_path / "imported"
    assert cli("import", str(FIXTURE_TRAJS[0].parent.parent), "--out", str(out), "-q").returncode == 0
    folders = [real_run, *[p.parent for p in out.rglob("result.json")]]
    for folder in folders:
        for line in (folder / "trajectory.jsonl").read_text().splitlines():
            jsonschema.validate(json.loads(line), traj_schema)
        jsonschema.validate(load_json(folder / "result.json"), result_schema)


def test_readers_accept_older_versions(real_run: Path, tmp_path: Path) -> None:
    """A version-0 run (before the schema fields existed) still reads, scores and exports."""
    from mlgym_tui.core.scoring import load_runs

    old = tmp_path / "old" / "prisonersDilemma" / "baseline" / "run"
    old.mkdir(parents=True)
    lines = (real_run / "trajectory.jsonl").read_text().splitlines()
    header = json.loads(lines[0])
    del header["schema"], header["version"]
    (old / "trajectory.jsonl").write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n")
    result = load_json(real_run / "result.json")
    for key in ("schema", "version", "stand_in", "source", "agent", "baseline"):
        result.pop(key)
    (old / "result.json").write_text(json.dumps(result))
    assert not read_trajectory(old).problems
    runs = load_runs([tmp_path / "old"])
    assert not runs.problems and runs.runs[0].submission_score == result["score"]
    assert "submitted" in export_run(old, "md")


def test_exports_never_contain_keys_env_values_or_the_host(real_run: Path, tmp_path: Path) -> None:
    folder = tmp_path / "leaky"
    folder.mkdir()
    secret_env = "s3cr3t-value-from-the-host-env-1234"
    leaks = (
        "export OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz0123 && "
        "curl -H 'Authorization: Bearer abcdefghijklmnop123456' https://user:hunter2pass@example.com "
        f"ANTHROPIC_API_KEY=sk-ant-api03-abcdefghijklmnopqrstuv HF_TOKEN=hf_abcdefghijklmnopqrstuvwxyzABCDEFGH {secret_env}"
    )
    lines = (real_run / "trajectory.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    for r in records:
        if r["kind"] in ("observation", "output", "thought") and r.get("text"):
            r["text"] += "\n" + leaks
    (folder / "trajectory.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    (folder / "result.json").write_text((real_run / "result.json").read_text())
    env = {**os.environ, "MY_SERVICE_TOKEN": secret_env}
    for fmt in ("json", "traj", "md", "html", "cast"):
        text = export_run(folder, fmt, environ=env)
        for bad in ("sk-proj-abcdef", "sk-ant-api03", "hf_abcdefghij", "abcdefghijklmnop123456", "hunter2pass",
                    secret_env, str(real_run.parent)):
            assert bad not in text, (fmt, bad)
        assert "[REDACTED]" in text
        if len(socket.gethostname()) > 3:
            assert socket.gethostname() not in text
    assert "host" not in json.loads(export_run(folder, "json", environ=env))["header"]

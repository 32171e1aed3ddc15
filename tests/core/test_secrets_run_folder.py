"""No file of a run folder keeps the value of an API-key variable the process holds: not the trajectory and
``result.json`` (scrubbed line by line as written), not the memory notes (scrubbed as each is written, in
the run folder and in the per-task memory folder), and not anything else (the copied-out workspace, error
notes): the end of every episode sweeps the folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlgym_tui.core import secrets as secrets_module
from mlgym_tui.core.memory.rankers import BM25Ranker
from mlgym_tui.core.memory.store import MemoryStore
from mlgym_tui.core.secrets import REDACTED, SecretValues, scrub_tree
from tests.agents.fake_llm_servers import Turn, answer, scripted_server
from tests.helpers import cli

SECRET = "sk-test-RUNFOLDER-5ecret-do-not-keep-0123456789"


def test_a_memory_note_is_stored_without_the_secret_in_the_run_and_the_memory_folder(tmp_path: Path) -> None:
    mirror = tmp_path / "notes" / "prisonersDilemma" / "memory.jsonl"
    store = MemoryStore(tmp_path / "run" / "memory.jsonl", "prisonersDilemma", BM25Ranker(), mirror=mirror,
                        secrets=SecretValues([SECRET]))
    note = store.write(f"the key is {SECRET}, keep it", step=1, best_score=None)
    store.close()
    assert SECRET not in note.text and REDACTED in note.text
    for file in (tmp_path / "run" / "memory.jsonl", mirror):
        text = file.read_text()
        assert SECRET not in text and REDACTED in text and "keep it" in text


def test_the_sweep_scrubs_every_file_and_follows_no_link(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secrets_module, "CHUNK", 16)  # values split between pieces are still found
    run = tmp_path / "run"
    (run / "workspace" / "deep").mkdir(parents=True)
    outside = tmp_path / "outside.txt"
    outside.write_text(f"not ours {SECRET}")
    (run / "workspace" / "notes.txt").write_text(f"a\n{SECRET}\nb {SECRET}")
    (run / "workspace" / "deep" / "blob.bin").write_bytes(bytes(range(256)) + SECRET.encode() + b"\x00\xff")
    (run / "workspace" / "readonly.py").write_text(f"KEY = '{SECRET}'\n")
    os.chmod(run / "workspace" / "readonly.py", 0o444)
    (run / "workspace" / "clean.txt").write_text("nothing here")
    (run / "workspace" / "link.txt").symlink_to(outside)
    (run / "trajectory.jsonl").write_text(f"{SECRET}\n")  # skipped: scrubbed as written

    changed = scrub_tree(run, SecretValues([SECRET]), skip=frozenset({"trajectory.jsonl"}))

    assert sorted(p.name for p in changed) == ["blob.bin", "notes.txt", "readonly.py"]
    assert (run / "workspace" / "notes.txt").read_text() == f"a\n{REDACTED}\nb {REDACTED}"
    assert (run / "workspace" / "deep" / "blob.bin").read_bytes() == bytes(range(256)) + REDACTED.encode() + b"\x00\xff"
    assert (run / "workspace" / "readonly.py").stat().st_mode & 0o777 == 0o444
    assert SECRET in outside.read_text()  # the link's target is not the run's
    assert not list(run.rglob("*.scrub"))


def test_no_file_of_a_run_folder_keeps_the_key(tmp_path: Path) -> None:
    """An LLM episode whose model echoes the key into a memory note and into a workspace file."""
    turns = [
        Turn(answer("Remember it.", f"memory_write the server key is {SECRET}")),
        Turn(answer("Keep it in a file too.", f"echo {SECRET} > leaked.txt")),
        Turn(answer("Done.", "submit")),
    ]
    with scripted_server("openai", turns) as server:
        proc = cli("run", "prisonersDilemma", "--agent", "memory", "--model", "m", "--base-url", server.url,
                   "--memory-dir", str(tmp_path / "notes"), "--out", str(tmp_path / "runs"),
                   env={"OPENAI_API_KEY": SECRET, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"})
    assert proc.returncode == 0, proc.stderr
    folder = next((tmp_path / "runs").rglob("trajectory.jsonl")).parent
    assert REDACTED in (folder / "memory.jsonl").read_text()
    assert REDACTED in (folder / "workspace" / "leaked.txt").read_text()
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "leaked.txt" for p in files) and any(p.parent.name == "prisonersDilemma" for p in files)
    for path in files:
        assert SECRET.encode() not in path.read_bytes(), f"API key found in {path}"

"""Human mode: a person types commands, edits and saves a file, validates and submits, in the workbench."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlgym_tui.tui.screens.dialogs import ConfirmScreen
from mlgym_tui.tui.screens.human import HumanScreen
from mlgym_tui.tui.settings import WorkbenchSettings
from tests.tui.scripted import human_app, settle, wait_for


def shell_text(screen: HumanScreen) -> str:
    return "\n".join(screen.workbench.shell.log_widget.lines)


async def test_a_person_attempts_the_task(settings: WorkbenchSettings, runs: Path) -> None:
    app = human_app(settings, runs)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, HumanScreen)
        await wait_for(pilot, lambda: screen.episode.session is not None, what="the session")
        assert screen.focused is screen.command_line
        # the episode's start reaches the status bar with the next drain of the feed
        await wait_for(pilot, lambda: "time left 01:00:00" in screen.status_bar.render_status(screen.now()).plain,
                       what="the clock in the status bar")

        # a shell command and its output
        await pilot.press(*"echo hello-person", "enter")
        await wait_for(pilot, lambda: "hello-person\n" in shell_text(screen) + "\n", what="the output")
        assert "$ echo hello-person" in shell_text(screen)
        await pilot.press("up")  # history
        assert screen.command_line.value == "echo hello-person"
        screen.command_line.value = ""

        # open a file: the whole file lands in the editable editor
        await pilot.press(*"open strategy.py", "enter")
        editor = screen.editor
        await wait_for(pilot, lambda: editor.loaded_path is not None, what="the file in the editor")
        assert editor.loaded_path.endswith("strategy.py")
        assert "FORGIVENESS = 0.1" in editor.area.text and not editor.area.read_only

        # edit and save into the sandbox
        editor.area.text = editor.area.text.replace("FORGIVENESS = 0.1", "FORGIVENESS = 0.0")
        assert editor.dirty
        editor.area.focus()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not editor.dirty, what="the save")
        assert "FORGIVENESS = 0.0\n" in screen.episode.read_file(editor.loaded_path)

        # validate on a key: the score appears in Metrics
        await pilot.press("f5")
        metrics = screen.workbench.metrics
        await wait_for(pilot, lambda: bool(metrics.model.evaluations), what="the validation")
        validation = metrics.model.evaluations[0]
        assert validation.valid and validation.score is not None
        assert f"best {validation.score:.4g}" in metrics.summary().plain

        # pause and resume the clock (recorded); a command typed meanwhile waits in the command line
        await pilot.press("f8")
        assert "CLOCK PAUSED" in screen.status_bar.model.flags
        screen.command_line.focus()
        await pilot.press(*"ls", "enter")
        assert screen.command_line.value == "ls"  # not sent, not lost
        screen.command_line.value = ""
        await settle(pilot, 0.3)
        await pilot.press("f8")

        # submit on a key, with a deliberate confirmation (a typed letter does not answer it)
        await pilot.press("f9")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("ctrl+y")
        await wait_for(pilot, lambda: screen.ended and screen.episode.done.is_set(), what="the submission")
        assert metrics.model.submission is not None and metrics.model.submission.valid

    folder = screen.episode.folder
    result = json.loads((folder / "result.json").read_text())
    assert result["agent_name"] == "human" and result["exit_status"] == "submitted"
    # the saved edit is what was graded (validations are shown rounded, the submission is exact)
    assert result["score"] == pytest.approx(validation.score, rel=1e-3)
    records = [json.loads(line) for line in (folder / "trajectory.jsonl").read_text().splitlines()]
    actions = [r["action"] for r in records if r.get("kind") == "action"]
    assert actions == ["echo hello-person", "open strategy.py", "validate", "submit"]  # a save is no step
    assert result["steps"] == 4
    changes = [r for r in records if r.get("kind") == "file_changed"]
    assert [(c["start"], c["end"], c["lines"]) for c in changes] == [(10, 10, ["FORGIVENESS = 0.0"])]
    saves = [r for r in records if r.get("kind") == "intervention" and r["action"] == "save"]
    assert saves[0]["hunks"] == ["edit 10:10"] and "+FORGIVENESS = 0.0" in saves[0]["diff"]
    assert "FORGIVENESS = 0.0" in (folder / "human" / "saved" / "strategy.py").read_text()
    clock = [r for r in records if r.get("kind") == "intervention" and r["action"].startswith("clock")]
    assert [r["action"] for r in clock] == ["clock_paused", "clock_resumed"]
    assert clock[1]["paused_seconds"] >= 0.2


async def test_a_rejected_save_is_reported_and_the_file_kept(settings: WorkbenchSettings, runs: Path) -> None:
    app = human_app(settings, runs)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.episode.session is not None, what="the session")
        await pilot.press(*"open strategy.py", "enter")
        editor = screen.editor
        await wait_for(pilot, lambda: editor.loaded_path is not None, what="the file")
        before = screen.episode.read_file(editor.loaded_path)
        editor.area.text = editor.area.text + "\ndef broken(:\n"
        editor.area.focus()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen._saving is None, what="the save attempt")
        assert editor.dirty  # not saved: the person keeps their text
        assert screen.episode.read_file(editor.loaded_path) == before

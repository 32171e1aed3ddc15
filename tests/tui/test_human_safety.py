"""A human attempt never loses what the person typed or wrote: the sequences that once lost work."""

from __future__ import annotations

import json
from pathlib import Path

from mlgym_tui.tui.screens.dialogs import ConfirmScreen, ConflictScreen
from mlgym_tui.tui.screens.human import HumanScreen
from mlgym_tui.tui.settings import WorkbenchSettings
from tests.tui.scripted import human_app, settle, wait_for


def records(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "trajectory.jsonl").read_text().splitlines()]


async def open_strategy(pilot, screen: HumanScreen) -> None:  # noqa: ANN001
    await wait_for(pilot, lambda: screen.episode.session is not None, what="the session")
    await pilot.press(*"open strategy.py", "enter")
    await wait_for(pilot, lambda: screen.editor.loaded_path is not None, what="the file in the editor")


async def test_escape_then_typing_does_not_end_the_attempt(settings: WorkbenchSettings, runs: Path) -> None:
    app = human_app(settings, runs)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, HumanScreen)
        await open_strategy(pilot, screen)
        editor = screen.editor
        await wait_for(pilot, lambda: screen.focused is editor.area, what="the editor to take the focus")
        await pilot.press(*"# my note", "enter")
        assert editor.dirty

        await pilot.press("escape")  # editor → command line
        assert screen.focused is screen.command_line
        await pilot.press("escape")  # command line → the leave question
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        title = dialog.query_one(".dialog-title")
        assert title.size.height >= 2  # the whole question, wrapped at 80 columns
        await pilot.press(*"python train.py y", "enter")  # typing meant for the command line
        await settle(pilot, 0.3)
        assert screen.episode.running and not screen.ended, "a typed letter ended the attempt"
        assert app.screen is screen

        await pilot.press("ctrl+q")  # quitting asks too
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y", "escape")
        assert app.screen is screen and screen.episode.running
        assert editor.dirty and "# my note" in editor.area.text  # the unsaved text is still there

        screen._keep_draft()  # the timer's job, now: unsaved text is in the run folder
        folder = screen.episode.session.folder
        draft = folder / "human" / "drafts" / "strategy.py"
        await wait_for(pilot, draft.exists, what="the draft")
        assert "# my note" in draft.read_text()

        await pilot.press("ctrl+q")
        await pilot.press("ctrl+y")  # the deliberate answer
        await wait_for(pilot, lambda: screen.episode.done.is_set(), what="the stop")


async def test_a_file_changed_on_disk_reloads_or_ends_in_a_visible_conflict(
    settings: WorkbenchSettings, runs: Path
) -> None:
    app = human_app(settings, runs)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await open_strategy(pilot, screen)
        editor = screen.editor
        path = editor.loaded_path

        # no unsaved edits: a sed in the shell shows up in the editor
        screen.command_line.focus()
        await pilot.press(*"sed -i s/FORGIVENESS\\ =\\ 0.1/FORGIVENESS\\ =\\ 0.3/ strategy.py", "enter")
        await wait_for(pilot, lambda: "FORGIVENESS = 0.3" in editor.area.text, what="the reload")
        assert not editor.dirty

        # unsaved edits, then a sed: a conflict, both versions kept, nothing written
        editor.area.text = editor.area.text.replace("FORGIVENESS = 0.3", "FORGIVENESS = 0.0")
        screen.command_line.focus()
        await pilot.press(*"sed -i s/FORGIVENESS\\ =\\ 0.3/FORGIVENESS\\ =\\ 0.5/ strategy.py", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConflictScreen), what="the conflict dialog")
        assert "FORGIVENESS = 0.5" in app.screen.disk and "FORGIVENESS = 0.0" in app.screen.mine
        await pilot.press("escape")  # decide later
        assert "changed on disk" in editor.border_title
        assert "FORGIVENESS = 0.0" in editor.area.text

        editor.area.focus()
        await pilot.press("ctrl+s")  # a save asks again instead of writing
        assert isinstance(app.screen, ConflictScreen)
        assert "FORGIVENESS = 0.5" in screen.episode.read_file(path)
        await pilot.click("#disk")  # take the disk version; the person's text goes to the run folder
        await settle(pilot, 0.2)
        assert "FORGIVENESS = 0.5" in editor.area.text and not editor.dirty
        draft = screen.episode.session.folder / "human" / "drafts" / "strategy.py"
        await wait_for(pilot, draft.exists, what="the draft")
        assert "FORGIVENESS = 0.0" in draft.read_text()

        # a save made against an old text is refused by the sandbox side too
        screen.episode.save_file(path, "print('overwrite')\n", base="not what is on disk\n")
        await wait_for(pilot, lambda: any(e.data.get("action") == "save_conflict" for e in screen.events),
                       what="the refused save")
        assert "FORGIVENESS = 0.5" in screen.episode.read_file(path)


async def test_editor_indents_finds_and_goes_to_a_line(settings: WorkbenchSettings, runs: Path) -> None:
    app = human_app(settings, runs)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await open_strategy(pilot, screen)
        area = screen.editor.area
        await wait_for(pilot, lambda: screen.focused is area, what="the editor focus")

        await pilot.press("ctrl+g", *"27", "enter")  # go to line 27: `    if their_last == 1 and …:`
        assert area.cursor_location == (26, 0)
        await pilot.press("end", "enter", *"pass")
        assert area.document.get_line(27) == "        pass"  # one level deeper after the colon

        await pilot.press("ctrl+f", *"FORGIVENESS", "enter")
        assert area.selected_text == "FORGIVENESS"

        await pilot.press("escape")
        assert screen.focused is screen.command_line
        await pilot.press("ctrl+e")  # back to the editor, even from the command line
        assert screen.focused is area

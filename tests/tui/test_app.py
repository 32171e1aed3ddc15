"""App-wide behaviour: themes (switched in the palette, remembered), user keymaps, screenshots, the home
screen starting an episode, `serve` on loopback, the headless human agent."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml

from mlgym_tui.commands.serve import serve_command
from mlgym_tui.tui.app import Start, make_app
from mlgym_tui.tui.screens.help import HelpScreen, binding_rows
from mlgym_tui.tui.screens.home import HomeScreen
from mlgym_tui.tui.screens.watch import WatchScreen
from mlgym_tui.tui.settings import WorkbenchSettings, load_settings
from mlgym_tui.tui.themes import load_themes
from tests.tui.scripted import ScriptedAgent, wait_for, watch_app

PROJECT = Path(__file__).resolve().parents[2]


def test_shipped_themes_load_and_make_textual_themes() -> None:
    specs, problems = load_themes()
    assert problems == []
    names = {s.name for s in specs}
    assert {"mlgym-dark", "mlgym-light", "mlgym-high-contrast"} <= names
    for spec in specs:
        theme = spec.to_textual_theme()
        assert theme.name == spec.name and "shell-command" in theme.variables


async def test_theme_switched_in_the_palette_is_remembered(private_config: Path, runs: Path) -> None:
    app = make_app(WorkbenchSettings.for_tests(runs_dir=runs), Start("home"), persist=True)
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.theme == "mlgym-dark"
        await pilot.press("ctrl+p")
        await pilot.press(*"Theme: Light")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.theme == "mlgym-light", what="the light theme")
    saved = yaml.safe_load((private_config / "settings.yaml").read_text())
    assert saved["theme"] == "mlgym-light"
    assert load_settings().theme == "mlgym-light"
    again = make_app(start=Start("home"))  # as the CLI builds it: reads the user's settings
    async with again.run_test(size=(80, 24)):
        assert again.theme == "mlgym-light"


async def test_screenshot_from_the_palette(tmp_path: Path, runs: Path) -> None:
    shots = tmp_path / "shots"
    app = make_app(WorkbenchSettings.for_tests(runs_dir=runs, screenshot_dir=shots), Start("home"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*"Save screenshot")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: any(shots.glob("*.svg")), what="the screenshot")
    svg = next(shots.glob("*.svg")).read_text()
    assert svg.startswith("<svg") and "Tasks" in svg


async def test_user_keymap_overrides_a_binding(runs: Path) -> None:
    settings = WorkbenchSettings.for_tests(runs_dir=runs, keymap={"watch.pause": "p"})
    app = watch_app(settings, runs, lambda: ScriptedAgent(["echo one", "echo two"]), paused=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.episode.session is not None, what="the session")
        assert screen.control.paused
        await pilot.press("p")
        assert not screen.control.paused
        await wait_for(pilot, lambda: screen.ended, what="the end")
        rows = {row[2]: row[0] for row in binding_rows(screen)}
        assert rows["watch.pause"] == "p" and rows["watch.take_over"] == "^t"
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)


async def test_home_starts_watching_and_lists_the_new_run(runs: Path) -> None:
    app = make_app(WorkbenchSettings.for_tests(runs_dir=runs), Start("home"))
    async with app.run_test(size=(120, 40)) as pilot:
        home = app.screen
        assert isinstance(home, HomeScreen)
        assert "prisonersDilemma" in home.tasks and "baseline" in home.agents
        home.query_one("#tasks-table").move_cursor(row=home.tasks.index("prisonersDilemma"))
        await pilot.press("w")
        watch = app.screen
        assert isinstance(watch, WatchScreen)
        await wait_for(pilot, lambda: watch.ended, what="the baseline episode")
        await pilot.press("escape")
        assert app.screen is home
        await wait_for(pilot, lambda: bool(home.runs), what="the runs list")
        assert home.runs[0].agent == "baseline" and home.runs[0].status == "submitted"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_on_loopback(tmp_path: Path) -> None:
    assert serve_command([]).endswith("-m mlgym_tui.cli home")
    assert serve_command(["--", "watch", "prisonersDilemma"]).endswith("mlgym_tui.cli watch prisonersDilemma")
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "mlgym_tui.cli", "serve", "--port", str(port)], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        body = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    body = response.read().decode()
                break
            except OSError:
                time.sleep(0.2)
        assert "mlgym-tui" in body and "<html" in body.lower()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_headless_human_reads_actions_from_stdin(tmp_path: Path) -> None:
    actions = "echo typed-on-stdin\nopen strategy.py\nedit 10:10\nFORGIVENESS = 0.0\nend_of_edit\nvalidate\nsubmit\n"
    proc = subprocess.run(
        [sys.executable, "-m", "mlgym_tui.cli", "human", "prisonersDilemma", "--headless", "--out", str(tmp_path)],
        input=actions, capture_output=True, text=True, timeout=120, cwd=PROJECT,
    )
    assert proc.returncode == 0, proc.stderr
    assert "typed-on-stdin" in proc.stdout and "mlgym> " in proc.stdout
    assert "Score:" in proc.stdout and "(submitted)" in proc.stdout
    result = next(tmp_path.glob("prisonersDilemma/human/*/result.json"))
    assert '"agent_name": "human"' in result.read_text()

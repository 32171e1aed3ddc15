"""The HTML report opens in headless Chromium (Debian's ``chromium``) without errors and shows the score.

``scripts/setup-chromium.sh`` installs the browser (``scripts/test.sh`` runs it before pytest). Without a
browser the test is skipped on a developer machine and fails under CI (``CI`` set), where setup must
have installed it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from mlgym_tui.core.formats import export_run
from tests.core.formats_helpers import FIXTURE_TRAJS, make_real_run

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--enable-logging=stderr", "--v=0",
]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed; scripts/setup-chromium.sh should have installed it")
    pytest.skip("chromium is not installed (run scripts/setup-chromium.sh)")


def render(html: Path, profile: Path) -> tuple[str, str]:
    proc = subprocess.run(
        [chromium(), *FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=2000", "--dump-dom", html.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout, proc.stderr


@pytest.mark.parametrize("source", ["real", "imported"])
def test_html_report_opens_in_chromium_without_errors_and_shows_the_score(source: str, tmp_path: Path) -> None:
    if source == "real":
        run = make_real_run(tmp_path / "runs")
        score = "Score 2.39061 (equal to the baseline; higher is better)"
    else:
        run = FIXTURE_TRAJS[1]
        score = "accuracy 0.8193 (better than the baseline; higher is better)"
    html = tmp_path / "report.html"
    html.write_text(export_run(run, "html"), encoding="utf-8")
    assert "http://" not in html.read_text().replace('xmlns="http://www.w3.org/2000/svg"', "")  # works offline
    dom, log = render(html, tmp_path / "profile")
    assert 'data-report-ready="yes"' in dom, "the page's script did not run to the end"
    assert score in dom
    assert "<svg" in dom and 'class="submission"' in dom
    console = [line for line in log.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert not console, console
    assert not re.search(r"Failed to load resource|net::ERR_", log), log[-2000:]

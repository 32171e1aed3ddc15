"""The core must work without the UI: importing it must not load textual or rich."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import mlgym_tui.agents
import mlgym_tui.core


def _modules(package) -> list[str]:  # noqa: ANN001
    return [m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]


def test_core_and_agents_import_neither_textual_nor_rich() -> None:
    modules = _modules(mlgym_tui.core) + _modules(mlgym_tui.agents)
    assert "mlgym_tui.core.session" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "print(','.join(bad))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", f"UI modules imported by the core: {proc.stdout}"

"""Build hook: ship the project's task, agent-config, theme and Docker folders inside the package.

``tasks/``, ``agents/``, ``themes/`` and ``docker/`` stay at the top of the repository (the source of
truth, edited in place); a wheel gets a copy under ``mlgym_tui/_bundled/``, which
:mod:`mlgym_tui.paths` uses when no checkout is beside the package. Everything else is in
``pyproject.toml``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED = ("tasks", "agents", "themes", "docker")
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".pytest_cache", ".ruff_cache")


class BuildWithBundledFolders(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's folders directly
        target = Path(self.build_lib) / "mlgym_tui" / "_bundled"
        for name in BUNDLED:
            source = ROOT / name
            if not source.is_dir():
                raise SystemExit(f"setup.py: {source} is missing; build from a checkout or its sdist")
            shutil.rmtree(target / name, ignore_errors=True)
            shutil.copytree(source, target / name, ignore=IGNORE)


setup(cmdclass={"build_py": BuildWithBundledFolders})

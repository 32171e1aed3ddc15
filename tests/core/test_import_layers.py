"""The package's layers, checked statically (import-linter), beside the runtime check of
``test_core_has_no_ui_imports.py``: ``cli > commands > tui | batch > agents > core > paths``, and the
core and agents never import textual or rich — not even lazily inside a function, which a runtime
import cannot see. The contracts live in ``pyproject.toml`` (``[tool.importlinter]``)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LINT_IMPORTS, "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root, capture_output=True, text=True, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )


def test_layer_contracts_are_kept() -> None:
    proc = _lint_imports(ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "2 kept, 0 broken" in proc.stdout


def test_a_core_module_importing_an_agent_breaks_the_contract(tmp_path: Path) -> None:
    """The check can fail: a lazy import of an agent (an upper layer) from core is reported."""
    shutil.copytree(ROOT / "mlgym_tui", tmp_path / "mlgym_tui", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    session = tmp_path / "mlgym_tui" / "core" / "session.py"
    session.write_text(
        session.read_text() + "\n\ndef _late():\n    from mlgym_tui.agents import registry\n\n"
        "    from rich import print\n\n    return registry, print\n"
    )
    proc = _lint_imports(tmp_path)
    assert proc.returncode != 0
    assert "0 kept, 2 broken" in proc.stdout
    assert "mlgym_tui.core.session -> mlgym_tui.agents.registry" in proc.stdout


def test_no_import_cycles_between_modules() -> None:
    """No module imports itself back through others (imports only for type checking aside)."""
    graph = grimp.build_graph("mlgym_tui", exclude_type_checking_imports=True)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in graph.find_modules_directly_imported_by(module):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    assert cycles == []

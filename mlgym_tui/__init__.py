"""mlgym-tui: research environments for AI agents, and a terminal workbench over them."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec
    from types import ModuleType

__version__ = "0.1.0"


def _register() -> None:
    """Make ``gymnasium.make("mlgym/<taskId>-v0")`` work for every task on the task path."""
    from mlgym_tui.core.registration import register_tasks

    register_tasks()


class _RegisterWithGymnasium:
    """Registers the tasks right after Gymnasium is first imported, rather than importing Gymnasium (and
    numpy, ~0.13 s) with this package: most commands (``score``, ``replay``, ``export``) never make an
    environment, and ``import mlgym_tui; gymnasium.make("mlgym/<id>-v0")`` still works in either order.
    A meta path finder by protocol (``find_spec``); importing ``importlib.abc`` for its base class alone
    cost 16 ms."""

    def find_spec(self, name: str, path: object = None, target: ModuleType | None = None) -> ModuleSpec | None:
        if name != "gymnasium":
            return None
        spec = next((found for finder in sys.meta_path if finder is not self
                     and (found := finder.find_spec(name, path, target)) is not None), None)
        loader = spec.loader if spec else None
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        load = loader.exec_module

        def load_then_register(module: ModuleType) -> None:
            load(module)
            if self in sys.meta_path:  # here, not in find_spec: a lookup alone (``find_spec``) loads nothing
                sys.meta_path.remove(self)
            _register()

        loader.exec_module = load_then_register  # type: ignore[method-assign]
        return spec


if "gymnasium" in sys.modules:
    _register()
else:
    sys.meta_path.insert(0, _RegisterWithGymnasium())

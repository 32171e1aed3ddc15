"""Starting the workbench from a CLI command: one place that checks the extra is installed, builds the
app with the user's settings, runs it, and turns its result into an exit code."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlgym_tui.core.errors import UserError

if TYPE_CHECKING:
    from mlgym_tui.tui.app import Start


def require_tui() -> None:
    """A one-line error instead of an ImportError when the ``tui`` extra is missing."""
    try:
        import textual  # noqa: F401
        import textual_plotext  # noqa: F401
    except ImportError as exc:
        raise UserError(f"the workbench needs the tui extra: pip install 'mlgym-tui[tui]' ({exc.name} is missing)") from exc


def run_workbench(start: Start) -> int:
    """Run the app full-screen until the person quits; the app's return code is the exit code."""
    from mlgym_tui.tui.app import make_app

    app = make_app(start=start)
    result = app.run()
    return int(result or 0)

"""What every region of the workbench has in common: it is a view over the event stream.

Views take events in two phases so a burst (a flood of shell output, a replay seek over a thousand steps)
costs one repaint: :meth:`Panel.apply` only updates the panel's own bounded model, :meth:`Panel.flush`
renders what changed. :meth:`Panel.reset` forgets everything (a replay seeking backwards).
"""

from __future__ import annotations

from textual.containers import Vertical

from mlgym_tui.core.events import Event


class Panel(Vertical, can_focus=False):
    """A bordered region; subclasses implement the three phases."""

    DEFAULT_CLASSES = "panel"
    TITLE = ""
    ALLOW_MAXIMIZE = True
    """Every panel can be zoomed (F3): containers are not maximisable unless they say so."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._title = self.TITLE
        self._hint = ""

    def on_mount(self) -> None:
        self._show_title()

    def set_title(self, text: str) -> None:
        """The panel's own title (the editor names its file)."""
        self._title = text
        self._show_title()

    def set_hint(self, hint: str) -> None:
        """A layout note after the title (which panel of four, in the single layout)."""
        self._hint = hint
        self._show_title()

    def _show_title(self) -> None:
        self.border_title = self._title + (f" · {self._hint}" if self._hint else "")

    def reset(self) -> None:
        """Forget every event (the next events start a new episode view)."""

    def apply(self, event: Event) -> None:
        """Update the model for one event; must be cheap and must not touch the DOM."""

    def flush(self) -> bool:
        """Render pending changes; return True when work is left for the next tick."""
        return False

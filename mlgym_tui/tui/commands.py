"""The command palette (ctrl+p): grouped "Group: Verb" commands from the app and the current screen."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from mlgym_tui.tui.app import WorkbenchApp

Command = tuple[str, str, Callable[[], object]]


class WorkbenchCommands(Provider):
    """Everything the workbench can do by name: themes, screenshots, screens, the screen's controls."""

    def _commands(self) -> list[Command]:
        app: WorkbenchApp = self.app  # type: ignore[assignment]
        commands: list[Command] = list(app.palette_commands())
        screen_commands = getattr(self.screen, "palette_commands", None)
        if callable(screen_commands):
            commands.extend(screen_commands())
        return commands

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, partial(callback), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(callback), help=help_text)

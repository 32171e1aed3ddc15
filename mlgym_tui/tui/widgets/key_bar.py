"""The bottom line of keys: the screen's shown bindings, drawn as one line of text.

Textual's ``Footer`` builds a widget per key and restyles every one of them each time the bindings
change (focus moves, a screen opens); on the workbench's screens that was 0.1–0.2 s of every first
render (``benchmarks/replay_first_render.py``). This bar draws the same keys, in the theme's footer
colours, as one ``Text``, and keeps what people use the footer for: a click on a key presses it, and
hovering shows the binding's tooltip.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget


@dataclass(frozen=True)
class _Key:
    key: str
    start: int
    end: int
    tooltip: str


class KeyBar(Widget):
    """One line of key bindings at the bottom of a screen (a drop-in for Textual's ``Footer``)."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description", "key-bar--disabled"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        background: $footer-background;
        .key-bar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .key-bar--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .key-bar--disabled {
            text-style: dim;
        }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self._keys: list[_Key] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def _bindings_changed(self, screen: Screen) -> None:
        if self.is_attached and screen is self.screen:
            self.refresh()

    def _shown(self) -> tuple[list[tuple[Binding, bool, str]], tuple[Binding, bool, str] | None]:
        """The shown bindings, one per action (the first, as Textual's footer shows them), and the
        command palette's, which sits at the right."""
        palette_key = self.app.COMMAND_PALETTE_BINDING if self.app.ENABLE_COMMAND_PALETTE else None
        shown: dict[str, tuple[Binding, bool, str]] = {}
        palette: tuple[Binding, bool, str] | None = None
        for key, (_node, binding, enabled, tooltip) in self.screen.active_bindings.items():
            if key == palette_key:
                palette = (binding, enabled, tooltip)
            elif binding.show and binding.action not in shown:
                shown[binding.action] = (binding, enabled, tooltip)
        return list(shown.values()), palette

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-bar--key")
        description_style = self.get_component_rich_style("key-bar--description")
        disabled_style = self.get_component_rich_style("key-bar--disabled", partial=True)
        bindings, palette = self._shown()
        text = Text(no_wrap=True, overflow="crop", end="")
        keys: list[_Key] = []

        def add(binding: Binding, enabled: bool, tooltip: str) -> None:
            start = len(text)
            dim = disabled_style if not enabled else None
            text.append(f" {self.app.get_key_display(binding)} ", key_style + dim if dim else key_style)
            if binding.description:
                text.append(f"{binding.description} ", description_style + dim if dim else description_style)
            keys.append(_Key(binding.key, start, len(text), tooltip or binding.tooltip or binding.description))

        for binding, enabled, tooltip in bindings:
            add(binding, enabled, tooltip)
        if palette is not None:
            binding, enabled, tooltip = palette
            label = f" {self.app.get_key_display(binding)} {binding.description} "
            gap = self.size.width - len(text) - len(label)
            if gap > 0:
                text.append(" " * gap)
                add(binding, enabled, tooltip)
        self._keys = keys
        return text

    def _key_at(self, x: int) -> _Key | None:
        return next((key for key in self._keys if key.start <= x < key.end), None)

    def on_click(self, event: events.Click) -> None:
        key = self._key_at(event.x)
        if key is not None:
            event.stop()
            self.app.simulate_key(key.key)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        key = self._key_at(event.x)
        self.tooltip = key.tooltip if key is not None and key.tooltip else None

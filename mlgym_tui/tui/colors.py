"""Rich styles made from the current Textual theme's variables, for renderables CSS cannot reach
(Log line highlighting, syntax colouring, plot series)."""

from __future__ import annotations

from rich.style import Style
from textual.color import Color, ColorParseError


def theme_color(variables: dict[str, str], *names: str) -> Color | None:
    """The first of ``names`` that the theme defines as a parseable colour."""
    for name in names:
        value = variables.get(name)
        if not value:
            continue
        try:
            return Color.parse(value)
        except ColorParseError:
            continue
    return None


def theme_style(variables: dict[str, str], *names: str, bold: bool = False, italic: bool = False,
                background: bool = False) -> Style:
    """A foreground (or background) style from the first usable variable; empty style when none is."""
    color = theme_color(variables, *names)
    if color is None:
        return Style(bold=bold or None, italic=italic or None)
    rich = color.rich_color
    if background:
        return Style(bgcolor=rich, bold=bold or None, italic=italic or None)
    return Style(color=rich, bold=bold or None, italic=italic or None)


def theme_rgb(variables: dict[str, str], *names: str) -> tuple[int, int, int]:
    color = theme_color(variables, *names)
    return color.rgb if color is not None else (128, 128, 128)

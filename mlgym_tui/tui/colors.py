"""Rich styles made from the current Textual theme's variables, for renderables CSS cannot reach
(Log line highlighting, syntax colouring, plot series)."""

from __future__ import annotations

from rich.style import Style
from rich.theme import Theme
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


def markdown_theme(variables: dict[str, str]) -> Theme:
    """Rich's Markdown styles in the current theme's colours (Rich renderables read the console theme)."""

    def s(*names: str, **kw: bool) -> Style:
        return theme_style(variables, *names, **kw)

    return Theme(
        {
            "markdown.code": s("accent"),
            "markdown.code_block": s("foreground"),
            "markdown.block_quote": s("secondary"),
            "markdown.link": s("primary"),
            "markdown.link_url": s("primary"),
            "markdown.item.bullet": s("primary", bold=True),
            "markdown.item.number": s("primary", bold=True),
            "markdown.hr": s("foreground-muted", "foreground"),
            "markdown.h1": s("primary", bold=True),
            "markdown.h2": s("primary", bold=True),
            "markdown.h3": s("secondary", bold=True),
            "markdown.h4": s("secondary", italic=True),
            "markdown.strong": Style(bold=True),
            "markdown.em": Style(italic=True),
        }
    )

"""Themes as data: ``themes/*.yaml`` (and the user's own) parsed into a model that makes Textual themes.

Widgets never name colours; styles use theme variables (``$primary``, ``$shell-command`` …), so a theme
file changes every colour in the workbench. See ``themes/README.md`` for the fields.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from textual.theme import Theme

from mlgym_tui.paths import themes_dir
from mlgym_tui.tui.settings import config_dir


class ThemeSpec(BaseModel):
    """One theme file."""

    model_config = ConfigDict(extra="forbid")

    name: str
    """Id used in settings and the palette (``mlgym-dark``)."""
    label: str = ""
    """Name shown in the palette (``Dark``)."""
    dark: bool = True
    primary: str
    secondary: str | None = None
    accent: str | None = None
    foreground: str | None = None
    background: str | None = None
    surface: str | None = None
    panel: str | None = None
    success: str | None = None
    warning: str | None = None
    error: str | None = None
    variables: dict[str, str] = Field(default_factory=dict)
    """Extra variables: Textual's (``footer-key-foreground``…) and the workbench's (``shell-command``…)."""

    def to_textual_theme(self) -> Theme:
        return Theme(
            name=self.name,
            primary=self.primary,
            secondary=self.secondary,
            accent=self.accent,
            foreground=self.foreground,
            background=self.background,
            surface=self.surface,
            panel=self.panel,
            success=self.success,
            warning=self.warning,
            error=self.error,
            dark=self.dark,
            variables=dict(self.variables),
        )


def load_theme_file(path: Path) -> ThemeSpec:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise ValueError("expected a mapping")
    return ThemeSpec.model_validate(raw)


def load_themes(extra_dirs: list[Path] | None = None) -> tuple[list[ThemeSpec], list[str]]:
    """Shipped themes, then user themes (``<config>/themes/*.yaml``); returns themes and problems.

    A broken user theme is reported, not fatal: the workbench must still open.
    """
    specs: dict[str, ThemeSpec] = {}
    problems: list[str] = []
    for folder in [themes_dir(), config_dir() / "themes", *(extra_dirs or [])]:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.yaml")):
            try:
                spec = load_theme_file(path)
            except (OSError, yaml.YAMLError, ValueError, ValidationError) as exc:
                problems.append(f"{path}: {str(exc).splitlines()[0]}")
                continue
            specs[spec.name] = spec
    return list(specs.values()), problems

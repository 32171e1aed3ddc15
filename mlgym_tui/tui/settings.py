"""User settings of the workbench: one pydantic model, read from and written to a YAML file.

The file lives at ``$MLGYM_CONFIG_DIR/settings.yaml`` (default ``~/.config/mlgym-tui``). The workbench
writes back only what the person changes from inside it (the theme); everything else is theirs to edit.
Tests build settings with :meth:`WorkbenchSettings.for_tests` (no blinking cursor, a frozen clock).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mlgym_tui.core.errors import ConfigError

SETTINGS_FILE = "settings.yaml"


def config_dir() -> Path:
    """Where user settings, user themes and screenshots go (``MLGYM_CONFIG_DIR`` overrides)."""
    base = os.environ.get("MLGYM_CONFIG_DIR")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CONFIG_HOME")
    return (Path(xdg) if xdg else Path.home() / ".config") / "mlgym-tui"


class WorkbenchSettings(BaseModel):
    """Everything a person can configure about the workbench."""

    model_config = ConfigDict(extra="forbid")

    theme: str = "mlgym-dark"
    """Name of the theme in use (``themes/*.yaml`` or a user theme); switch it in the command palette."""
    keymap: dict[str, str] = Field(default_factory=dict)
    """Key overrides: binding id (listed in the help screen, F1) to keys, e.g. ``watch.pause: p``."""
    runs_dir: Path = Path("runs")
    """Folder of run folders the home screen lists and new episodes are written to."""
    screenshot_dir: Path | None = None
    """Where ``Screen: Save screenshot`` writes SVG files (default: ``screenshots/`` in the config folder)."""
    shell_max_lines: int = 10_000
    """Lines of scrollback the shell panel keeps (memory stays bounded however much a command prints)."""
    reasoning_steps: int = 30
    """Steps the reasoning panel keeps rendered (older steps are in the trajectory and the replay)."""
    drain_interval: float = 0.02
    """Seconds between two drains of the live event feed (measured sweet spot under floods: ~20 ms)."""
    cursor_blink: bool = True
    """Blink text cursors (tests turn this off so screenshots are stable)."""
    frozen_time: float | None = None
    """Show this epoch time as "now" everywhere (tests: clocks that do not move)."""

    @classmethod
    def for_tests(cls, **overrides: object) -> WorkbenchSettings:
        """Stable settings for Pilot and snapshot tests."""
        base: dict[str, object] = {"cursor_blink": False, "frozen_time": 1_700_000_065.0}
        return cls.model_validate({**base, **overrides})

    def now(self) -> float:
        return self.frozen_time if self.frozen_time is not None else time.time()


def settings_path() -> Path:
    return config_dir() / SETTINGS_FILE


def load_settings(path: Path | None = None) -> WorkbenchSettings:
    """Read the settings file (missing means defaults); a bad file is a one-line ConfigError."""
    path = path or settings_path()
    if not path.is_file():
        return WorkbenchSettings()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {str(exc).splitlines()[0]}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of settings")
    try:
        return WorkbenchSettings.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        raise ConfigError(f"{path}: field '{loc}': {err['msg']}") from exc


def remember(key: str, value: object, path: Path | None = None) -> None:
    """Write one setting back to the user's file, keeping the rest of it as it was."""
    path = path or settings_path()
    raw: dict[str, object] = {}
    if path.is_file():
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
            raw = loaded if isinstance(loaded, dict) else {}
        except yaml.YAMLError:
            return  # never overwrite a file the person is in the middle of fixing
    raw[key] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".yaml.tmp")
    tmp.write_text(yaml.safe_dump(raw, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)

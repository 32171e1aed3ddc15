"""Reading a YAML config file into a mapping, with every failure as a one-line ConfigError naming the file
(and the line, for syntax errors): tasks and agent configs both come through here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from mlgym_tui.core.errors import ConfigError

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML was built with it: the same documents, ten times faster (``score``
reads every task file, and the pure-Python parser was a quarter of its run)."""


def read_yaml_mapping(path: Path, *, empty_ok: bool = False) -> dict[str, Any]:
    """The file's top-level mapping; an empty file is ``{}`` when ``empty_ok``, an error otherwise."""
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such file") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not a text file (byte {exc.start} is not UTF-8)") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror or exc})") from exc
    except RecursionError as exc:
        raise ConfigError(f"{path}: nested too deeply to read") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}: invalid YAML{where}: {problem}") from exc
    if raw is None and empty_ok:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: field '(top level)': expected a mapping of fields, got {type(raw).__name__}")
    return raw

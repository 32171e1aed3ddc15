"""The values of this process's secret environment variables, and replacing them in text.

An API key an agent manages to print (or a model echoes) must not reach the run folder or an export. The
sandbox keeps the agent from reading the keys in the first place; this is the second line: every line the
recorder writes, ``result.json``, and every export are scrubbed of the *values* of the environment
variables whose names say they are secrets (``OPENAI_API_KEY``, ``HF_TOKEN`` …), whatever surrounds them.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping

REDACTED = "[REDACTED]"
MIN_SECRET_CHARS = 8
"""Shorter values (``1``, ``true``) would redact ordinary text and protect nothing."""
_SECRET_ENV_NAME = re.compile(r"(?i)(key|secret|token|password|passwd|credential|auth)")


def host_secrets(environ: Mapping[str, str] | None = None) -> list[str]:
    """Values of the environment variables whose names say they are secrets, longest first."""
    env = os.environ if environ is None else environ
    values = {v for k, v in env.items() if _SECRET_ENV_NAME.search(k) and len(v) >= MIN_SECRET_CHARS}
    return sorted(values, key=len, reverse=True)


class SecretValues:
    """Replaces known secret values in text, also in their JSON-escaped form (for JSON lines)."""

    def __init__(self, values: list[str] | None = None) -> None:
        raw = host_secrets() if values is None else values
        forms: set[str] = set()
        for value in raw:
            forms.add(value)
            forms.add(json.dumps(value, ensure_ascii=False)[1:-1])
            forms.add(json.dumps(value)[1:-1])
        self.forms = sorted(forms, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for form in self.forms:
            if form in text:
                text = text.replace(form, REDACTED)
        return text

"""Keeping secrets out of exports: API keys, tokens and the host's secret environment variables.

A trajectory can hold anything an agent printed (``env``, ``cat ~/.netrc`` …) and a header names the host.
Every exporter passes its data through :meth:`Scrubber.tree` first, so a shared report never carries a key.
Scrubbing is by shape (well-known key formats, ``NAME=value`` where the name says key/token/secret,
``Authorization:`` headers, URLs with passwords) and by value (the current values of the host's secret-named
environment variables).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mlgym_tui.core.secrets import REDACTED, host_secrets

__all__ = ["REDACTED", "Scrubber", "host_secrets"]


_SECRET_NAME = r"[A-Z0-9_]*(?:API_?KEY|ACCESS_?KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIALS?|PRIVATE_?KEY|AUTH)[A-Z0-9_]*"

_PATTERNS: tuple[re.Pattern[str], ...] = (
    # Provider key formats.
    re.compile(r"\bsk-(?:ant-|proj-|or-)?[A-Za-z0-9_\-]{16,}"),
    re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"),
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{30,}\b"),
    re.compile(r"\bhf_[A-Za-z0-9]{30,}\b"),
    re.compile(r"\bxox[abprs]-[A-Za-z0-9\-]{10,}"),
    re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"),
    re.compile(r"\bglpat-[A-Za-z0-9_\-]{20,}\b"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S),
)

# NAME=value / NAME: value / "NAME": "value" where NAME looks like a secret.
_ASSIGNMENT = re.compile(
    r"""(?P<name>\b""" + _SECRET_NAME + r"""\b)(?P<sep>["']?\s*[=:]\s*["']?)(?P<value>[^\s"',;]{4,})"""
)
_AUTH_HEADER = re.compile(r"(?i)(?P<head>\b(?:authorization|x-api-key|api-key)\s*[:=]\s*(?:bearer\s+|basic\s+|token\s+)?)(?P<value>[^\s\"',;]{6,})")
_BEARER = re.compile(r"(?i)(?P<head>\bbearer\s+)(?P<value>[A-Za-z0-9_\-\.=]{16,})")
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-z][a-z0-9+.\-]*://[^/\s:@]+:)(?P<value>[^@\s/]+)(?P<tail>@)")

class Scrubber:
    """Replaces secrets in strings; built once per export (it reads the environment once)."""

    def __init__(self, environ: Mapping[str, str] | None = None, extra: list[str] | None = None) -> None:
        self.values = host_secrets(environ) + [v for v in (extra or []) if len(v) >= 4]

    def text(self, value: str) -> str:
        if not value:
            return value
        for secret in self.values:
            if secret in value:
                value = value.replace(secret, REDACTED)
        for pattern in _PATTERNS:
            value = pattern.sub(REDACTED, value)
        value = _ASSIGNMENT.sub(lambda m: m["name"] + m["sep"] + REDACTED, value)
        value = _AUTH_HEADER.sub(lambda m: m["head"] + REDACTED, value)
        value = _BEARER.sub(lambda m: m["head"] + REDACTED, value)
        value = _URL_PASSWORD.sub(lambda m: m["head"] + REDACTED + m["tail"], value)
        return value

    def tree(self, value: Any) -> Any:
        """A copy of a JSON-like value with every string (keys included) scrubbed."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self.tree(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.tree(v) for v in value]
        return value


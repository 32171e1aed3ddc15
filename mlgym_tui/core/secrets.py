"""The values of this process's secret environment variables, and replacing them in text.

An API key an agent manages to print (or a model echoes) must not reach the run folder or an export. The
sandbox keeps the agent from reading the keys in the first place; this is the second line: every line the
recorder writes, ``result.json``, every memory note, and every export are scrubbed of the *values* of the
environment variables whose names say they are secrets (``OPENAI_API_KEY``, ``HF_TOKEN`` …), whatever
surrounds them; when the episode ends, :func:`scrub_tree` goes over every other file of the run folder (the
copied-out workspace, drafts, error notes), whatever wrote it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO

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

    def redact_bytes(self, data: bytes) -> bytes:
        for form in self.forms:
            raw = form.encode()
            if raw in data:
                data = data.replace(raw, REDACTED.encode())
        return data


CHUNK = 1 << 20
"""Files are scanned in pieces of this size: a workspace may hold checkpoints of many gigabytes."""


def scrub_tree(root: Path, secrets: SecretValues, skip: frozenset[str] = frozenset()) -> list[Path]:
    """Replace secret values in every regular file under ``root`` (symlinks are not followed; files whose
    name is in ``skip`` are left alone: they were scrubbed as they were written). Returns the files that
    held one. A file that cannot be rewritten is removed: a secret must not stay behind."""
    if not secrets.forms or not root.is_dir():
        return []
    changed: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
        for name in files:
            path = Path(folder, name)
            if name in skip or path.is_symlink() or not path.is_file():
                continue
            try:
                if not _pieces(path, secrets, None):
                    continue
            except OSError:
                continue
            changed.append(path)
            _rewrite(path, secrets)
    return changed


def _pieces(path: Path, secrets: SecretValues, out: IO[bytes] | None) -> bool:
    """Read ``path`` piece by piece, redacted (written to ``out`` when given); whether it held a secret.

    The last ``longest - 1`` bytes of each piece wait for the next one, so a value split between two
    pieces is still found."""
    keep = max(len(form.encode()) for form in secrets.forms) - 1
    found = False
    carry = b""
    with path.open("rb") as f:
        while True:
            chunk = f.read(CHUNK)
            buffer = carry + chunk
            clean = secrets.redact_bytes(buffer)
            found = found or clean != buffer
            if not chunk:
                if out is not None:
                    out.write(clean)
                return found
            cut = max(0, len(clean) - keep)
            if out is not None:
                out.write(clean[:cut])
            carry = clean[cut:]


def _rewrite(path: Path, secrets: SecretValues) -> None:
    """Write the redacted file in ``path``'s place, keeping its mode (a reader never sees half of it)."""
    tmp: str | None = None
    try:
        mode = path.stat().st_mode & 0o7777
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".scrub")
        with os.fdopen(fd, "wb") as out:
            _pieces(path, secrets, out)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError:
        for leftover in (tmp, path):
            if leftover is not None:
                with contextlib.suppress(OSError):
                    os.unlink(leftover)

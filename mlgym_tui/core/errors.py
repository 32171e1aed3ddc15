"""Errors a user can cause, kept apart from bugs so the CLI can print one line and exit 2."""

from __future__ import annotations


class UserError(Exception):
    """A mistake in input or configuration: reported as one line, never as a traceback."""

    exit_code = 2


class ConfigError(UserError):
    """A config file (task.yaml, agent YAML) that cannot be used; the message names file and field."""


class RuntimeUnavailable(UserError):
    """The requested sandbox backend cannot start here (e.g. no Docker daemon)."""


class SandboxError(Exception):
    """The sandbox broke mid-episode (container killed, shell gone); ends the episode as exit_runtime."""

"""Trajectory formats beyond our own: MLGym / SWE-agent ``.traj`` import, and exports.

Exports (``mlgym-tui export PATH --format F``):

- ``json``: one self-contained graded document (header, grade, result, steps, events);
- ``traj``: MLGym/SWE-agent-compatible JSON (``environment``, ``trajectory``, ``history``, ``info``);
- ``md`` / ``html``: a readable graded report (HTML: one offline file with an inline SVG plot);
- ``cast``: an asciicast v2 recording of the shell panel.

Every export is scrubbed first (:mod:`.scrub`): no API keys, no secret environment values, no host name
or absolute run-folder path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from mlgym_tui.core.events import Event
from mlgym_tui.core.formats.cast import export_cast
from mlgym_tui.core.formats.documents import export_json, export_traj, graded_document, to_traj
from mlgym_tui.core.formats.grade import Grade, grade
from mlgym_tui.core.formats.loaded import FormatError, LoadedRun, Step, load_run
from mlgym_tui.core.formats.report import export_html, export_markdown
from mlgym_tui.core.formats.scrub import REDACTED, Scrubber
from mlgym_tui.core.trajectory import EpisodeResult

EXPORTERS: dict[str, tuple[Callable[[LoadedRun], str], str]] = {
    "json": (export_json, ".json"),
    "traj": (export_traj, ".traj"),
    "md": (export_markdown, ".md"),
    "html": (export_html, ".html"),
    "cast": (export_cast, ".cast"),
}
"""Format name → (exporter, file extension)."""

PRIVATE_HEADER_FIELDS = ("host", "folder")
"""Header fields left out of exports: they describe the machine, not the run."""


def scrubbed(run: LoadedRun, environ: Mapping[str, str] | None = None) -> LoadedRun:
    """A copy of ``run`` with secrets replaced by ``[REDACTED]`` and host details left out."""
    scrub = Scrubber(environ)
    header = scrub.tree({k: v for k, v in run.header.items() if k not in PRIVATE_HEADER_FIELDS})
    events = [Event(e.kind, e.step, scrub.tree(e.data), e.time) for e in run.events]
    result = EpisodeResult.from_dict(scrub.tree(run.result.to_dict())) if run.result else None
    out = run.with_events(events, header, result)
    out.problems = [scrub.text(p) for p in run.problems]
    return out


def export_run(source: Path | LoadedRun, fmt: str, environ: Mapping[str, str] | None = None) -> str:
    """Export a run (a path any :func:`load_run` accepts, or a loaded run) as ``fmt``, scrubbed."""
    if fmt not in EXPORTERS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(EXPORTERS)}")
    run = load_run(source) if isinstance(source, Path | str) else source
    return EXPORTERS[fmt][0](scrubbed(run, environ))


__all__ = [
    "EXPORTERS",
    "REDACTED",
    "FormatError",
    "Grade",
    "LoadedRun",
    "Scrubber",
    "Step",
    "export_run",
    "grade",
    "graded_document",
    "load_run",
    "scrubbed",
    "to_traj",
]

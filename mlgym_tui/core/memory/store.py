"""The note store: one JSONL file per run, appended and flushed per note, read back tolerantly."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from mlgym_tui.core.memory.rankers import Ranker
from mlgym_tui.core.secrets import SecretValues

MEMORY_FILE = "memory.jsonl"


@dataclass
class Note:
    text: str
    step: int
    time: float
    best_score: float | None = None
    task: str = ""
    run: str = ""
    """The run folder name the note was written in (so carried notes say where they came from)."""
    embedding: list[float] | None = field(default=None, repr=False)
    ranker: str = ""


def read_notes(path: Path, warnings: list[str] | None = None) -> list[Note]:
    """Notes of one memory file; a corrupt line is skipped with a warning, the good ones are kept."""
    notes: list[Note] = []
    if not path.is_file():
        return notes
    with path.open("r", encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                raw: dict[str, Any] = json.loads(line)
                notes.append(
                    Note(
                        text=str(raw["text"]),
                        step=int(raw.get("step", 0)),
                        time=float(raw.get("time", 0)),
                        best_score=raw.get("best_score"),
                        task=str(raw.get("task", "")),
                        run=str(raw.get("run", "")),
                        embedding=raw.get("embedding"),
                        ranker=str(raw.get("ranker", "")),
                    )
                )
            except (ValueError, KeyError, TypeError) as exc:
                if warnings is not None:
                    warnings.append(f"{path}:{number}: skipped a corrupt memory note ({type(exc).__name__})")
    return notes


class MemoryStore:
    """Notes of this run plus those carried in from earlier runs of the same task."""

    def __init__(
        self,
        path: Path,
        task_id: str,
        ranker: Ranker,
        carried_from: list[Path] | None = None,
        fallback_reason: str | None = None,
        mirror: Path | None = None,
        secrets: SecretValues | None = None,
    ) -> None:
        self.path = path
        self.secrets = secrets or SecretValues()
        self.mirror = mirror
        """A second file each note is appended to as it is written (the per-task memory folder)."""
        self.task_id = task_id
        self.ranker = ranker
        self.fallback_reason = fallback_reason
        self.warnings: list[str] = []
        self.carried: list[Note] = []
        for source in carried_from or []:
            file = source / MEMORY_FILE if source.is_dir() else source
            if not file.is_file():
                self.warnings.append(f"{file}: no memory file to carry over")
                continue
            self.carried.extend(n for n in read_notes(file, self.warnings) if not n.task or n.task == task_id)
        self.notes: list[Note] = read_notes(path, self.warnings)
        self._file: IO[str] | None = None

    @property
    def all_notes(self) -> list[Note]:
        return [*self.carried, *self.notes]

    def help_suffix(self) -> str:
        return f"Ranking: {self.ranker.description}."

    def write(self, text: str, step: int, best_score: float | None) -> Note:
        """Store a note; it is on disk (flushed) before this returns, without the values of this
        process's secret variables (the notes are carried into later runs and kept beside the run)."""
        text = self.secrets.redact(text)
        note = Note(
            text=text,
            step=step,
            time=time.time(),
            best_score=best_score,
            task=self.task_id,
            run=self.path.parent.name,
            embedding=self.ranker.embed(text),
            ranker=self.ranker.name,
        )
        line = json.dumps(asdict(note)) + "\n"
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("a", encoding="utf-8")
        self._file.write(line)
        self._file.flush()
        if self.mirror is not None:
            self.mirror.parent.mkdir(parents=True, exist_ok=True)
            with self.mirror.open("a", encoding="utf-8") as f:
                f.write(line)
        self.notes.append(note)
        return note

    def read(self, query: str, k: int = 5) -> list[tuple[Note, float]]:
        """The ``k`` notes closest to ``query``, best first."""
        notes = self.all_notes
        if not notes:
            return []
        usable = [n.embedding if n.ranker == self.ranker.name else None for n in notes]
        scores = self.ranker.scores(query, [n.text for n in notes], usable)
        ranked = sorted(zip(notes, scores, strict=True), key=lambda pair: pair[1], reverse=True)
        return ranked[:k]

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

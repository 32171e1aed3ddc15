"""Headless progress output: a subscriber that prints one line per step."""

from __future__ import annotations

import sys

from mlgym_tui.core.events import Event, EventKind


class ProgressLine:
    """Headless progress: one line per step on stderr (rewritten in place on a terminal)."""

    def __init__(self, stream=sys.stderr, max_steps: int | None = None) -> None:  # noqa: ANN001
        self.stream = stream
        self.tty = stream.isatty()
        self.max_steps = max_steps
        self.best: str = "-"

    def _print(self, text: str, final: bool = False) -> None:
        if self.tty:
            self.stream.write("\r\x1b[2K" + text[:200] + ("\n" if final else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def __call__(self, event: Event) -> None:
        d = event.data
        if event.kind is EventKind.EPISODE_STARTED:
            self.max_steps = d.get("max_steps")
            self._print(
                f"{d['task']} · {d['agent']}{' · ' + d['model'] if d.get('model') else ''} · "
                f"{d['backend']} · seed {d['seed']}",
                final=True,
            )
        elif event.kind is EventKind.ACTION:
            first = d["action"].strip().splitlines()[0] if d["action"].strip() else ""
            self._print(f"step {event.step}/{self.max_steps} · {first[:80]} · best {self.best}")
        elif event.kind in (EventKind.VALIDATION, EventKind.SUBMISSION):
            what = "validate" if event.kind is EventKind.VALIDATION else "submit"
            if d.get("valid"):
                self.best = f"{d['metric']} {d['score']:g}"
                self._print(
                    f"step {event.step}/{self.max_steps} · {what}: {d['metric']} {d['score']:g} "
                    f"(baseline {d.get('baseline')})",
                    final=True,
                )
            else:
                self._print(
                    f"step {event.step}/{self.max_steps} · {what}: invalid · "
                    f"{(d.get('error') or '').splitlines()[0][:120]}",
                    final=True,
                )
        elif event.kind is EventKind.ERROR:
            source = d.get("source")
            label = "WARNING" if source == "sandbox" else "error"
            first = (str(d.get("message") or "").strip().splitlines() or [""])[0]
            self._print(f"{label}: {first[:300]}", final=True)
        elif event.kind is EventKind.EPISODE_ENDED:
            reason = (str(d.get("message") or "").strip().splitlines() or [""])[0]
            why = f": {reason[:300]}" if reason and d["exit_status"] != "submitted" else ""
            self._print(
                f"ended: {d['exit_status']} after {d['steps']} steps, {d['wall_time']:.1f} s{why}", final=True
            )


def log(message: str) -> None:
    print(f"mlgym-tui: {message}", file=sys.stderr, flush=True)

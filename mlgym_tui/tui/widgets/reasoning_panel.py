"""The Reasoning panel: per step, what the agent thought and what it chose to do, as Markdown.

Each step is one card headed by its number, tokens and cost; a person's interventions (pause, approve,
edit, interject, take over) are noted on the card of the step they touched. Only the last
``keep`` steps are rendered (Markdown is the costly part of a repaint); the trajectory has the rest.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from textual.containers import VerticalScroll
from textual.widgets import Markdown

from mlgym_tui.core.events import Event, EventKind
from mlgym_tui.tui.widgets.panel import Panel

INTERVENTION_LABELS = {
    "pause": "‖ paused",
    "resume": "▶ resumed",
    "single_step": "▷ single step",
    "approve_mode": "approve mode",
    "approval_requested": "… waiting for approval",
    "approved": "✔ approved",
    "edited": "✎ edited by a person",
    "rejected": "✖ rejected",
    "dropped": "✖ proposal dropped (a person took control)",
    "interject": "» interjected",
    "take_over": "» a person took control",
    "hand_back": "↩ control handed back to the agent",
    "stop": "■ stop and submit",
    "clock_paused": "‖ clock paused",
    "clock_resumed": "▶ clock resumed",
}


def _fence(text: str, lang: str = "bash") -> str:
    fence = "~~~~" if "```" in text else "```"
    return f"{fence}{lang}\n{text.rstrip()}\n{fence}"


@dataclass
class StepNote:
    """What the panel knows about one step."""

    step: int
    title: str = ""
    thought: str = ""
    action: str = ""
    tokens: int = 0
    cost: float = 0.0
    by_human: bool = False
    notes: list[str] = field(default_factory=list)
    body: str = ""

    def markdown(self) -> str:
        head = [self.title or f"**Step {self.step}**"]
        if self.by_human:
            head.append("*a person*")
        if self.tokens:
            head.append(f"{self.tokens:,} tokens")
        if self.cost:
            head.append(f"${self.cost:.4f}")
        parts = [" · ".join(head)]
        if self.body:
            parts.append(self.body)
        if self.thought and not self.by_human:
            parts.append(self.thought.strip())
        if self.action:
            parts.append(_fence(self.action))
        parts.extend(f"> {n}" for n in self.notes)
        return "\n\n".join(parts)


class StepCard(Markdown):
    """One step's card; ``markdown_source`` is kept to skip re-rendering unchanged cards."""

    DEFAULT_CLASSES = "step-card"

    def __init__(self, source: str, step: int, **kwargs: object) -> None:
        super().__init__(source, **kwargs)  # type: ignore[arg-type]
        self.markdown_source = source
        self.step = step


class ReasoningPanel(Panel):
    """See the module docstring."""

    TITLE = "Reasoning"

    def __init__(self, keep: int = 30, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.keep = keep
        self._notes: OrderedDict[int, StepNote] = OrderedDict()
        self._usage: tuple[int, float] | None = None
        self._dirty = False

    def compose(self):  # noqa: ANN201
        yield VerticalScroll(id="reasoning-scroll")

    @property
    def notes(self) -> list[StepNote]:
        return list(self._notes.values())

    def reset(self) -> None:
        self._notes.clear()
        self._usage = None
        self._dirty = True

    def _note(self, step: int) -> StepNote:
        note = self._notes.get(step)
        if note is None:
            note = StepNote(step)
            self._notes[step] = note
            while len(self._notes) > self.keep:
                self._notes.popitem(last=False)
            if self._usage is not None:
                note.tokens, note.cost = self._usage
                self._usage = None
        self._dirty = True
        return note

    def apply(self, event: Event) -> None:
        d = event.data
        kind = event.kind
        if kind is EventKind.THOUGHT:
            note = self._note(event.step)
            note.thought = str(d.get("text", ""))
            note.by_human = d.get("by") == "human"
        elif kind is EventKind.ACTION:
            self._note(event.step).action = str(d.get("action", ""))
        elif kind is EventKind.MODEL_USAGE:
            self._usage = (int(d.get("tokens_in", 0)) + int(d.get("tokens_out", 0)), float(d.get("cost", 0.0)))
        elif kind is EventKind.OBSERVATION and d.get("tool") == "task":
            note = self._note(0)
            note.title = "**Task**"
            note.body = str(d.get("text", "")).strip()
        elif kind is EventKind.INTERVENTION:
            self._note(event.step).notes.append(self._intervention(d))
        elif kind is EventKind.FORMAT_ERROR:
            text = str(d.get("message") or d.get("error") or "the answer could not be parsed")
            self._note(event.step).notes.append(f"! format error: {text.splitlines()[0][:200]}")
        elif kind is EventKind.LIMIT:
            self._note(event.step).notes.append(f"■ {d.get('message') or d.get('status')}")
        elif kind is EventKind.EPISODE_ENDED:
            note = self._note(event.step)
            score = d.get("score")
            shown = "no valid submission" if score is None else f"score {score:g}"
            note.notes.append(f"■ episode ended: **{d.get('exit_status')}** · {shown}")

    @staticmethod
    def _intervention(d: dict[str, object]) -> str:
        action = str(d.get("action", ""))
        label = INTERVENTION_LABELS.get(action, action)
        if action == "approve_mode":
            label = "approve mode on" if d.get("on") else "approve mode off"
        if action == "interject":
            return f"{label}: “{str(d.get('text', ''))[:300]}”"
        if action == "edited":
            return f"{label} (the agent proposed `{str(d.get('proposed', '')).splitlines()[0][:120]}`)"
        if action == "clock_resumed" and d.get("paused_seconds") is not None:
            return f"{label} after {float(str(d['paused_seconds'])):.0f} s"
        return label

    def flush(self) -> bool:
        if not self._dirty or not self.is_mounted:
            return False
        self._dirty = False
        scroll = self.query_one("#reasoning-scroll", VerticalScroll)
        wanted = {n.step: n.markdown() for n in self._notes.values()}
        cards = {card.step: card for card in scroll.query(StepCard)}
        for step, card in cards.items():
            if step not in wanted:
                card.remove()
        new: list[StepCard] = []
        for step, source in wanted.items():
            card = cards.get(step)
            if card is None:
                new.append(StepCard(source, step))
            elif card.markdown_source != source:
                card.markdown_source = source
                card.update(source)
        if new:
            kept = [s for s in cards if s in wanted]
            if not kept or new[0].step > max(kept):
                scroll.mount_all(new)
            elif new[-1].step < min(kept):
                scroll.mount_all(new, before=cards[min(kept)])
            else:  # new cards on both sides of old ones: rebuild in order
                for step in kept:
                    cards[step].remove()
                scroll.mount_all(StepCard(source, step) for step, source in wanted.items())
        scroll.scroll_end(animate=False)
        return False

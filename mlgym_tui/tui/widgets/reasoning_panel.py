"""The Reasoning panel: per step, what the agent thought (Markdown) and what it chose to do (highlighted).

Each step is one card headed by its number, tokens and cost; a person's interventions (pause, approve,
edit, interject, take over) are noted on the card of the step they touched. A card is one widget with a
Rich renderable (Textual's Markdown widget mounts a widget per block, which made a replay's first render
of 30 cards cost seconds); only the last ``keep`` steps are kept, the trajectory has the rest.

Filled at once (a replay's first render, a jump), the panel mounts only the last :data:`FIRST_CARDS`
cards, which is more than a panel shows, and notes how many earlier steps it holds; scrolling to the top
mounts :data:`MORE_CARDS` more. Each card is a widget that is styled, measured and laid out, so mounting
all ``keep`` of them cost a replay's first render about a third of its time. Steps that arrive one by
one (watching live, stepping forward) are mounted as they come.
"""

from __future__ import annotations

import posixpath
import re
from bisect import bisect_left
from collections import OrderedDict
from dataclasses import dataclass, field

from rich.console import Group, RenderableType
from rich.markdown import Markdown
from rich.style import Style
from rich.syntax import Syntax
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from mlgym_tui.core.events import Event, EventKind
from mlgym_tui.tui.colors import theme_color, theme_style
from mlgym_tui.tui.widgets.editor_panel import syntax_theme
from mlgym_tui.tui.widgets.panel import Panel

FIRST_CARDS = 6
"""Cards mounted when the panel is filled at once: the last steps, more than fit on screen."""
MORE_CARDS = 10
"""Cards mounted each time the view reaches the top while earlier steps are held."""

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
    "save": "✎ saved by the person",
    "save_conflict": "⚠ save refused: the file changed on disk (both versions kept)",
    "save_refused": "✖ save refused",
    "pace": "pace",
}
SET_ASIDE = {"rejected": "✖ rejected", "dropped": "✖ dropped (a person took control)"}
"""Decisions after which the agent's thought and proposal stay on the card, marked, instead of being
replaced by its next proposal for the same step."""


MARKDOWN = re.compile(r"[*_`#|\[\]<>~]|^\s*(?:[-+]|\d+[.)])\s", re.MULTILINE)
"""Text that may be Markdown: emphasis, code, headings, tables, links, HTML, lists."""


def prose(text: str) -> RenderableType:
    """A thought or task text: Markdown when it has Markdown's marks, else plain text with its line breaks.
    Rich's Markdown costs about five times a Text to lay out, and a replay lays out every card of the
    panel on its first render."""
    return Markdown(text) if MARKDOWN.search(text) else Text(text)

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
    set_aside: list[tuple[str, str, str]] = field(default_factory=list)
    """Proposals of this step that did not run: (label, thought, action)."""

    def key(self) -> tuple[object, ...]:
        """Everything shown; an unchanged key means an unchanged card."""
        return (self.title, self.thought, self.action, self.tokens, self.cost, self.by_human, tuple(self.notes),
                self.body, tuple(self.set_aside))

    def renderable(self, variables: dict[str, str]) -> RenderableType:
        head = Text(no_wrap=True, overflow="ellipsis")
        head.append(self.title or f"Step {self.step}", style=theme_style(variables, "primary", bold=True))
        extras = []
        if self.by_human:
            extras.append("a person")
        if self.tokens:
            extras.append(f"{self.tokens:,} tokens")
        if self.cost:
            extras.append(f"${self.cost:.4f}")
        if extras:
            head.append(" · " + " · ".join(extras), style=theme_style(variables, "foreground-muted", "foreground"))
        parts: list[RenderableType] = [head]
        if self.body:
            parts.append(prose(self.body))
        muted = theme_style(variables, "foreground-muted", "foreground")
        for label, thought, action in self.set_aside:
            parts.append(Text(f"{label} — the agent proposed:", style=theme_style(variables, "warning", bold=True)))
            if thought.strip():
                parts.append(Text(thought.strip(), style=muted))
            parts.append(Text(action.rstrip(), style=muted + Style(strike=True)))
        if self.thought and not self.by_human:
            parts.append(prose(self.thought.strip()))
        if self.action:
            panel = theme_color(variables, "panel")
            parts.append(Syntax(self.action.rstrip(), "bash", theme=syntax_theme(variables), word_wrap=True,
                                background_color=panel.hex if panel else None, padding=(0, 1)))
        for note in self.notes:
            parts.append(Text(f"▌ {note}", style=theme_style(variables, "warning")))
        return Group(*parts)


class StepCard(Static):
    """One step's card (one widget, one renderable); ``shown`` is the key of what it shows."""

    DEFAULT_CLASSES = "step-card"

    def __init__(self, note: StepNote, variables: dict[str, str]) -> None:
        super().__init__(note.renderable(variables))
        self.step = note.step
        self.shown = note.key()

    def show(self, note: StepNote, variables: dict[str, str]) -> None:
        self.shown = note.key()
        self.update(note.renderable(variables))


class ReasoningPanel(Panel):
    """See the module docstring."""

    TITLE = "Reasoning"

    def __init__(self, keep: int = 30, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.keep = keep
        self._notes: OrderedDict[int, StepNote] = OrderedDict()
        self._usage: tuple[int, float] | None = None
        self._dirty = False
        self._retheme = False
        self._oldest: int | None = None
        """The oldest step with a mounted card (None: none yet; the next flush chooses)."""

    def on_mount(self) -> None:
        super().on_mount()
        self.app.theme_changed_signal.subscribe(self, lambda _t: self._on_theme())
        self.watch(self.query_one("#reasoning-scroll", VerticalScroll), "scroll_y", self._scrolled, init=False)

    def _scrolled(self, y: float) -> None:
        """At the top with earlier steps held: mount some of them, keeping the view where it was."""
        if y > 0 or self._oldest is None:
            return
        steps = sorted(self._notes)
        shown_from = bisect_left(steps, self._oldest)
        if not shown_from:
            return
        first = self._cards().get(self._oldest)
        self._oldest = steps[max(shown_from - MORE_CARDS, 0)]
        self._dirty = True
        self.flush(follow=False)
        if first is not None:
            self.call_after_refresh(self._scroll_to, first)

    def _scroll_to(self, card: Static) -> None:
        if card.is_mounted:
            card.scroll_visible(top=True, animate=False)

    def _on_theme(self) -> None:
        self._dirty = self._retheme = True
        self.flush()

    def compose(self):  # noqa: ANN201
        # Filled before it is mounted (a replay that opens at once), the panel brings its cards with it:
        # mounted after the screen's first layout they cost a second layout and paint of the screen.
        yield VerticalScroll(*self._first_children(), id="reasoning-scroll")

    def _first_children(self) -> list[Static]:
        steps = sorted(self._notes)
        if not steps:
            return []
        self._oldest = _first_card(steps)
        shown_from = bisect_left(steps, self._oldest)
        variables = self.app.theme_variables
        children: list[Static] = [StepCard(self._notes[step], variables) for step in steps[shown_from:]]
        if shown_from:
            children.insert(0, Static(_earlier(shown_from), id="reasoning-earlier"))
        return children

    @property
    def notes(self) -> list[StepNote]:
        return list(self._notes.values())

    def reset(self) -> None:
        self._notes.clear()
        self._usage = None
        self._oldest = None
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
            note.title = "Task"
            note.body = str(d.get("text", "")).strip()
        elif kind is EventKind.INTERVENTION:
            note = self._note(event.step)
            action = str(d.get("action", ""))
            if action in SET_ASIDE:
                note.set_aside.append((SET_ASIDE[action], note.thought if not note.by_human else "",
                                       str(d.get("proposed", ""))))
                note.thought = ""
                if note.action == d.get("proposed"):
                    note.action = ""
            else:
                note.notes.append(self._intervention(d))
        elif kind is EventKind.FORMAT_ERROR:
            text = str(d.get("message") or d.get("error") or "the answer could not be parsed")
            self._note(event.step).notes.append(f"! format error: {text.splitlines()[0][:200]}")
        elif kind is EventKind.MEMORY:
            self._note(event.step).notes.append(self._memory(d))
        elif kind is EventKind.LIMIT:
            self._note(event.step).notes.append(f"■ {d.get('message') or d.get('status')}")
        elif kind is EventKind.EPISODE_ENDED:
            note = self._note(event.step)
            score = d.get("score")
            shown = "no valid submission" if score is None else f"score {score:g}"
            note.notes.append(f"■ episode ended: {d.get('exit_status')} · {shown}")

    @staticmethod
    def _memory(d: dict[str, object]) -> str:
        """A research-log note written or recalled, shown on the step's card."""
        op = d.get("op")
        if op == "write":
            return f"✎ memory note: {str(d.get('text', ''))[:300]}"
        if op == "read":
            results = d.get("results") or []
            top = results[0] if isinstance(results, list) and results else None
            best = f" → best: “{str(top.get('text', ''))[:160]}” (step {top.get('step')})" if isinstance(top, dict) else ""
            return f"⌕ memory read “{str(d.get('query', ''))[:120]}”: {len(results)} notes{best}"
        return f"memory: {d.get('message') or op}"

    @staticmethod
    def _intervention(d: dict[str, object]) -> str:
        action = str(d.get("action", ""))
        label = INTERVENTION_LABELS.get(action, action)
        if action == "approve_mode":
            label = "approve mode on" if d.get("on") else "approve mode off"
        if action == "interject":
            return f"{label}: “{str(d.get('text', ''))[:300]}”"
        if action == "edited":
            proposed = (str(d.get("proposed", "")).splitlines() or [""])[0][:120]
            return f"{label} (the agent proposed: {proposed})"
        if action == "save":
            hunks = d.get("hunks") or []
            shown = ", ".join(str(h) for h in hunks[:4]) + (f" and {len(hunks) - 4} more" if len(hunks) > 4 else "")
            name = posixpath.basename(str(d.get("path") or ""))
            return f"{label} {name}: {shown or 'no change'} (+{d.get('added', 0)} −{d.get('removed', 0)})"
        if action == "save_refused":
            return f"{label}: {str(d.get('reason') or '').splitlines()[0][:200] if d.get('reason') else ''}"
        if action == "pace":
            return f"{label} {float(str(d.get('seconds') or 0)):g} s between actions"
        if action == "clock_resumed" and d.get("paused_seconds") is not None:
            return f"{label} after {float(str(d['paused_seconds'])):.0f} s"
        return label

    def _cards(self) -> dict[int, StepCard]:
        return {card.step: card for card in self.query_one("#reasoning-scroll", VerticalScroll).query(StepCard)}

    def flush(self, follow: bool = True) -> bool:
        if not self._dirty or not self.is_mounted:
            return False
        self._dirty = False
        variables = self.app.theme_variables
        scroll = self.query_one("#reasoning-scroll", VerticalScroll)
        steps = sorted(self._notes)
        cards = self._cards()
        if self._oldest is None or not cards:
            self._oldest = _first_card(steps) if steps else None
        shown_from = len(steps) if self._oldest is None else bisect_left(steps, self._oldest)
        wanted = steps[shown_from:]
        for step, card in cards.items():
            if step not in wanted:
                card.remove()
        new: list[StepCard] = []
        for step in wanted:
            note = self._notes[step]
            card = cards.get(step)
            if card is None:
                new.append(StepCard(note, variables))
            elif card.shown != note.key() or self._retheme:
                card.show(note, variables)
        self._retheme = False
        if new:
            kept = [s for s in cards if s in wanted]
            if not kept or new[0].step > max(kept):
                scroll.mount_all(new)
            elif new[-1].step < min(kept):
                scroll.mount_all(new, before=cards[min(kept)])
            else:  # new cards on both sides of old ones: rebuild in order
                for step in kept:
                    cards[step].remove()
                scroll.mount_all(StepCard(self._notes[step], variables) for step in wanted)
        self._show_earlier(scroll, shown_from)
        if follow:
            scroll.scroll_end(animate=False)
        return False

    def _show_earlier(self, scroll: VerticalScroll, count: int) -> None:
        """The line above the cards that says how many earlier steps scrolling up will show."""
        line = next(iter(scroll.query("#reasoning-earlier")), None)
        if not count:
            if line is not None:
                line.remove()
            return
        text = _earlier(count)
        if isinstance(line, Static):
            if line.content != text:
                line.update(text)
        else:
            scroll.mount(Static(text, id="reasoning-earlier"), before=0)


def _earlier(count: int) -> str:
    return f"▲ {count} earlier step{'s' if count != 1 else ''} · scroll up to show them"


def _first_card(steps: list[int]) -> int:
    """The oldest step with a card when the panel is filled at once (``steps`` sorted, not empty)."""
    return steps[max(len(steps) - FIRST_CARDS, 0)]

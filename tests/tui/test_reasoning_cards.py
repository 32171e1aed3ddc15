"""The Reasoning panel mounts the cards a person can see: filled at once it mounts the last steps and
says how many earlier ones it holds; scrolling to the top mounts more; steps arriving one by one are
all mounted."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from mlgym_tui.core.events import Event, EventKind
from mlgym_tui.tui.widgets.reasoning_panel import FIRST_CARDS, MORE_CARDS, ReasoningPanel, StepCard


def step_events(step: int) -> list[Event]:
    return [Event(EventKind.THOUGHT, step, {"text": f"thinking about step {step}\n" * 3}, 0.0),
            Event(EventKind.ACTION, step, {"action": f"python train.py --seed {step}"}, 0.0)]


class PanelApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ReasoningPanel(keep=30, id="reasoning-panel")


def fill(panel: ReasoningPanel, steps: range) -> None:
    """The steps' events applied together, then one flush: how a replay's jump fills the panel."""
    for step in steps:
        for event in step_events(step):
            panel.apply(event)
    panel.flush()


def cards(panel: ReasoningPanel) -> list[int]:
    return [card.step for card in panel.query(StepCard)]


def earlier_line(panel: ReasoningPanel) -> str:
    lines = list(panel.query("#reasoning-earlier"))
    return str(lines[0].render()) if lines else ""


async def test_filled_at_once_mounts_the_last_steps_and_scrolling_up_mounts_more() -> None:
    app = PanelApp()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = app.query_one(ReasoningPanel)
        fill(panel, range(1, 41))
        await pilot.pause()
        held = len(panel.notes)
        assert held == 30  # keep
        assert cards(panel) == list(range(41 - FIRST_CARDS, 41))
        assert earlier_line(panel).startswith(f"▲ {held - FIRST_CARDS} earlier steps")
        scroll = panel.query_one("#reasoning-scroll", VerticalScroll)
        assert scroll.scroll_y == scroll.max_scroll_y > 0  # at the newest step

        scroll.scroll_home(animate=False)
        await pilot.pause()
        await pilot.pause()
        assert cards(panel) == list(range(41 - FIRST_CARDS - MORE_CARDS, 41))
        assert scroll.scroll_y > 0  # the view stays on the card that was first, not on the new top

        for _ in range(3):  # to the top again, until every held step has its card
            scroll.scroll_home(animate=False)
            await pilot.pause()
            await pilot.pause()
        assert cards(panel) == [note.step for note in panel.notes]
        assert earlier_line(panel) == ""


async def test_steps_arriving_one_by_one_are_all_mounted() -> None:
    app = PanelApp()
    async with app.run_test(size=(80, 24)) as pilot:
        panel = app.query_one(ReasoningPanel)
        for step in range(1, 13):
            fill(panel, range(step, step + 1))
            await pilot.pause()
        assert cards(panel) == list(range(1, 13))
        assert earlier_line(panel) == ""

        panel.reset()  # a replay jumping back: filled at once again
        fill(panel, range(1, 13))
        await pilot.pause()
        assert cards(panel) == list(range(13 - FIRST_CARDS, 13))
        assert isinstance(panel.query_one("#reasoning-earlier"), Static)


async def test_filled_before_mounting_the_panel_composes_its_cards_scrolled_to_the_newest() -> None:
    """A replay that opens at once fills the panels before they are mounted: the cards come with the
    panel (mounted after the screen's first layout, they cost it a second layout and paint)."""
    panel = ReasoningPanel(keep=30, id="reasoning-panel")
    for step in range(1, 41):
        for event in step_events(step):
            panel.apply(event)
    mounted_later: list[int] = []

    class Prefilled(App[None]):
        def compose(self) -> ComposeResult:
            yield panel

        def on_mount(self) -> None:
            mounted_later.extend(cards(panel))  # what was composed, before any flush

    app = Prefilled()
    async with app.run_test(size=(80, 24)) as pilot:
        assert mounted_later == list(range(41 - FIRST_CARDS, 41))
        assert earlier_line(panel).startswith(f"▲ {30 - FIRST_CARDS} earlier steps")
        panel.flush()
        await pilot.pause()
        await pilot.pause()
        assert cards(panel) == list(range(41 - FIRST_CARDS, 41))  # the flush mounted nothing more
        scroll = panel.query_one("#reasoning-scroll", VerticalScroll)
        assert scroll.scroll_y == scroll.max_scroll_y > 0

"""The key bar: the shown bindings in one line, a click presses the key, disabled keys are dimmed."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from mlgym_tui.tui.widgets.key_bar import KeyBar


class Bar(App[None]):
    BINDINGS = [
        Binding("x", "count", "Count", tooltip="add one"),
        Binding("z", "hidden", "Hidden", show=False),
        Binding("w", "other", "Other"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def compose(self) -> ComposeResult:
        yield Static("body")
        yield KeyBar()

    def action_count(self) -> None:
        self.count += 1

    def action_other(self) -> None:
        pass

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if action == "other" else True  # None: shown, but disabled


async def test_the_bar_shows_the_keys_and_a_click_presses_one() -> None:
    app = Bar()
    async with app.run_test(size=(80, 5)) as pilot:
        bar = app.query_one(KeyBar)
        text = bar.render()
        assert "x Count" in text.plain and "w Other" in text.plain and "Hidden" not in text.plain
        start = text.plain.index(" x ")
        await pilot.click(KeyBar, offset=(start + 1, 0))
        await pilot.pause()
        assert app.count == 1
        await pilot.hover(KeyBar, offset=(start + 1, 0))
        await pilot.pause()
        assert bar.tooltip == "add one"
        other = text.plain.index(" w ")
        dim = [span for span in text.spans if span.start <= other + 1 < span.end]
        assert any("dim" in str(span.style) for span in dim)

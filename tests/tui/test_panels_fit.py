"""Every panel can be zoomed, and numbers are shown whole however small the terminal."""

from __future__ import annotations

import re
from typing import Any

import pytest

from mlgym_tui.tui.app import Start, make_app
from mlgym_tui.tui.settings import WorkbenchSettings
from mlgym_tui.tui.widgets.metrics_panel import step_points
from tests.snapshots.episode_events import T0, episode_events


def preset_app(screen: str, **events: Any):  # noqa: ANN201
    return make_app(WorkbenchSettings.for_tests(frozen_time=T0 + 65),
                    Start(screen, preset=episode_events(**events)))  # type: ignore[arg-type]


@pytest.mark.parametrize("screen_name", ["watch", "human"])
async def test_every_panel_maximises(screen_name: str) -> None:
    app = preset_app(screen_name, human=screen_name == "human", ended=screen_name == "watch")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        screen = app.screen
        panels = screen.workbench.panels
        assert len(panels) >= 4
        for index, panel in enumerate(panels):
            screen.action_show_panel(index)
            await pilot.press("f3")
            assert screen.maximized is panel, f"{panel.id} did not maximise"
            assert panel.region.width == 120 and panel.region.height > 30
            await pilot.press("f3")
            assert screen.maximized is None


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (160, 45)])
async def test_the_status_bar_shows_the_clock_value_at_every_size(size: tuple[int, int]) -> None:
    app = preset_app("human", human=True, ended=False)
    async with app.run_test(size=size) as pilot:
        await pilot.pause(1.3)  # a clock tick after the layout: the bar fits its width
        bar = app.screen.status_bar
        shown = bar.render_status(app.screen.now()).plain
        assert len(shown) <= bar.size.width
        assert re.search(r"\d\d:\d\d:\d\d", shown), shown  # the clock's value, whole
        assert re.search(r"\b\d+/\d+\b", shown), shown  # step N/max, whole


async def test_home_shows_every_baseline_whole() -> None:
    app = make_app(WorkbenchSettings.for_tests(), Start("home"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        table = app.screen.query_one("#tasks-table")
        column = table.ordered_columns[1]
        assert str(column.label) == "baseline"
        left = sum(c.get_render_width(table) for c in table.ordered_columns[:2])
        assert left <= table.scrollable_content_region.width  # visible without scrolling sideways


def test_best_so_far_is_a_step_function() -> None:
    xs, ys = step_points([2, 5, 9], [1.0, 1.5, 1.5], 12)
    assert list(zip(xs, ys, strict=True)) == [(2, 1.0), (5, 1.0), (5, 1.5), (9, 1.5), (9, 1.5), (12, 1.5)]
    assert min(ys) >= 1.0  # never below the first point

"""The workbench's panel table: every panel it lists is laid out (a visible region in every layout, at the
sizes the snapshots use), has a number key and a palette entry — including a panel added to the table."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App, ComposeResult

from mlgym_tui.tui.screens.watch import WatchScreen
from mlgym_tui.tui.widgets.panel import Panel
from mlgym_tui.tui.widgets.workbench import LAYOUTS, PANELS, PanelSpec, Workbench, panel_commands

STYLES = Path(__file__).resolve().parents[2] / "mlgym_tui" / "tui" / "styles"


class NotesPanel(Panel):
    TITLE = "Notes"


FIVE = (*PANELS, PanelSpec("notes", "Notes", lambda wb: NotesPanel(id="notes-panel")))


class BenchApp(App[None]):
    CSS_PATH = [STYLES / "app.tcss", STYLES / "episode.tcss"]

    def __init__(self, specs: tuple[PanelSpec, ...]) -> None:
        super().__init__()
        self.specs = specs

    def compose(self) -> ComposeResult:
        yield Workbench(specs=self.specs, id="workbench")


async def _assert_every_panel_visible(specs: tuple[PanelSpec, ...], size: tuple[int, int]) -> None:
    app = BenchApp(specs)
    async with app.run_test(size=size) as pilot:
        bench = app.query_one(Workbench)
        assert [p.id for p in bench.panels] == [f"{s.name}-panel" for s in specs]
        for layout in LAYOUTS:
            bench.layout_choice = layout
            bench._relayout()
            await pilot.pause()
            if bench.effective_layout() == "single":
                for i, panel in enumerate(bench.panels):  # one at a time: each is shown in its turn
                    bench.show_panel(i)
                    await pilot.pause()
                    assert panel.region.width > 0 and panel.region.height > 0, (layout, size, panel.id)
                continue
            regions = {p.id: p.region for p in bench.panels}
            empty = [pid for pid, r in regions.items() if r.width == 0 or r.height == 0]
            assert not empty, f"{layout} at {size}: no region for {empty}"
            assert len({(r.x, r.y) for r in regions.values()}) == len(regions), f"{layout}: panels overlap"


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_every_panel_has_a_region_in_every_layout(size: tuple[int, int]) -> None:
    await _assert_every_panel_visible(PANELS, size)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_a_fifth_panel_is_laid_out_too(size: tuple[int, int]) -> None:
    await _assert_every_panel_visible(FIVE, size)


def test_keys_and_palette_entries_come_from_the_table() -> None:
    keys = [b for b in WatchScreen.BINDINGS if getattr(b, "id", "") and ".panel_" in b.id]
    assert [(b.key, b.id) for b in keys] == [(str(i + 1), f"watch.panel_{s.name}") for i, s in enumerate(PANELS)]
    shown: list[int] = []
    entries = panel_commands(shown.append, FIVE)
    assert [title for title, _help, _run in entries][-1] == "Panel: Notes"
    entries[-1][2]()
    assert shown == [4]

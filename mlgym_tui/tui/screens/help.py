"""The help screen: every key of the screen underneath, with its description and binding id.

Built from the live bindings, so user keymap overrides (settings ``keymap``, by id) show as they are.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Label, Static

from mlgym_tui.tui.settings import settings_path


def _all_bindings(screen: Screen[object]) -> list[tuple[str, Binding]]:
    """Bindings of the app, the screen and the focused widget's chain — also those disabled right now
    (approve only shows while a proposal waits), with the keys the user keymap gave them (applied to
    copies, as Textual's own binding chain does)."""
    found: list[tuple[str, Binding]] = []
    nodes: list[object] = [screen.app, screen]
    chain = screen.focused.ancestors_with_self if screen.focused else []
    nodes += [n for n in chain if n is not screen and n is not screen.app]
    keymap = getattr(screen.app, "_keymap", {})  # the user's overrides, as Textual applies them
    for node in nodes:
        own = getattr(node, "_bindings", None)  # Textual's BindingsMap of the node
        if own is None:
            continue
        bindings = own.copy()
        if keymap:
            bindings.apply_keymap(keymap)
        for key, items in bindings.key_to_bindings.items():
            found.extend((key, b) for b in items)
    return found


def binding_rows(screen: Screen[object]) -> list[tuple[str, str, str]]:
    """(keys, description, id) of every binding of ``screen``, the app's included."""
    rows: dict[str, tuple[str, str, str]] = {}
    for key, binding in _all_bindings(screen):
        if binding.system or (not binding.show and not binding.id):
            continue
        name = binding.id or binding.action
        description = binding.description or binding.tooltip or binding.action
        shown = screen.app.get_key_display(binding) if hasattr(screen.app, "get_key_display") else key
        if name in rows:
            keys, desc, ident = rows[name]
            if shown not in keys.split(", "):
                rows[name] = (f"{keys}, {shown}", desc, ident)
        else:
            rows[name] = (shown, description, binding.id or "")
    return sorted(rows.values(), key=lambda r: (r[2] or "~", r[0]))


class HelpScreen(ModalScreen[None]):
    """See the module docstring."""

    BINDINGS = [Binding("escape,f1,q", "close", "Close", id="help.close")]

    def __init__(self, under: Screen[object]) -> None:
        super().__init__(classes="dialog")
        self.under = under

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-body help-body"):
            yield Label(f"Keys — {type(self.under).__name__.removesuffix('Screen')}", classes="dialog-title")
            table: DataTable[str] = DataTable(id="help-table", cursor_type="row", zebra_stripes=True)
            table.add_columns("keys", "what it does", "id (for keymap overrides)")
            for row in binding_rows(self.under):
                table.add_row(*row)
            yield table
            yield Static(
                f"Override keys by id in {settings_path()}, e.g. keymap: {{watch.pause: p}}\n"
                "ctrl+p opens the command palette: every command, by name.",
                classes="dialog-text",
            )

    def action_close(self) -> None:
        self.dismiss(None)

"""One table of tools: every tool is a ToolSpec with its kind and handler, and every other list of tools
(the panels', the importer's, the memory agent's) is derived from it."""

from __future__ import annotations

from mlgym_tui.agents.config import load_agent_config
from mlgym_tui.core.formats import mlgym as mlgym_format
from mlgym_tui.core.observations import EDITOR_TOOLS as OBSERVED_EDITOR_TOOLS
from mlgym_tui.core.tools import (
    DEFAULT_TOOLS,
    EDITOR_TOOLS,
    MEMORY_TOOLS,
    TOOLS,
    Editor,
    ToolError,
    parse_action,
    run_tool,
)
from mlgym_tui.tui.widgets import editor_panel, shell_panel


def test_tools_the_environment_carries_out_have_no_handler_and_the_others_have_one() -> None:
    for spec in TOOLS.values():
        assert (spec.handler is None) == (spec.kind in ("evaluation", "memory")), spec.name
    assert {"open", "goto", "scroll_up", "scroll_down", "create", "edit", "insert"} == EDITOR_TOOLS
    assert {"memory_write", "memory_read"} == MEMORY_TOOLS


def test_other_modules_use_the_derived_sets() -> None:
    assert editor_panel.EDITOR_TOOLS is EDITOR_TOOLS
    assert shell_panel.EDITOR_TOOLS is EDITOR_TOOLS
    assert OBSERVED_EDITOR_TOOLS is EDITOR_TOOLS
    assert set(DEFAULT_TOOLS) == mlgym_format.TOOLS


def test_the_memory_agent_adds_the_log_to_the_default_tools() -> None:
    assert load_agent_config("memory").tools == [*DEFAULT_TOOLS, "memory_write", "memory_read"]


def test_run_tool_refuses_the_tools_of_the_environment() -> None:
    for name in ("validate", "submit"):
        try:
            run_tool(Editor.__new__(Editor), parse_action(name))
        except ToolError as exc:
            assert "handled by the environment" in str(exc)
        else:
            raise AssertionError(f"{name} ran outside the environment")

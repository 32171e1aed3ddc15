"""The agent-computer interface on real files in a real local runtime."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mlgym_tui.core.runtime.local import LocalRuntime
from mlgym_tui.core.tools import Editor, ToolError, parse_action, run_tool

GOOD = "import math\n\n\ndef area(r):\n    return math.pi * r * r\n"


@pytest.fixture
def editor() -> Iterator[Editor]:
    rt = LocalRuntime()
    rt.start()
    rt.write_file(f"{rt.workspace}/geo.py", GOOD.encode())
    rt.write_file(f"{rt.workspace}/long.txt", "".join(f"row {i}\n" for i in range(1, 251)).encode())
    try:
        yield Editor(rt)
    finally:
        rt.close()


def act(editor: Editor, action: str) -> str:
    return run_tool(editor, parse_action(action)).text


def test_open_shows_numbered_window(editor: Editor) -> None:
    text = act(editor, "open long.txt")
    assert text.splitlines()[0].endswith("long.txt (250 lines total)]")
    assert "1:row 1" in text and "100:row 100" in text and "101:row 101" not in text
    assert "(150 more lines below)" in text


def test_open_at_line_centres_the_window(editor: Editor) -> None:
    text = act(editor, "open long.txt 200")
    assert "200:row 200" in text and "(more lines above)" not in text
    assert "more lines above" in text


def test_scrolling_past_the_end_stays_put_and_says_so(editor: Editor) -> None:
    act(editor, "open long.txt")
    act(editor, "scroll_down")
    last = act(editor, "scroll_down")
    assert "250:row 250" in last
    again = act(editor, "scroll_down")
    assert "already at the end of the file" in again
    assert "250:row 250" in again
    act(editor, "goto 1")
    assert "already at the start of the file" in act(editor, "scroll_up")


def test_edit_that_breaks_syntax_is_refused_and_file_unchanged(editor: Editor) -> None:
    act(editor, "open geo.py")
    with pytest.raises(ToolError) as err:
        act(editor, "edit 5:5\n    return math.pi * (r * r\nend_of_edit")
    assert "SyntaxError" in str(err.value) and "unchanged" in str(err.value)
    assert Path(editor.runtime.workspace, "geo.py").read_text() == GOOD


def test_edit_that_introduces_an_undefined_name_is_refused(editor: Editor) -> None:
    act(editor, "open geo.py")
    with pytest.raises(ToolError) as err:
        act(editor, "edit 5:5\n    return numpy.pi * r * r\nend_of_edit")
    assert "undefined name 'numpy'" in str(err.value)
    assert Path(editor.runtime.workspace, "geo.py").read_text() == GOOD


def test_valid_edit_is_applied_and_reported(editor: Editor) -> None:
    act(editor, "open geo.py")
    out = run_tool(editor, parse_action("edit 4:5\ndef area(r, scale=1):\n    return scale * math.pi * r * r\nend_of_edit"))
    assert "File updated" in out.text
    assert Path(editor.runtime.workspace, "geo.py").read_text().endswith("return scale * math.pi * r * r\n")
    assert ("file_changed", {"path": f"{editor.runtime.workspace}/geo.py", "start": 4, "end": 5,
                             "lines": ["def area(r, scale=1):", "    return scale * math.pi * r * r"]}) in out.events


def test_insert_adds_lines_after_the_given_line(editor: Editor) -> None:
    act(editor, "open geo.py")
    act(editor, "insert 1\nimport os\nend_of_insert")
    assert Path(editor.runtime.workspace, "geo.py").read_text().startswith("import math\nimport os\n")


def test_edit_without_end_marker_is_a_clear_error(editor: Editor) -> None:
    with pytest.raises(ToolError, match="end_of_edit"):
        parse_action("edit 1:1\nprint(1)")


def test_create_refuses_an_existing_file(editor: Editor) -> None:
    with pytest.raises(ToolError, match="already exists"):
        act(editor, "create geo.py")
    assert Path(editor.runtime.workspace, "geo.py").read_text() == GOOD
    out = act(editor, "create fresh.py")
    assert "fresh.py (0 lines total)" in out
    assert Path(editor.runtime.workspace, "fresh.py").exists()


def test_searches_with_and_without_matches(editor: Editor) -> None:
    act(editor, "open geo.py")
    assert "Line 5:" in act(editor, "search_file math.pi")
    assert "No matches found" in act(editor, "search_file tensorflow")
    assert "geo.py (2 matches)" in act(editor, "search_dir math")
    assert "No matches found" in act(editor, "search_dir tensorflow")
    assert "geo.py" in act(editor, "find_file '*.py'")
    assert "No matches found" in act(editor, "find_file '*.rs'")


def test_tools_on_missing_files_explain_themselves(editor: Editor) -> None:
    with pytest.raises(ToolError, match="not found"):
        act(editor, "open nope.py")
    with pytest.raises(ToolError, match="no file is open"):
        act(editor, "goto 3")
    with pytest.raises(ToolError, match="whole number"):
        act(editor, "open geo.py x")


def test_a_plain_command_is_not_a_tool() -> None:
    parsed = parse_action("python train.py --epochs 3")
    assert parsed.tool is None and parsed.command == "python train.py --epochs 3"

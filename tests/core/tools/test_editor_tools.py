"""The agent-computer interface on real files in a real local runtime.

The editing semantics are MLGym's, as its tools document them (``tools/defaults.sh``,
``tools/edit_linting.sh``, ``tools/insert_linting.sh``): a window of 1000 lines, ``create`` writes one empty
line, an edit range past the end is clamped, the body's lines are written exactly, only the first word
after ``edit`` counts, flake8's findings decide what is refused.
"""

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
    rt.write_file(f"{rt.workspace}/long.txt", "".join(f"row {i}\n" for i in range(1, 1201)).encode())
    try:
        yield Editor(rt)
    finally:
        rt.close()


def act(editor: Editor, action: str) -> str:
    return run_tool(editor, parse_action(action)).text


def geo(editor: Editor) -> str:
    return Path(editor.runtime.workspace, "geo.py").read_text()


def refused(editor: Editor, action: str) -> str:
    """The refusal's text; the file must be left exactly as it was."""
    before = geo(editor)
    with pytest.raises(ToolError) as err:
        act(editor, action)
    assert geo(editor) == before
    return str(err.value)


def test_the_window_shows_1000_lines_as_mlgym_places_them(editor: Editor) -> None:
    text = act(editor, "open long.txt")
    assert text.splitlines()[0].endswith("long.txt (1200 lines total)]")
    assert "1:row 1\n" in text and "1000:row 1000" in text and "1001:row 1001" not in text
    assert text.endswith("(200 more lines below)")
    # goto N puts line N a sixth of the window from the top, then keeps the window inside the file
    text = act(editor, "goto 1100")
    assert "(200 more lines above)" in text and "201:row 201" in text and "1200:row 1200" in text
    # scrolling moves by the window less two lines of overlap
    act(editor, "goto 1")
    assert "(200 more lines above)" in act(editor, "scroll_down")
    assert act(editor, "scroll_up").splitlines()[1] == "1:row 1"
    # a line past the end of the file is a warning on open and an error on goto
    assert "Warning" in act(editor, "open long.txt 5000")
    with pytest.raises(ToolError, match="less than or equal to 1200"):
        act(editor, "goto 5000")


def test_create_writes_one_empty_line_so_edit_1_1_works(editor: Editor) -> None:
    out = act(editor, "create fresh.py")
    assert "fresh.py (1 lines total)]\n1:" in out
    assert Path(editor.runtime.workspace, "fresh.py").read_bytes() == b"\n"
    act(editor, "edit 1:1\nimport os\nprint(os.sep)\nend_of_edit")
    assert Path(editor.runtime.workspace, "fresh.py").read_text() == "import os\nprint(os.sep)\n"


def test_create_on_an_existing_file_opens_it_unchanged(editor: Editor) -> None:
    out = act(editor, "create geo.py")
    assert out.startswith("Error: File 'geo.py' already exists.") and "5:    return math.pi * r * r" in out
    assert geo(editor) == GOOD


def test_an_end_line_past_the_end_of_the_file_is_clamped(editor: Editor) -> None:
    act(editor, "open geo.py")
    act(editor, "edit 4:40\ndef area(r):\n    return 3.14 * r * r\nend_of_edit")
    assert geo(editor) == "import math\n\n\ndef area(r):\n    return 3.14 * r * r\n"
    act(editor, "edit 9:12\nprint(area(1))\nend_of_edit")  # a start past the end appends
    assert geo(editor).endswith("    return 3.14 * r * r\nprint(area(1))\n")


def test_a_body_of_one_empty_line_writes_one_empty_line(editor: Editor) -> None:
    act(editor, "open geo.py")
    act(editor, "edit 2:3\n\nend_of_edit")
    assert geo(editor) == "import math\n\ndef area(r):\n    return math.pi * r * r\n"
    act(editor, "edit 2:2\nend_of_edit")  # an empty body deletes
    assert geo(editor) == "import math\ndef area(r):\n    return math.pi * r * r\n"


def test_body_lines_are_written_exactly_trailing_spaces_included(editor: Editor) -> None:
    act(editor, "open geo.py")
    act(editor, "edit 2:2\n# radius   \nend_of_edit")
    assert geo(editor).startswith("import math\n# radius   \n\n")


def test_only_the_first_word_after_edit_counts(editor: Editor) -> None:
    act(editor, "open geo.py")
    act(editor, "edit 1:1 geo.py\nimport math as m\nm = m\nimport math\nend_of_edit")
    assert geo(editor).startswith("import math as m\nm = m\nimport math\n\n")


def test_only_the_first_of_several_edit_blocks_runs(editor: Editor) -> None:
    act(editor, "open geo.py")
    out = act(editor, "edit 1:1\nimport math  # first\nend_of_edit\nedit 5:5\n    return 0\nend_of_edit")
    assert "Only the first `edit` block ran" in out
    # a one-line tool with text after it runs its line (``create F`` then the file's text, as models write)
    out = act(editor, "create extra.py\nimport os\nprint(os.sep)")
    assert "Only the first `create` line ran" in out
    assert Path(editor.runtime.workspace, "extra.py").read_bytes() == b"\n"
    assert geo(editor) == GOOD.replace("import math\n", "import math  # first\n")


def test_malformed_ranges_are_usage_errors(editor: Editor) -> None:
    act(editor, "open geo.py")
    assert "Usage: edit <start_line>:<end_line>" in refused(editor, "edit 3\nx = 1\nend_of_edit")
    assert "must be a number" in refused(editor, "edit a:3\nx = 1\nend_of_edit")
    assert "start at 1" in refused(editor, "edit 0:0\nx = 1\nend_of_edit")
    with pytest.raises(ToolError, match="end_of_edit"):
        parse_action("edit 1:1\nprint(1)")


def test_edit_that_breaks_syntax_is_refused_and_file_unchanged(editor: Editor) -> None:
    act(editor, "open geo.py")
    text = refused(editor, "edit 5:5\n    return math.pi * (r * r\nend_of_edit")
    assert "E999 SyntaxError" in text and "unchanged" in text


def test_edit_that_introduces_an_undefined_name_is_refused(editor: Editor) -> None:
    act(editor, "open geo.py")
    assert "F821 undefined name 'numpy'" in refused(editor, "edit 5:5\n    return numpy.pi * r * r\nend_of_edit")


def test_indentation_that_is_not_a_multiple_of_four_is_refused(editor: Editor) -> None:
    act(editor, "open geo.py")
    text = refused(editor, "edit 4:5\ndef area(r):\n  return math.pi * r * r\nend_of_edit")
    assert "E111 indentation is not a multiple of 4" in text


def test_problems_already_there_do_not_block_unrelated_edits(editor: Editor) -> None:
    broken = GOOD + "\nprint(undefined_a)\n"
    Path(editor.runtime.workspace, "geo.py").write_text(broken)
    act(editor, "open geo.py")
    act(editor, "insert 1\nimport os\nend_of_insert")  # the old finding moves down a line: not new
    assert geo(editor) == broken.replace("import math\n", "import math\nimport os\n")
    # inside the edited range an old finding counts as the edit's own, as in MLGym
    assert "undefined_a" in refused(editor, "edit 8:8\nprint(undefined_a, 1)\nend_of_edit")


def test_insert_adds_lines_after_the_given_line(editor: Editor) -> None:
    act(editor, "open geo.py")
    act(editor, "insert 1\nimport os\nend_of_insert")
    assert geo(editor).startswith("import math\nimport os\n")
    act(editor, "insert 0\n# top\nend_of_insert")
    act(editor, "insert 99\n# bottom\nend_of_insert")
    assert geo(editor).startswith("# top\nimport math\n") and geo(editor).endswith("r * r\n# bottom\n")


def test_read_only_task_files_are_refused_by_every_writing_tool(editor: Editor) -> None:
    ws = editor.runtime.workspace
    Path(ws, "evaluate.py").write_text("SCORE = 1\n")
    guarded = Editor(editor.runtime, read_only=[f"{ws}/evaluate.py"])
    act(guarded, "open evaluate.py")
    for action in ("edit 1:1\nSCORE = 2\nend_of_edit", "insert 1\nSCORE = 3\nend_of_insert"):
        with pytest.raises(ToolError, match="read-only"):
            act(guarded, action)
    assert "already exists" in act(guarded, "create evaluate.py")
    assert Path(ws, "evaluate.py").read_text() == "SCORE = 1\n"


def test_files_without_a_final_newline_or_with_crlf_keep_their_bytes(editor: Editor) -> None:
    ws = editor.runtime.workspace
    Path(ws, "notes.txt").write_bytes(b"a\r\nb\r\nc")
    act(editor, "open notes.txt")
    act(editor, "edit 2:2\nB\nend_of_edit")
    assert Path(ws, "notes.txt").read_bytes() == b"a\r\nB\nc\n"  # MLGym writes every line with \n


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
    with pytest.raises(ToolError, match="must be a number"):
        act(editor, "open geo.py x")


def test_a_plain_command_is_not_a_tool() -> None:
    parsed = parse_action("python train.py --epochs 3")
    assert parsed.tool is None and parsed.command == "python train.py --epochs 3"

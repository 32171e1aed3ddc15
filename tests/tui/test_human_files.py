"""A save is recorded as the hunks that changed, and the hunks rebuild exactly the saved text."""

from __future__ import annotations

import random

from mlgym_tui.tui.human_files import apply_hunks, hunks, lint_problems, normalized

BEFORE = "".join(f"line {i}\n" for i in range(1, 21))


def test_hunks_are_minimal_and_last_first() -> None:
    after = BEFORE.replace("line 3\n", "line three\n").replace("line 15\n", "").replace(
        "line 18\n", "line 18\nnew a\nnew b\n")
    found = hunks(BEFORE, after)
    assert [h.header for h in found] == ["insert 18", "edit 15:15", "edit 3:3"]
    assert found[0].lines == ["new a", "new b"] and found[1].lines == [] and found[2].lines == ["line three"]
    assert apply_hunks(BEFORE, found) == after


def test_hunks_rebuild_any_edit() -> None:
    rng = random.Random(7)
    lines = BEFORE.splitlines()
    for _ in range(200):
        edited = list(lines)
        for _ in range(rng.randint(1, 5)):
            at = rng.randrange(len(edited) + 1)
            op = rng.choice(["insert", "delete", "change"])
            if op == "insert" or not edited:
                edited.insert(at, f"x{rng.random():.3f}")
            elif op == "delete":
                del edited[min(at, len(edited) - 1)]
            else:
                edited[min(at, len(edited) - 1)] = f"y{rng.random():.3f}"
        after = normalized("\n".join(edited))
        assert apply_hunks(BEFORE, hunks(BEFORE, after)) == after


def test_the_lint_gate_sees_the_save_as_one_change() -> None:
    before = "def f(x):\n    return x\n\n\nprint(f(1))\n"
    renamed = "def g(x):\n    return x\n\n\nprint(g(1))\n"  # two hunks; each alone would break a name
    assert lint_problems(before, renamed, hunks(before, renamed)) == []
    broken = "def f(x):\n    return y\n\n\nprint(f(1))\n"
    assert [p.code for p in lint_problems(before, broken, hunks(before, broken))] == ["F821"]


def test_a_replay_marks_exactly_the_lines_a_save_changed() -> None:
    from mlgym_tui.tui.widgets.editor_panel import EditorModel

    after = BEFORE.replace("line 3\n", "line three\n").replace("line 15\n", "").replace(
        "line 18\n", "line 18\nnew a\nnew b\n")
    model = EditorModel()
    for i, h in enumerate(hunks(BEFORE, after)):
        model.on_changed({"path": "f.py", "start": h.start, "end": h.end, "lines": h.lines, "hunk": i})
    final = after.splitlines()
    assert sorted(model.edited) == [3, 18, 19]
    assert [final[n - 1] for n in sorted(model.edited)] == ["line three", "new a", "new b"]

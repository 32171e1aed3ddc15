"""The agent-computer interface: special commands beside the shell, as agents see them.

A tool is one :class:`ToolSpec` in :data:`TOOLS`: its name, signature and help text (what agent prompts
show), its kind and its handler. ``parse_action`` splits what the agent wrote into a tool call or a plain
shell command; :func:`run_tool` dispatches to the handler. Tools without a handler (``validate``,
``submit`` and the research-log tools) are carried out by the environment, which owns evaluation and the
memory store; it dispatches on their kind. The sets other modules need (the editor tools the panels and
the importer recognise, the memory tools) are derived from the table.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from mlgym_tui.core.tools.editor import Editor, ToolError, ToolOutput
from mlgym_tui.core.tools.search import find_file, search_dir, search_file

__all__ = [
    "DEFAULT_TOOLS",
    "EDITOR_TOOLS",
    "EVALUATION_TOOLS",
    "MEMORY_TOOLS",
    "TOOLS",
    "Editor",
    "ParsedAction",
    "ToolError",
    "ToolOutput",
    "ToolSpec",
    "expand_tools",
    "parse_action",
    "run_tool",
    "tools_help",
]


@dataclass(frozen=True)
class ParsedAction:
    """A tool call (``tool`` set) or a shell command (``tool`` None, ``command`` the text)."""

    tool: str | None
    args: list[str]
    body: str | None
    """A block tool's text: every line followed by ``\\n`` ("" is no lines, "\\n" one empty line)."""
    command: str
    ignored: str = ""
    """Text after a block tool's end marker, which is not run (MLGym, too, runs only the first block)."""

    @property
    def body_lines(self) -> list[str]:
        return self.body.split("\n")[:-1] if self.body else []


ToolKind = Literal["editor", "search", "evaluation", "memory"]
"""``editor``: answers with a window on the open file; ``search``: lists matches; ``evaluation`` and
``memory``: carried out by the environment (scoring; the research log, on the host)."""

Handler = Callable[[Editor, ParsedAction], ToolOutput]


@dataclass(frozen=True)
class ToolSpec:
    name: str
    signature: str
    doc: str
    kind: ToolKind
    handler: Handler | None = None
    """Carries out a parsed call in the sandbox; None for the tools the environment carries out."""
    end_marker: str | None = None
    raw: bool = False
    """The whole rest of the action (all lines) is one argument, unparsed."""


def _arity(parsed: ParsedAction, low: int, high: int) -> list[str]:
    if not low <= len(parsed.args) <= high:
        raise ToolError(f"Error: wrong number of arguments.\nUsage: {TOOLS[parsed.tool or ''].signature}")
    return parsed.args


def _open(editor: Editor, parsed: ParsedAction) -> ToolOutput:
    args = _arity(parsed, 1, 2)
    return editor.open(args[0], args[1] if len(args) > 1 else None)


def _goto(editor: Editor, parsed: ParsedAction) -> ToolOutput:
    return editor.goto(_arity(parsed, 1, 1)[0])


def _scroll(direction: int) -> Handler:
    def scroll(editor: Editor, parsed: ParsedAction) -> ToolOutput:
        _arity(parsed, 0, 0)
        return editor.scroll(direction)

    return scroll


def _create(editor: Editor, parsed: ParsedAction) -> ToolOutput:
    return editor.create(_arity(parsed, 1, 1)[0])


def _block_tool(method: str) -> Handler:
    """``edit`` / ``insert`` with the block's lines."""

    def run(editor: Editor, parsed: ParsedAction) -> ToolOutput:
        out: ToolOutput = getattr(editor, method)(parsed.args[0], parsed.body_lines)
        return out

    return run


def _search(function: Callable[[Editor, str, str | None], ToolOutput]) -> Handler:
    def search(editor: Editor, parsed: ParsedAction) -> ToolOutput:
        args = _arity(parsed, 1, 2)
        return function(editor, args[0], args[1] if len(args) > 1 else None)

    return search


TOOLS: dict[str, ToolSpec] = {
    t.name: t
    for t in [
        ToolSpec(
            "open",
            "open <path> [<line_number>]",
            "opens the file at path in the editor; with line_number, the window is moved to include that line",
            kind="editor",
            handler=_open,
        ),
        ToolSpec(
            "goto",
            "goto <line_number>",
            "moves the window to show line_number of the open file",
            kind="editor",
            handler=_goto,
        ),
        ToolSpec(
            "scroll_down",
            "scroll_down",
            "moves the window down by its height (less two lines of overlap)",
            kind="editor",
            handler=_scroll(1),
        ),
        ToolSpec(
            "scroll_up",
            "scroll_up",
            "moves the window up by its height (less two lines of overlap)",
            kind="editor",
            handler=_scroll(-1),
        ),
        ToolSpec(
            "create",
            "create <path>",
            "creates a new file holding one empty line and opens it (an existing file is opened, not changed)",
            kind="editor",
            handler=_create,
        ),
        ToolSpec(
            "edit",
            "edit <start_line>:<end_line>\n<replacement_text>\nend_of_edit",
            "replaces lines start_line through end_line (inclusive) of the open file with the lines between "
            "the edit line and end_of_edit, exactly as written (indentation matters; an end_line past the "
            "end of the file means up to the end). Python edits that would introduce a syntax error, an "
            "undefined name or indentation that is not a multiple of four are refused and the file is left "
            "unchanged. Read-only task files cannot be edited.",
            kind="editor",
            handler=_block_tool("edit"),
            end_marker="end_of_edit",
        ),
        ToolSpec(
            "insert",
            "insert <line_number>\n<text_to_add>\nend_of_insert",
            "inserts text after line_number of the open file (0 inserts at the top)",
            kind="editor",
            handler=_block_tool("insert"),
            end_marker="end_of_insert",
        ),
        ToolSpec(
            "search_file",
            "search_file <search_term> [<file>]",
            "lists the lines of the open file (or of file) that contain search_term",
            kind="search",
            handler=_search(search_file),
        ),
        ToolSpec(
            "search_dir",
            "search_dir <search_term> [<dir>]",
            "lists the files under dir (default: current folder) that contain search_term, with match counts",
            kind="search",
            handler=_search(search_dir),
        ),
        ToolSpec(
            "find_file",
            "find_file <file_name> [<dir>]",
            "finds files named file_name (wildcards allowed) under dir (default: current folder)",
            kind="search",
            handler=_search(find_file),
        ),
        ToolSpec(
            "validate",
            "validate",
            "scores your current submission with the task's evaluation without ending the episode",
            kind="evaluation",
        ),
        ToolSpec(
            "submit", "submit", "scores your current submission and ends the episode; do this when done",
            kind="evaluation",
        ),
        ToolSpec(
            "memory_write",
            "memory_write <text>",
            "stores a note in your research log (with the step and current best score); it survives when old "
            "observations are dropped from your context and is carried into later attempts",
            kind="memory",
            raw=True,
        ),
        ToolSpec(
            "memory_read",
            "memory_read <query>",
            "returns the notes in your research log closest in meaning to query, with their step numbers",
            kind="memory",
            raw=True,
        ),
    ]
}

def _of_kind(*kinds: ToolKind) -> frozenset[str]:
    return frozenset(name for name, spec in TOOLS.items() if spec.kind in kinds)


EDITOR_TOOLS = _of_kind("editor")
"""Tools whose answer is a window on the open file (the editor panel follows them)."""
EVALUATION_TOOLS = _of_kind("evaluation")
MEMORY_TOOLS = _of_kind("memory")
DEFAULT_TOOLS = [name for name in TOOLS if name not in MEMORY_TOOLS]
"""What an agent is shown when its config lists no tools (everything but the research log)."""


def expand_tools(names: list[str]) -> list[str]:
    """A config's tool list with ``default`` standing for :data:`DEFAULT_TOOLS` (in order, no repeats)."""
    out: list[str] = []
    for name in names:
        for tool in DEFAULT_TOOLS if name == "default" else [name]:
            if tool not in out:
                out.append(tool)
    return out


def tools_help(names: list[str] | None = None, notes: dict[str, str] | None = None) -> str:
    """The COMMANDS section of an agent prompt; ``notes`` adds a sentence to a tool's docstring (e.g. how
    memory_read ranks in this episode)."""
    chosen = [TOOLS[n] for n in (names or DEFAULT_TOOLS) if n in TOOLS]
    extra = notes or {}
    return "\n".join(
        f"{t.name}:\n  docstring: {t.doc}{'. ' + extra[t.name] if extra.get(t.name) else ''}\n  signature: {t.signature}"
        for t in chosen
    )


def _block(name: str, spec: ToolSpec, arg_text: str, rest: str, text: str) -> ParsedAction:
    """``edit A:B`` / ``insert N`` with its lines up to the end marker, as MLGym reads them: only the
    first word after the name counts, the lines are kept exactly, and the first marker ends the block."""
    lines = rest.split("\n") if rest else []
    end = next((i for i, line in enumerate(lines) if line.strip() == spec.end_marker), None)
    if end is None:
        raise ToolError(
            f"Error: `{name}` needs its text on the following lines and a final line `{spec.end_marker}`.\n"
            f"Usage: {spec.signature}"
        )
    words = arg_text.split()
    body = "".join(f"{line}\n" for line in lines[:end])
    ignored = "\n".join(lines[end + 1 :]).strip()
    return ParsedAction(name, words[:1] or [""], body, text, ignored)


def parse_action(action: str) -> ParsedAction:
    """Split an action into tool name, arguments and block body; raises ToolError on a malformed call."""
    text = action.strip("\n")
    first, _, rest = text.partition("\n")
    words = first.strip().split(maxsplit=1)
    name = words[0] if words else ""
    spec = TOOLS.get(name)
    if spec is None:
        return ParsedAction(None, [], None, text)
    arg_text = words[1] if len(words) > 1 else ""
    if spec.raw:
        body = "\n".join(part for part in (arg_text, rest) if part).strip()
        if not body:
            raise ToolError(f"Error: `{name}` needs text.\nUsage: {spec.signature}")
        return ParsedAction(name, [body], None, text)
    if spec.end_marker:
        return _block(name, spec, arg_text, rest, text)
    try:
        args = shlex.split(arg_text)
    except ValueError as exc:
        raise ToolError(f"Error: cannot parse the arguments of `{name}`: {exc}") from exc
    # A one-line tool with more lines after it (``create F`` followed by the file's text) runs its line;
    # the rest is not run, and the observation says so.
    return ParsedAction(name, args, None, text, rest.strip())


def run_tool(editor: Editor, parsed: ParsedAction) -> ToolOutput:
    """Carry out a parsed call of a tool that has a handler; raises ToolError with the observation."""
    spec = TOOLS.get(parsed.tool or "")
    if spec is None or spec.handler is None:
        raise ToolError(f"Error: {parsed.tool} is handled by the environment")
    out = spec.handler(editor, parsed)
    if parsed.ignored:
        what = "block" if spec.end_marker else "line"
        out.text += f"\n(Only the first `{parsed.tool}` {what} ran; what followed it was not run: one command per step.)"
    return out

"""Search tools: search_file (through the file API), search_dir and find_file (grep / find in the sandbox).

Results are capped so a search over a large tree cannot flood the agent's context.
"""

from __future__ import annotations

from mlgym_tui.core.tools.editor import Editor, ToolError, ToolOutput

MAX_MATCHES = 100
SEARCH_TIMEOUT = 30.0


def search_file(editor: Editor, term: str, path: str | None = None) -> ToolOutput:
    target = editor.resolve(path) if path else editor.state.path
    if target is None:
        raise ToolError("Error: no file is open; give a path: `search_file TERM PATH`")
    lines = editor._lines(target)  # noqa: SLF001 - same package
    hits = [(n, line) for n, line in enumerate(lines, start=1) if term in line]
    if not hits:
        return ToolOutput(f'No matches found for "{term}" in {target}')
    out = [f'Found {len(hits)} matches for "{term}" in {target}:']
    out.extend(f"Line {n}:{line}" for n, line in hits[:MAX_MATCHES])
    if len(hits) > MAX_MATCHES:
        out.append(f"({len(hits) - MAX_MATCHES} more matches not shown; narrow the search)")
    out.append(f'End of matches for "{term}" in {target}')
    return ToolOutput("\n".join(out))


def search_dir(editor: Editor, term: str, directory: str | None = None) -> ToolOutput:
    target = editor.resolve(directory or ".")
    result = editor.runtime.exec(["grep", "-rIc", "--", term, target], timeout=SEARCH_TIMEOUT)
    if result.exit_code == 2 and "No such file" in result.stderr:
        raise ToolError(f"Error: folder {target} not found")
    counts = []
    for line in result.stdout.splitlines():
        name, _, count = line.rpartition(":")
        if count.isdigit() and int(count) > 0:
            counts.append((name, int(count)))
    if not counts:
        return ToolOutput(f'No matches found for "{term}" in {target}')
    counts.sort()
    if len(counts) > MAX_MATCHES:
        return ToolOutput(
            f'More than {MAX_MATCHES} files matched for "{term}" in {target}. Please narrow your search.'
        )
    total = sum(c for _, c in counts)
    out = [f'Found {total} matches for "{term}" in {target}:']
    out.extend(f"{name} ({count} matches)" for name, count in counts)
    out.append(f'End of matches for "{term}" in {target}')
    return ToolOutput("\n".join(out))


def find_file(editor: Editor, name: str, directory: str | None = None) -> ToolOutput:
    target = editor.resolve(directory or ".")
    result = editor.runtime.exec(
        ["find", target, "-name", name, "-not", "-path", "*/.*"], timeout=SEARCH_TIMEOUT
    )
    if result.exit_code != 0 and not result.stdout:
        raise ToolError(
            f"Error: folder {target} not found"
            if "No such file" in result.stderr
            else f"Error: find failed: {result.stderr.strip()[:200]}"
        )
    found = sorted(p for p in result.stdout.splitlines() if p)
    if not found:
        return ToolOutput(f'No matches found for "{name}" in {target}')
    out = [f'Found {len(found)} matches for "{name}" in {target}:', *found[:MAX_MATCHES]]
    if len(found) > MAX_MATCHES:
        out.append(f"({len(found) - MAX_MATCHES} more not shown)")
    return ToolOutput("\n".join(out))

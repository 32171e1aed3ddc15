"""Replay MLGym's real ``edit`` / ``insert`` / ``create`` commands against the files MLGym showed, and
count how many leave the byte-identical file here.

Usage::

    python benchmarks/mlgym_edit_parity.py DIR [--json OUT] [--show N] [--jobs N]

``DIR`` is a folder holding MLGym ``.traj`` files (searched recursively), e.g. the published
``trajectories/mlgym_bench_v0`` runs extracted from MLGym's repository.

How a command is judged, step by step through each trajectory:

- *The file before.* Every observation that shows a whole file (``[File: P (N lines total)]`` followed by
  lines ``1:`` … ``N:``, nothing above or below) records P's content. A shell command that may have
  written P (it names P's file name together with ``>``, ``sed``, ``mv``, ``cp``, ``rm``, ``tee``, ``touch``,
  ``patch``, ``git`` …) forgets it. A command on a file whose content is not known is skipped.
- *What MLGym did.* ``File updated`` with a whole-file view: applied, the view is the file after. A lint
  refusal, a usage error, "no file open", a read-only refusal: the file is unchanged. ``create``: a new
  file of one empty line, or unchanged when it existed. Anything else (a view cut by the window, an
  observation that says neither) is skipped and counted as undetermined.
- *What happens here.* The model's whole answer goes through the LLM agent's answer parser and the
  environment's action parser, then the editor tool runs on a real local runtime holding the file
  before (MLGym writes every line followed by a newline, so that is the byte form compared), with the
  workspace's ``evaluate.py`` read-only as the tasks here declare it.

A command counts as identical when the file here has exactly the bytes MLGym's file had after it. A
differing command is set apart (and counted apart) when the difference is one that ``docs/aci.md``
documents as deliberate: MLGym's lint step crashed and let the edit through unchecked, or counted a
Python warning as an error, a read-only task file that MLGym let be written, an insertion MLGym refused
because it does not move old findings.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import re
import shutil
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mlgym_tui.agents.parsing import MalformedAnswer, parse_answer
from mlgym_tui.core.runtime.local import LocalRuntime
from mlgym_tui.core.tools import Editor, ToolError, lint, parse_action, run_tool
from mlgym_tui.core.tools.editor import join_lines

MLGYM_WORKSPACE = "/home/agent/workspace"
TOOLS = ("edit", "insert", "create")
_HEADER = re.compile(r"^\[File: (.+) \((\d+) lines total\)\]$")
_NUMBERED = re.compile(r"^(\d+):(.*)$", re.DOTALL)
_WRITES = ("sed", ">", "mv ", "cp ", "rm ", "tee", "touch", "patch", "truncate", "git ", "cat <<", "dd ",
           "python -c", "python3 -c", "perl")
_UNCHANGED = (
    "introduced new syntax error",
    "Usage: ",
    "must be a number",
    "No file open",
    "cannot edit read-only",
    "substring expression",
    "Malformed edit command",
)


@dataclass
class Outcome:
    run: str
    step: int
    tool: str
    verdict: str
    """identical / different / skipped:<why>."""
    mlgym: str
    """applied / unchanged / created."""
    action: str = ""


def whole_views(observation: str) -> Iterator[tuple[str, list[str]]]:
    """Every complete file view in an observation: (path, lines)."""
    rows = observation.split("\n")
    for i, row in enumerate(rows):
        match = _HEADER.match(row)
        if not match:
            continue
        path, total = match.group(1), int(match.group(2))
        body = rows[i + 1 : i + 1 + total]
        if total and (len(body) < total or body[0].startswith("(") and "more lines above" in body[0]):
            continue
        lines = []
        for n, line in enumerate(body, start=1):
            numbered = _NUMBERED.match(line)
            if not numbered or int(numbered.group(1)) != n:
                break
            lines.append(numbered.group(2))
        else:
            after = rows[i + 1 + total] if i + 1 + total < len(rows) else ""
            if "more lines below" not in after:
                yield path, lines


def may_write(action: str, path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name in action and any(marker in action for marker in _WRITES)


class Replayer:
    """Runs commands through this project's parsers and editor on a real local runtime."""

    def __init__(self) -> None:
        self.runtime = LocalRuntime()
        self.runtime.start()

    def here(self, path: str) -> str:
        return self.runtime.workspace + path[len(MLGYM_WORKSPACE) :] if path.startswith(MLGYM_WORKSPACE) else ""

    def run(
        self, response: str, open_file: str | None, cwd: str, before: dict[str, list[str]]
    ) -> tuple[dict[str, bytes], str]:
        """The files (MLGym paths) after the command in ``response`` and the observation here; ``before``
        holds the known files."""
        ws = Path(self.runtime.workspace)
        for child in ws.iterdir():
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
        for path, lines in before.items():
            local = Path(self.here(path))
            local.parent.mkdir(parents=True, exist_ok=True)
            local.write_bytes(join_lines(lines))
        editor = Editor(self.runtime, read_only=[f"{self.runtime.workspace}/evaluate.py"])
        self.runtime.run(f"cd {self.here(cwd) or self.runtime.workspace}", 10)
        if open_file:
            editor.state.path = self.here(open_file)
        try:
            action = parse_answer(response).action
            observation = run_tool(editor, parse_action(action)).text
        except (ToolError, MalformedAnswer) as exc:
            observation = str(exc)
        files = {
            MLGYM_WORKSPACE + "/" + str(p.relative_to(ws)): p.read_bytes() for p in ws.rglob("*") if p.is_file()
        }
        return files, observation

    def close(self) -> None:
        self.runtime.close()


def mlgym_result(tool: str, observation: str, path: str, before: list[str] | None) -> tuple[str, list[str] | None]:
    """(what MLGym did, the file's lines after it) or (why undetermined, None)."""
    if tool == "create":
        if "already exists" in observation:
            return "unchanged", before
        return "created", [""]
    if any(marker in observation for marker in _UNCHANGED):
        return "unchanged", before
    if "File updated" in observation:
        views = [lines for p, lines in whole_views(observation) if p == path]
        return ("applied", views[-1]) if views else ("skipped:window", None)
    return "skipped:unrecognised observation", None


def deviation(tool: str, did: str, observation: str, here: str, before: list[str] | None, action: str) -> str:
    """Why a command left a different file: one of the documented differences (``excluded:…``), else
    ``different``."""
    if "_split_string" in observation and "Traceback" in observation:
        # MLGym's lint step crashed (a Python warning in flake8's output broke its parser), so MLGym
        # applied the edit without a check; here the check runs.
        return "excluded:MLGym's lint crashed"
    if did == "unchanged" and "ERRORS:" in observation and "Warning:" in observation.split("ERRORS:", 1)[1][:2000]:
        # MLGym ran flake8 under a Python that printed a SyntaxWarning (an invalid escape sequence) into
        # the lint output, and counted that line as an error the edit introduced.
        return "excluded:MLGym's lint counted a Python warning"
    if "is read-only" in here and did == "applied":
        return "excluded:read-only here, written in MLGym"
    if tool == "insert" and did == "unchanged" and before is not None:
        head, _, rest = action.partition("\n")
        words = head.split()
        body = rest.split("\n")
        end = next((i for i, line in enumerate(body) if line.strip() == "end_of_insert"), len(body))
        if len(words) > 1 and words[1].isdigit():
            at, lines = int(words[1]), body[:end]
            after = before[:at] + lines + before[at:]
            old = lint.findings(join_lines(before).decode("utf-8", "surrogateescape"))
            kept = {f for f in old if f.line < at + 1 or f.line > at + len(lines)}  # MLGym: no shift
            new = lint.findings(join_lines(after).decode("utf-8", "surrogateescape"))
            if any(f not in kept for f in new):
                return "excluded:insert above an old finding (MLGym does not shift it)"
    return "different"


def replay_run(traj: Path, replayer: Replayer) -> Iterator[Outcome]:
    data = json.loads(traj.read_text())
    known: dict[str, list[str]] = {}
    for step, entry in enumerate(data.get("trajectory", []), start=1):
        action = (entry.get("action") or "").strip()
        observation = entry.get("observation") or ""
        words = action.split()
        tool = words[0] if words else ""
        try:
            state = json.loads(entry.get("state") or "{}")
        except ValueError:
            state = {}
        open_file = state.get("open_file") if state.get("open_file") not in (None, "n/a") else None
        cwd = state.get("working_dir") or MLGYM_WORKSPACE
        if tool in TOOLS:
            if tool == "create":
                target = words[1].strip("\"'") if len(words) > 1 else ""
                path = target if target.startswith("/") else f"{cwd}/{target}"
            else:
                path = open_file or ""
            before = known.get(path)
            if tool != "create" and before is None:
                yield Outcome(traj.parent.name, step, tool, "skipped:file not known", "", action)
            elif not replayer.here(path):
                yield Outcome(traj.parent.name, step, tool, "skipped:outside workspace", "", action)
            else:
                did, after = mlgym_result(tool, observation, path, before)
                if after is None:
                    why = did if did.startswith("skipped") else "skipped:file not known"
                    yield Outcome(traj.parent.name, step, tool, why, "", action)
                else:
                    files = {path: before} if before is not None else {}
                    got, here = replayer.run(entry.get("response") or f"```\n{action}\n```", open_file, cwd, files)
                    same = got.get(path) == join_lines(after)
                    verdict = "identical" if same else deviation(tool, did, observation, here, before, action)
                    yield Outcome(traj.parent.name, step, tool, verdict, did, action)
                    known[path] = after
        else:
            for path in list(known):
                if may_write(action, path):
                    del known[path]
        if tool not in ("edit", "insert") or "File updated" in observation:
            for path, lines in whole_views(observation):
                known[path] = lines


def replay_all(trajs: list[Path]) -> list[Outcome]:
    """Every command of ``trajs``, in one process with one runtime."""
    replayer = Replayer()
    outcomes: list[Outcome] = []
    try:
        for n, traj in enumerate(trajs, start=1):
            outcomes.extend(replay_run(traj, replayer))
            if n % 25 == 0:
                print(f"  … {n} / {len(trajs)} trajectories", file=sys.stderr, flush=True)
    finally:
        replayer.close()
    return outcomes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="a folder of MLGym .traj files (searched recursively)")
    parser.add_argument("--json", type=Path, help="write every outcome to this file")
    parser.add_argument("--show", type=int, default=5, help="print this many differing commands")
    parser.add_argument("--jobs", type=int, default=1, help="replay in this many processes")
    args = parser.parse_args(argv)
    trajs = sorted(args.folder.rglob("*.traj"))
    if not trajs:
        print(f"error: no .traj files under {args.folder}", file=sys.stderr)
        return 2
    if args.jobs > 1:
        with multiprocessing.Pool(args.jobs) as pool:
            parts = pool.map(replay_all, [trajs[i :: args.jobs] for i in range(args.jobs)])
        outcomes = [o for part in parts for o in part]
    else:
        outcomes = replay_all(trajs)
    judged = [o for o in outcomes if o.verdict in ("identical", "different")]
    same = sum(o.verdict == "identical" for o in judged)
    excluded = [o for o in outcomes if o.verdict.startswith("excluded")]
    print(f"{len(trajs)} trajectories, {len(outcomes)} edit/insert/create commands, {len(judged)} judged")
    for (tool, did), count in sorted(Counter((o.tool, o.mlgym) for o in judged).items()):
        ok = sum(o.verdict == "identical" for o in judged if (o.tool, o.mlgym) == (tool, did))
        print(f"  {tool:7} MLGym {did:9} {ok:6} / {count:<6} identical")
    for why, count in sorted(Counter(o.verdict for o in outcomes if o.verdict.startswith("skipped")).items()):
        print(f"  {why}: {count}")
    for why, count in sorted(Counter(o.verdict for o in excluded).items()):
        print(f"  {why}: {count} (differ on purpose: docs/aci.md)")
    share = same / len(judged) if judged else 0.0
    print(f"identical: {same} / {len(judged)} = {share:.2%}")
    total = len(judged) + len(excluded)
    print(f"counting the documented differences as different: {same} / {total} = {same / max(total, 1):.2%}")
    for o in [o for o in judged if o.verdict == "different"][: args.show]:
        print(f"--- {o.run} step {o.step} ({o.tool}, MLGym {o.mlgym})\n{o.action[:400]}")
    if args.json:
        args.json.write_text(json.dumps([o.__dict__ for o in outcomes], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Turning a model's answer into (reasoning, one command).

The format is MLGym's / SWE-agent's: free reasoning (often headed ``DISCUSSION``) followed by exactly one
fenced block holding the command::

    DISCUSSION
    Let me look at the strategy first.
    ```
    open strategy.py
    ```

As in mini-swe-agent, an answer with no block or with several is a *format error*: the model is told
what was wrong and asked again, rather than the parser guessing which command was meant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FENCE = re.compile(r"^[ \t]*```[ \t]*([\w+-]*)[ \t]*\n(.*?)^[ \t]*```[ \t]*$", re.DOTALL | re.MULTILINE)
_DISCUSSION = re.compile(r"^\s*(?:DISCUSSION|THOUGHT|Thought|Discussion)\s*:?\s*\n?", re.MULTILINE)


class MalformedAnswer(Exception):
    """The answer has no single command; the message is shown to the model in the re-ask."""


@dataclass(frozen=True)
class ParsedAnswer:
    thought: str
    action: str


def normalise(text: str) -> str:
    """An answer with ``\\n`` line ends (some models answer with ``\\r\\n``, which MLGym accepts)."""
    return text.replace("\r\n", "\n")


def parse_answer(text: str) -> ParsedAnswer:
    """Split ``text`` into reasoning and the one fenced command; raises :class:`MalformedAnswer`."""
    text = normalise(text)
    blocks = list(_FENCE.finditer(text))
    if not blocks:
        raise MalformedAnswer(
            "Your answer contained no command. End every answer with exactly one command in a fenced "
            "block (three backticks on the line before and after it)."
        )
    if len(blocks) > 1:
        raise MalformedAnswer(
            f"Your answer contained {len(blocks)} fenced blocks; give exactly one command per answer, "
            "in exactly one fenced block. You will see its output before your next command."
        )
    block = blocks[0]
    # Lines are kept as written (an edit's trailing spaces are part of the file, as in MLGym); only the
    # ends of the whole command are trimmed, as MLGym trims the action before running it.
    action = block.group(2).strip()
    if not action:
        raise MalformedAnswer("Your command block was empty. Put one command between the fences.")
    thought = _DISCUSSION.sub("", text[: block.start()], count=1).strip()
    return ParsedAnswer(thought=thought, action=action)


def answer_from_tool_call(thought: str, command: str) -> ParsedAnswer:
    """An answer given as a native tool call; the same emptiness rule as for fenced blocks."""
    if not command.strip():
        raise MalformedAnswer("Your tool call had an empty command. Give one command.")
    return ParsedAnswer(thought=thought.strip(), action=command.strip("\n"))


def as_text(answer: ParsedAnswer) -> str:
    """The text form of an answer given as a native tool call, as it is kept in the history."""
    head = f"DISCUSSION\n{answer.thought}\n\n" if answer.thought else ""
    return f"{head}```\n{answer.action}\n```"

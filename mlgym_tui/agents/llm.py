"""The LLM research agent: prompt templates in, one command out, in the spirit of SWE-agent / MLGym.

One step: render the observation into the next user message (once — see ``history.py``), check the
prompt still fits and the limits allow another call, ask the model, parse its answer into reasoning
plus exactly one command. An unparsable answer is answered with the format-error template and asked
again, up to ``limits.format_errors`` times, after which the episode ends with ``exit_format``. Failed
exchanges are dropped from the history once a good answer arrives, so they do not crowd the prompt.

Every way this can end the episode is an :class:`~mlgym_tui.core.exits.EpisodeEnd` raised from ``act``
(cost/call limit → ``exit_cost``, prompt too long → ``exit_context``, provider failure → ``exit_api``);
the session catches it, autosubmits, and records the usage the exception carries.
"""

from __future__ import annotations

import re
from typing import Any

import jinja2
from jinja2 import meta

from mlgym_tui.agents.config import AgentConfig, load_agent_config
from mlgym_tui.agents.history import History
from mlgym_tui.agents.models import Model, ModelReply, make_model
from mlgym_tui.agents.models.base import answer_budget
from mlgym_tui.agents.parsing import (
    MalformedAnswer,
    ParsedAnswer,
    answer_from_tool_call,
    as_text,
    normalise,
    parse_answer,
)
from mlgym_tui.core.agent import AgentStep, Usage
from mlgym_tui.core.errors import ConfigError
from mlgym_tui.core.events import Event, EventBus, EventKind
from mlgym_tui.core.exits import ContextWindowExceeded, CostLimitExceeded, EpisodeEnd, FormatErrorLimit
from mlgym_tui.core.task import TaskConfig
from mlgym_tui.core.tools import MEMORY_TOOLS, tools_help

_SECRET_NAME = re.compile(r"key|token|secret|auth|header|password", re.IGNORECASE)
_TOKEN_COUNTS = {"max_tokens", "max_completion_tokens"}


class LLMAgent:
    """An agent driven by a language model; configured by an :class:`AgentConfig`."""

    def __init__(self, config: AgentConfig, model: Model | None = None) -> None:
        self.config = config
        self.name = config.name
        env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=False)
        try:
            t = config.templates
            self._tpl = {
                "system": env.from_string(t.system),
                "instance": env.from_string(t.instance),
                "next_step": env.from_string(t.next_step),
                "next_step_no_output": env.from_string(t.next_step_no_output or t.next_step),
                "format_error": env.from_string(t.format_error),
                "interjection": env.from_string(t.interjection),
                "elided": env.from_string(config.history.elided),
            }
        except jinja2.TemplateSyntaxError as exc:
            raise ConfigError(f"agent {config.name}: template syntax error: {exc}") from exc
        self._model = model or make_model(config.model)
        self.model: str | None = self._model.name
        self.history = History(config.history.keep_full)
        self.calls = 0
        self.cost = 0.0
        self.tokens_in = 0
        self.tokens_out = 0
        self._bus: EventBus | None = None
        self._interjections: list[str] = []
        self._first = True
        self._retries = 0
        self._task: TaskConfig | None = None
        self._check_template_names(env)

    def _check_template_names(self, env: jinja2.Environment) -> None:
        """A template naming a variable it is never given fails now, in one line, not at its first
        rendering mid-episode (StrictUndefined would end the episode as ``exit_error``)."""
        base = set(self._variables({}))
        given = {
            "system": base | {"commands"},
            "instance": base | {"task_text"},
            "next_step": base | {"observation"},
            "next_step_no_output": base | {"observation"},
            "format_error": {"error", "attempts_left"},
            "interjection": {"text"},
            "elided": {"lines", "chars"},
        }
        t = self.config.templates
        sources = {"system": t.system, "instance": t.instance, "next_step": t.next_step,
                   "next_step_no_output": t.next_step_no_output or t.next_step, "format_error": t.format_error,
                   "interjection": t.interjection, "elided": self.config.history.elided}
        for name, source in sources.items():
            unknown = sorted(meta.find_undeclared_variables(env.parse(source)) - given[name] - set(env.globals))
            if unknown:
                raise ConfigError(
                    f"agent {self.config.name}: template '{name}' uses {', '.join(unknown)}, which it is not "
                    f"given (it has: {', '.join(sorted(given[name]))})"
                )

    @classmethod
    def from_name(cls, name: str = "default", layers: list[str] | None = None, **model_options: Any) -> LLMAgent:
        """``agents/NAME.yaml`` with ``-c`` layers; ``model_options`` (model, base_url) override ``model.*``."""
        config = load_agent_config(name, layers)
        updates = {k: v for k, v in model_options.items() if v is not None}
        if "model" in updates:
            updates["name"] = updates.pop("model")
        if updates:
            config = config.model_copy(update={"model": config.model.model_copy(update=updates)})
        return cls(config)

    # -- protocol --------------------------------------------------------------------------------
    def bind_bus(self, bus: EventBus) -> None:
        """Lets the agent report format errors on the episode's event stream."""
        self._bus = bus

    def start(self, task: TaskConfig, observation: str, info: dict[str, Any]) -> None:
        self._task = task
        self.history.reset()
        self.calls, self.cost, self.tokens_in, self.tokens_out = 0, 0.0, 0, 0
        self._first = True
        base = self._variables(info)
        notes = {"memory_read": info["memory_ranking"]} if info.get("memory_ranking") else None
        system = self._render("system", **base, commands=tools_help(self.config.tools, notes))
        if self.config.demonstration:
            system = f"{system}\n\n{self.config.demonstration}"
        self.history.add("system", system)
        self.history.add("user", self._render("instance", **base, task_text=observation))

    @property
    def uses_memory(self) -> bool:
        """Whether this agent's config offers the research-log tools (the runner then opens a store)."""
        return bool(self.config.tools) and any(t in MEMORY_TOOLS for t in self.config.tools or [])

    def interject(self, text: str) -> None:
        """A person's message, shown to the model with the next observation."""
        self._interjections.append(text)

    def act(self, observation: str, info: dict[str, Any]) -> AgentStep:
        before = (self.tokens_in, self.tokens_out, self.cost, self.calls)
        try:
            return self._act(observation, info, before)
        except EpisodeEnd as end:
            end.usage = self._usage_since(before)
            raise

    def check(self) -> None:
        """Before the episode: the model's server can be reached (a one-line error otherwise)."""
        check = getattr(self._model, "check", None)
        if callable(check):
            check()

    def close(self) -> None:
        self._model.close()

    def describe(self) -> dict[str, Any]:
        """The configuration as recorded in the trajectory header: no keys, no credentials in URLs."""
        data = self.config.model_dump()
        model = data["model"]
        model["name"] = self.model
        if model.get("base_url"):
            model["base_url"] = re.sub(r"//[^/@]*@", "//", model["base_url"])
        model["extra"] = {k: ("***" if _SECRET_NAME.search(k) else v) for k, v in model["extra"].items()}
        settings = getattr(self._model, "settings", None)
        if callable(settings):
            model["sent"] = {
                k: ("***" if _SECRET_NAME.search(k) and k not in _TOKEN_COUNTS else v) for k, v in settings().items()
            }
        return data

    # -- the step ------------------------------------------------------------------------------------
    def _act(self, observation: str, info: dict[str, Any], before: tuple[int, int, float, int]) -> AgentStep:
        interjection = self._take_interjections()
        if self._first:
            self._first = False
            if interjection:
                self.history.messages[-1]["content"] += "\n\n" + interjection
                self.history.chars += len(interjection) + 2
        else:
            self._add_observation(observation, info, interjection)
        mark = self.history.mark()
        self._retries = 0
        limit = self.config.limits.format_errors
        errors = cuts = 0
        while True:
            self._check_limits()
            reply = self._query()
            try:
                answer = self._parse(reply)
            except MalformedAnswer as exc:
                cut = reply.truncated
                cuts += cut
                errors += not cut
                message = self._cut_message() if cut else str(exc)
                self._report_format_error(message, reply, info)
                if errors > limit or cuts > limit:
                    what = "answers cut at max_tokens" if cuts > limit else "answers without exactly one command"
                    raise FormatErrorLimit(
                        f"{max(errors, cuts)} {what} in a row (limit {limit} re-asks)"
                    ) from None
                self.history.add("assistant", self._kept(reply))
                left = limit - max(errors, cuts) + 1
                self.history.add("user", self._render("format_error", error=message, attempts_left=left))
                continue
            self.history.truncate(mark)
            self.history.add("assistant", self._kept(reply) if reply.tool_command is None else as_text(answer))
            extra: dict[str, Any] = {"format_errors": errors} if errors else {}
            if cuts:
                extra["cut_answers"] = cuts
            if self._retries:
                extra["retries"] = self._retries
            return AgentStep(answer.action, answer.thought, self._usage_since(before), extra)

    def _cut_message(self) -> str:
        return (
            f"Your answer was cut off: it reached the limit of {self._answer_budget()} tokens per answer "
            "before its command block was complete, so nothing was run. Answer again more briefly: a short "
            "DISCUSSION, then one command (split a long file edit into several smaller edits)."
        )

    @staticmethod
    def _kept(reply: ModelReply) -> str:
        """The answer as the history keeps it: the whole text the model wrote (MLGym keeps it too),
        with ``\\n`` line ends; an empty or blank answer as a placeholder (providers refuse blank turns)."""
        text = normalise(reply.text).rstrip()
        return text if text else "(empty answer)"

    def _answer_budget(self) -> int:
        window = self.config.model.context_window or self._model.context_window
        return answer_budget(self.config.model.max_tokens, window)

    def _add_observation(self, observation: str, info: dict[str, Any], interjection: str) -> None:
        variables = self._variables(info)
        name = "next_step" if observation.strip() else "next_step_no_output"
        content = interjection + self._render(name, **variables, observation=observation)
        lines = observation.count("\n") + 1
        chars = len(observation)

        def elide() -> str:
            short = self._render("elided", lines=lines, chars=chars)
            return interjection + self._render(name, **variables, observation=short)

        self.history.add("user", content, elide)

    def _variables(self, info: dict[str, Any]) -> dict[str, Any]:
        task = self._task
        limits = self.config.limits
        task_limits = task.limits if task else None
        return {
            "task": task,
            "limits": task_limits,
            "max_steps": info.get("max_steps") or (task_limits.max_steps if task_limits else None),
            "wall_time": info.get("wall_time") or (task_limits.wall_time if task_limits else 0),
            "metric": task.primary if task else None,
            "baseline": dict(task.baseline.scores) if task else {},
            "cwd": info.get("cwd", "."),
            "open_file": info.get("open_file"),
            "steps_left": info.get("steps_left"),
            "step": info.get("step", 0),
            "exit_code": info.get("exit_code", 0),
            "cost": round(self.cost, 4),
            "cost_limit": limits.cost,
            "calls_left": None if limits.calls is None else max(limits.calls - self.calls, 0),
        }

    def _render(self, name: str, **variables: Any) -> str:
        try:
            return self._tpl[name].render(**variables).strip("\n")
        except jinja2.TemplateError as exc:
            raise ConfigError(f"agent {self.config.name}: template '{name}': {exc}") from exc

    def _take_interjections(self) -> str:
        if not self._interjections:
            return ""
        text = "\n\n".join(self._interjections)
        self._interjections.clear()
        return self._render("interjection", text=text) + "\n\n"

    def _check_limits(self) -> None:
        limits = self.config.limits
        if limits.calls is not None and self.calls >= limits.calls:
            raise CostLimitExceeded(f"reached the model call limit ({limits.calls})")
        if limits.cost is not None and self.cost >= limits.cost:
            raise CostLimitExceeded(f"reached the agent's cost limit (${limits.cost:g}, spent ${self.cost:.4f})")
        window = self.config.model.context_window or self._model.context_window
        if window:
            answer = self._answer_budget()
            needed = self.history.estimated_tokens(self.config.model.chars_per_token) + answer
            if needed > window:
                raise ContextWindowExceeded(
                    f"the prompt (~{needed - answer} tokens) plus the answer "
                    f"({answer}) no longer fits the context window ({window})"
                )

    def _query(self) -> ModelReply:
        reply = self._model.query(self.history.messages)
        self._retries += reply.retries
        self.calls += 1
        self.tokens_in += reply.tokens_in
        self.tokens_out += reply.tokens_out
        self.cost += reply.cost
        return reply

    @staticmethod
    def _parse(reply: ModelReply) -> ParsedAnswer:
        if reply.tool_command is not None:
            thought = re.sub(r"^\s*DISCUSSION\s*\n", "", reply.text)
            return answer_from_tool_call(thought, reply.tool_command)
        return parse_answer(reply.text)

    def _usage_since(self, before: tuple[int, int, float, int]) -> Usage:
        t_in, t_out, cost, calls = before
        return Usage(self.tokens_in - t_in, self.tokens_out - t_out, self.cost - cost, self.calls - calls)

    def _report_format_error(self, message: str, reply: ModelReply, info: dict[str, Any]) -> None:
        """A FORMAT_ERROR event with the rejected answer and what that call cost (the step's
        MODEL_USAGE event totals every call of the step)."""
        if self._bus is not None:
            step = int(info.get("step", 0)) + 1
            data = {"message": message, "answer": reply.text, "cut": reply.truncated,
                    "tokens_in": reply.tokens_in, "tokens_out": reply.tokens_out, "cost": reply.cost}
            self._bus.deliver(Event(EventKind.FORMAT_ERROR, step, data))

"""The LLM agent loop in-process, with a scripted model: format-error limit, context overflow (estimated
and reported by the server), interjection, call limits, history elision, config layers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlgym_tui.agents.config import load_agent_config
from mlgym_tui.agents.history import History
from mlgym_tui.agents.llm import LLMAgent
from mlgym_tui.agents.models import ModelReply, ScriptedModel
from mlgym_tui.agents.parsing import MalformedAnswer, parse_answer
from mlgym_tui.core.errors import ConfigError
from mlgym_tui.core.runner import EpisodeSpec, run_episode
from mlgym_tui.core.task_sources import load_task
from tests.agents.fake_llm_servers import Turn, answer, scripted_server
from tests.helpers import read_jsonl


def run(tmp_path: Path, agent: LLMAgent) -> tuple[dict, list[dict]]:
    spec = EpisodeSpec(task=load_task("prisonersDilemma"), agent=agent, out=tmp_path)
    folder, _ = run_episode(spec)
    return json.loads((folder / "result.json").read_text()), read_jsonl(folder / "trajectory.jsonl")


def test_parse_answer_takes_reasoning_and_exactly_one_command() -> None:
    parsed = parse_answer("DISCUSSION\nLook first.\n\n```bash\nls -la\n```\n")
    assert (parsed.thought, parsed.action) == ("Look first.", "ls -la")
    edit = parse_answer("Fix it.\n```\nedit 3:3\n    return 1\nend_of_edit\n```")
    assert edit.action == "edit 3:3\n    return 1\nend_of_edit"
    with pytest.raises(MalformedAnswer, match="no command"):
        parse_answer("I will run ls")
    with pytest.raises(MalformedAnswer, match="2 fenced blocks"):
        parse_answer("```\nls\n```\nthen\n```\npwd\n```")
    with pytest.raises(MalformedAnswer, match="empty"):
        parse_answer("```\n\n```")


def test_format_errors_past_the_limit_end_with_exit_format_and_autosubmit(tmp_path: Path) -> None:
    config = load_agent_config("default", ["limits.format_errors=2"])
    model = ScriptedModel([ModelReply("no command here", tokens_in=10, tokens_out=5)] * 10)
    result, records = run(tmp_path, LLMAgent(config, model))
    assert result["exit_status"] == "exit_format"
    assert model.calls == 3  # the first answer and two re-asks
    assert result["tokens_in"] == 30  # usage of the ending step is still counted
    assert [r["kind"] for r in records].count("format_error") == 3
    assert result["submission"] is not None  # autosubmitted


def test_estimated_context_overflow_ends_with_exit_context(tmp_path: Path) -> None:
    config = load_agent_config("default", ["model.context_window=3000", "model.max_tokens=500"])
    big = answer("Look at everything.", "python -c \"print('x' * 20000)\"")
    model = ScriptedModel([big] * 5)
    result, records = run(tmp_path, LLMAgent(config, model))
    assert result["exit_status"] == "exit_context"
    assert model.calls == 1  # the second prompt was never sent
    assert result["submission"] is not None


def test_server_reported_context_overflow_ends_with_exit_context(tmp_path: Path) -> None:
    error = {"message": "This model's maximum context length is 8192 tokens.", "type": "invalid_request_error",
             "code": "context_length_exceeded"}
    with scripted_server("openai", [Turn(answer("Look.", "ls")), Turn(status=400, error=error)]) as server:
        config = load_agent_config("default", [f"model.base_url={server.url}", "model.name=some-local-model"])
        result, _ = run(tmp_path, LLMAgent(config))
    assert result["exit_status"] == "exit_context"


def test_a_refused_request_ends_with_exit_api(tmp_path: Path) -> None:
    with scripted_server("openai", [Turn(status=401, error={"message": "bad key", "type": "auth"})]) as server:
        config = load_agent_config("default", [f"model.base_url={server.url}", "model.name=m"])
        result, records = run(tmp_path, LLMAgent(config))
    assert result["exit_status"] == "exit_api"


def test_call_limit_ends_with_exit_cost(tmp_path: Path) -> None:
    config = load_agent_config("default", ["limits.calls=2"])
    model = ScriptedModel([answer("Look.", "ls")] * 5)
    result, _ = run(tmp_path, LLMAgent(config, model))
    assert result["exit_status"] == "exit_cost" and model.calls == 2


def test_interjection_reaches_the_model_with_the_next_observation() -> None:
    config = load_agent_config("default")
    model = ScriptedModel([answer("a", "ls"), answer("b", "pwd")])
    agent = LLMAgent(config, model)
    task = load_task("prisonersDilemma")
    info = {"cwd": ".", "open_file": None, "steps_left": 9, "step": 0}
    agent.start(task, task.render_description(), info)
    agent.act(task.render_description(), info)
    agent.interject("Try a tit-for-two-tats strategy.")
    agent.act("strategy.py", {**info, "step": 1})
    last = model.last_prompt
    assert "Try a tit-for-two-tats strategy." in last and "strategy.py" in last
    assert "tit-for-two-tats" not in agent.history.messages[1]["content"]


def test_history_keeps_the_last_observations_and_elides_older_ones_once() -> None:
    history = History(keep_full=2)
    calls: list[int] = []
    for i in range(5):
        def elide(i: int = i) -> str:
            calls.append(i)
            return f"(output {i} omitted)"
        history.add("user", f"output {i} " + "x" * 100, elide)
        history.add("assistant", f"answer {i}")
    contents = [m["content"] for m in history.messages if m["role"] == "user"]
    assert contents[:3] == ["(output 0 omitted)", "(output 1 omitted)", "(output 2 omitted)"]
    assert contents[3].startswith("output 3") and contents[4].startswith("output 4")
    assert calls == [0, 1, 2]  # each elided exactly once
    assert history.chars == sum(len(m["content"]) for m in history.messages)


def test_config_layers_merge_in_order_and_typos_name_the_field(tmp_path: Path) -> None:
    layer = tmp_path / "mine.yaml"
    layer.write_text("model:\n  name: anthropic:claude-sonnet-4\n  temperature: 0.5\nhistory:\n  keep_full: 2\n")
    config = load_agent_config("default", [str(layer), "model.temperature=0.7"])
    assert config.model.name == "anthropic:claude-sonnet-4"
    assert config.model.temperature == 0.7 and config.history.keep_full == 2
    assert "COMMANDS" in config.templates.system  # untouched fields keep the agent's values
    with pytest.raises(ConfigError, match="field 'model.temprature': unknown field"):
        load_agent_config("default", ["model.temprature=0.1"])
    with pytest.raises(ConfigError, match="no agent config 'nope'"):
        load_agent_config("nope")


def test_strict_templates_fail_loudly_on_an_unknown_variable(tmp_path: Path) -> None:
    layer = tmp_path / "bad.yaml"
    layer.write_text("templates:\n  next_step: '{{ observaton }}'\n")
    config = load_agent_config("default", [str(layer)])
    with pytest.raises(ConfigError, match="template 'next_step' uses observaton, which it is not given"):
        LLMAgent(config, ScriptedModel([answer("a", "ls")] * 3))  # before any episode, not mid-way


def test_strict_templates_fail_loudly_on_an_unknown_attribute(tmp_path: Path) -> None:
    layer = tmp_path / "bad.yaml"
    layer.write_text("templates:\n  next_step: '{{ metric.nmae }}: {{ observation }}'\n")
    config = load_agent_config("default", [str(layer)])
    agent = LLMAgent(config, ScriptedModel([answer("a", "ls")] * 3))
    task = load_task("prisonersDilemma")
    info = {"cwd": ".", "open_file": None, "steps_left": 9}
    agent.start(task, "t", info)
    agent.act("t", info)
    with pytest.raises(ConfigError, match="has no attribute 'nmae'"):
        agent.act("output", info)


def test_crlf_answers_run_blank_answers_are_not_echoed_and_whole_answers_are_kept(tmp_path: Path) -> None:
    answers = [
        "DISCUSSION\r\nLook first.\r\n```\r\nls\r\n```\r\nAfter that I will read the strategy.\r\n",
        "  \n\t ",
        answer("Done.", "submit"),
    ]
    seen: list[list[dict]] = []

    def script(messages: list[dict]) -> str:
        seen.append([dict(m) for m in messages])
        return answers[len(seen) - 1]

    result, records = run(tmp_path, LLMAgent(load_agent_config("default"), ScriptedModel(script)))
    assert [r["action"] for r in records if r["kind"] == "action"] == ["ls", "submit"]
    # the whole first answer, text after the command included, is what the model sees as its turn
    kept = [m["content"] for m in seen[1] if m["role"] == "assistant"]
    assert kept == ["DISCUSSION\nLook first.\n```\nls\n```\nAfter that I will read the strategy."]
    # a blank answer is re-asked with a placeholder turn, never sent back as blank text
    assert seen[2][-2] == {"role": "assistant", "content": "(empty answer)"}
    assert result["exit_status"] == "submitted"


def test_the_prompt_states_limits_scoring_and_read_only_files(tmp_path: Path) -> None:
    model = ScriptedModel([answer("Done.", "submit")])
    run(tmp_path, LLMAgent(load_agent_config("default"), model))
    system = model.last_messages[0]["content"]
    task = load_task("prisonersDilemma")
    assert f"may run for {int(task.limits.command_timeout)} seconds" in system
    assert f"may run for {int(task.limits.training_timeout)} seconds" in system
    assert f"The episode has {task.limits.max_steps} steps" in system
    assert "`validate` scores your current work" in system and "`submit` scores your current work and ends" in system
    assert f"({', '.join(task.read_only)}) are read-only" in system and "evaluate.py" in task.read_only
    assert "best score you can reach" in system and "1000 lines" in system

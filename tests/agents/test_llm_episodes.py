"""Full episodes of the LLM agent through the real ``openai`` and ``anthropic`` SDKs, against local servers
that speak their wire protocols: tool use, a format error and its re-ask, retried 429/529s, a cost limit,
what the trajectory records, and that the API key is nowhere in the run folder."""

from __future__ import annotations

import json
from pathlib import Path

from tests.agents.fake_llm_servers import Turn, answer, scripted_server
from tests.helpers import cli, read_jsonl

OPENAI_SECRET = "sk-test-OPENAI-5ecret-do-not-record-0123456789"
ANTHROPIC_SECRET = "sk-ant-test-ANTHROPIC-5ecret-do-not-record-98765"
NO_PROXY = {"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}


def only_run_folder(out: Path) -> Path:
    folders = [p.parent for p in out.rglob("trajectory.jsonl")]
    assert len(folders) == 1, folders
    return folders[0]


def assert_secret_absent(folder: Path, secret: str) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), f"API key found in {path}"
            assert secret[-12:].encode() not in path.read_bytes(), f"part of the API key found in {path}"


def test_openai_episode_with_tools_format_error_and_429(tmp_path: Path) -> None:
    edit = "edit 10:10\nFORGIVENESS = 0.3\nend_of_edit"
    turns = [
        Turn(answer("Let me see what is in the workspace.", "ls")),
        Turn("I should open the strategy file next, I think."),  # no command: a format error
        Turn(status=429, retry_after="0", error={"message": "slow down", "type": "rate_limit", "code": None}),
        Turn(answer("Open the strategy to read its settings.", "open strategy.py")),
        Turn("DISCUSSION\nForgive more often.", tool_command=edit),  # a native tool call
        Turn(answer("Check the environment has no secrets.", "env")),
        Turn(answer("Score it.", "validate")),
        Turn(answer("Good enough; submit.", "submit")),
    ]
    with scripted_server("openai", turns) as server:
        proc = cli("run", "prisonersDilemma", "--agent", "default", "--model", "openai:gpt-4o-mini",
                   "--base-url", server.url, "-c", "model.use_tools=true", "-c", "model.backoff=0.01",
                   "--out", str(tmp_path), env={"OPENAI_API_KEY": OPENAI_SECRET, **NO_PROXY})
        requests = list(server.requests)
    assert proc.returncode == 0, proc.stderr
    assert OPENAI_SECRET not in proc.stdout + proc.stderr

    # the real SDK talked to the server: key in the header, tools offered, the re-ask shown
    assert len(requests) == 8
    assert all(r.path == "/v1/chat/completions" for r in requests)
    assert all(r.headers["authorization"] == f"Bearer {OPENAI_SECRET}" for r in requests)
    assert requests[0].body["model"] == "gpt-4o-mini"
    assert requests[0].body["tools"][0]["function"]["name"] == "run_command"
    assert requests[0].body["messages"][0]["role"] == "system"
    assert "COMMANDS:" in requests[0].body["messages"][0]["content"]
    reask = requests[2].body["messages"]
    assert reask[-2]["content"].startswith("I should open") and "no command" in reask[-1]["content"]
    assert requests[3].body == requests[2].body  # the 429 was retried with the same request
    # once answered, the failed exchange is dropped from the history
    assert not any("I should open" in m["content"] for m in requests[4].body["messages"])

    folder = only_run_folder(tmp_path)
    records = read_jsonl(folder / "trajectory.jsonl")
    header = records[0]
    assert header["model"] == "openai:gpt-4o-mini"
    assert header["config"]["agent_config"]["model"]["base_url"] == server.url
    kinds = [r["kind"] for r in records]
    assert kinds.count("format_error") == 1
    bad = next(r for r in records if r["kind"] == "format_error")
    assert bad["answer"].startswith("I should open") and bad["tokens_in"] == 100 and bad["cost"] > 0
    retried = next(r for r in records if r["kind"] == "thought" and r["text"].startswith("Open the strategy"))
    assert retried["retries"] == 1 and retried["format_errors"] == 1
    thoughts = [r["text"] for r in records if r["kind"] == "thought"]
    assert thoughts[:2] == ["Let me see what is in the workspace.", "Open the strategy to read its settings."]
    assert "Forgive more often." in thoughts
    actions = [r["action"] for r in records if r["kind"] == "action"]
    assert actions == ["ls", "open strategy.py", edit, "env", "validate", "submit"]
    changed = [r for r in records if r["kind"] == "file_changed"]
    assert changed and changed[0]["path"].endswith("strategy.py")
    usage = [r for r in records if r["kind"] == "model_usage"]
    assert sum(u["calls"] for u in usage) == 7  # the 429 is a retry inside one call
    assert usage[1]["calls"] == 2 and usage[1]["tokens_in"] == 200  # format error + re-ask in one step
    assert all(u["cost"] > 0 for u in usage)

    result = json.loads((folder / "result.json").read_text())
    assert result["exit_status"] == "submitted"
    assert result["tokens_in"] == 700 and result["tokens_out"] == 140
    assert abs(result["cost"] - (700 * 0.15 + 140 * 0.60) / 1e6) < 1e-9  # gpt-4o-mini prices
    assert (folder / "workspace" / "strategy.py").read_text().count("FORGIVENESS = 0.3") == 1
    assert_secret_absent(folder, OPENAI_SECRET)


def test_anthropic_episode_retries_overload_and_ends_at_the_cost_limit(tmp_path: Path) -> None:
    turns = [
        Turn(status=529, retry_after="0"),
        Turn(answer("Read the strategy first.", "cat strategy.py"), tokens_in=4000, tokens_out=200),
        Turn(answer("Score the starter code.", "validate"), tokens_in=4200, tokens_out=100),
        Turn(answer("Never reached: over budget.", "submit")),
    ]
    with scripted_server("anthropic", turns) as server:
        proc = cli("run", "prisonersDilemma", "--agent", "default", "--model", "anthropic:claude-sonnet-4-20250514",
                   "--base-url", server.url, "-c", "limits.cost=0.02", "-c", "model.backoff=0.01",
                   "--out", str(tmp_path), env={"ANTHROPIC_API_KEY": ANTHROPIC_SECRET, **NO_PROXY})
        requests = list(server.requests)
    assert proc.returncode == 0, proc.stderr  # autosubmitted: a valid score
    assert len(requests) == 3  # the 529 retried; no call once the budget is spent
    assert all(r.path == "/v1/messages" for r in requests)
    # the key travels in x-api-key (or as a bearer token, in newer SDKs)
    assert all(ANTHROPIC_SECRET in (r.headers.get("x-api-key", "") + r.headers.get("authorization", ""))
               for r in requests)
    body = requests[1].body
    assert "COMMANDS:" in body["system"] and body["messages"][0]["role"] == "user"
    assert body["model"] == "claude-sonnet-4-20250514" and body["max_tokens"] == 8192
    assert all(r.body["temperature"] == 0.0 for r in requests)  # the configured temperature is sent

    folder = only_run_folder(tmp_path)
    records = read_jsonl(folder / "trajectory.jsonl")
    result = json.loads((folder / "result.json").read_text())
    assert result["exit_status"] == "exit_cost"
    assert result["submission"] is not None and result["submission"]["valid"]  # autosubmission
    expected = (8200 * 3.0 + 300 * 15.0) / 1e6  # claude-sonnet-4 prices
    assert abs(result["cost"] - expected) < 1e-9 and result["cost"] >= 0.02
    limit = [r for r in records if r["kind"] == "limit"]
    assert limit and limit[0]["status"] == "exit_cost" and "cost limit" in limit[0]["message"]
    assert [r["action"] for r in records if r["kind"] == "action"] == ["cat strategy.py", "validate"]
    assert_secret_absent(folder, ANTHROPIC_SECRET)


def test_missing_key_is_a_one_line_usage_error(tmp_path: Path) -> None:
    proc = cli("run", "prisonersDilemma", "--agent", "default", "--model", "anthropic:claude-sonnet-4",
               "--out", str(tmp_path), env={"ANTHROPIC_API_KEY": ""})
    assert proc.returncode == 2
    assert "ANTHROPIC_API_KEY" in proc.stderr and "Traceback" not in proc.stderr
    assert not list(tmp_path.rglob("trajectory.jsonl"))


def test_a_key_in_config_is_refused_without_echoing_it(tmp_path: Path) -> None:
    proc = cli("run", "prisonersDilemma", "--agent", "default", "-c", f"model.api_key={OPENAI_SECRET}",
               "--out", str(tmp_path))
    assert proc.returncode == 2
    assert "environment" in proc.stderr and OPENAI_SECRET not in proc.stderr


CUT_EDIT = "DISCUSSION\nRewrite the whole strategy.\n\n```\nedit 1:40\nimport random\n\ndef row_str"


def _cut_answer_episode(protocol: str, model: str, key_env: str, tmp_path: Path) -> tuple[list, Path]:
    turns = [
        Turn(CUT_EDIT, cut=True, tokens_out=8192),
        Turn(CUT_EDIT, cut=True, tokens_out=8192),
        Turn(CUT_EDIT, cut=True, tokens_out=8192),
        Turn(answer("A smaller step: read the strategy.", "cat strategy.py")),
        Turn(answer("Done.", "submit")),
    ]
    with scripted_server(protocol, turns) as server:
        proc = cli("run", "prisonersDilemma", "--agent", "default", "--model", model, "--base-url", server.url,
                   "-c", "model.temperature=0.3", "--out", str(tmp_path), env={key_env: "test-key", **NO_PROXY})
        requests = list(server.requests)
    assert proc.returncode == 0, proc.stderr
    return requests, only_run_folder(tmp_path)


def test_a_cut_answer_is_named_as_cut_on_both_wire_protocols(tmp_path: Path) -> None:
    """Three answers cut at max_tokens (the limit is three re-asks) do not end the episode as a format
    error: the model is told each time that its answer was cut, and its next, shorter answer runs."""
    for protocol, model, key_env in (("openai", "openai:gpt-4o", "OPENAI_API_KEY"),
                                     ("anthropic", "anthropic:claude-sonnet-4-20250514", "ANTHROPIC_API_KEY")):
        requests, folder = _cut_answer_episode(protocol, model, key_env, tmp_path / protocol)
        records = read_jsonl(folder / "trajectory.jsonl")
        assert len(requests) == 5
        for request in requests[1:4]:
            told = request.body["messages"][-1]["content"]
            assert "cut off" in told and "8192 tokens" in told and "no command" not in told
        cuts = [r for r in records if r["kind"] == "format_error"]
        assert len(cuts) == 3 and all(r["cut"] for r in cuts)
        assert [r["action"] for r in records if r["kind"] == "action"] == ["cat strategy.py", "submit"]
        assert json.loads((folder / "result.json").read_text())["exit_status"] == "submitted"
        sent = records[0]["config"]["agent_config"]["model"]["sent"]
        assert sent["temperature"] == 0.3 and sent["max_tokens"] == 8192
        assert all(r.body["temperature"] == 0.3 for r in requests)


def test_max_steps_counts_down_in_the_prompt_and_ends_the_episode_at_n(tmp_path: Path) -> None:
    """`--max-steps 3`: the model reads 3, 2, 1 steps left, and the episode ends after the third step with
    MLGym's max-steps autosubmission; the environment alone decides (Gymnasium's truncation)."""
    turns = [Turn(answer(f"Step {i}.", f"echo step-{i}")) for i in range(1, 6)]
    with scripted_server("openai", turns) as server:
        proc = cli("run", "prisonersDilemma", "--agent", "default", "--model", "gpt-4o", "--base-url", server.url,
                   "--max-steps", "3", "--out", str(tmp_path), env={"OPENAI_API_KEY": "test-key", **NO_PROXY})
        requests = list(server.requests)
    assert proc.returncode == 0, proc.stderr
    assert len(requests) == 3
    prompts = [r.body["messages"][-1]["content"] for r in requests]
    assert "You have 3 steps" in prompts[0] and "The episode has 3 steps" in requests[0].body["messages"][0]["content"]
    assert "(Steps left: 2" in prompts[1] and "(Steps left: 1" in prompts[2]
    folder = only_run_folder(tmp_path)
    records = read_jsonl(folder / "trajectory.jsonl")
    assert [r["action"] for r in records if r["kind"] == "action"] == ["echo step-1", "echo step-2", "echo step-3"]
    result = json.loads((folder / "result.json").read_text())
    assert result["exit_status"] == "autosubmission_max_steps" and result["submission"] is not None


def test_gym_make_max_steps_truncates_at_n() -> None:
    import gymnasium as gym

    import mlgym_tui.core.registration  # noqa: F401 - registers mlgym/<task>-v0

    env = gym.make("mlgym/prisonersDilemma-v0", max_steps=2)
    try:
        _, info = env.reset(seed=0)
        assert info["steps_left"] == 2
        *_, truncated, info = env.step("echo one")
        assert not truncated and info["steps_left"] == 1
        *_, truncated, info = env.step("echo two")
        assert truncated and info["steps_left"] == 0
    finally:
        env.close()

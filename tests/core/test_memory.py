"""The research log: real embeddings, the BM25 fallback, crash safety, carrying notes across runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from mlgym_tui.core.memory import BM25Ranker, MemoryStore, SemanticRanker, read_notes
from mlgym_tui.core.memory.minilm import MiniLMEncoder, ModelUnavailable
from tests.helpers import PROJECT, cli, read_jsonl

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="module")
def encoder() -> MiniLMEncoder:
    try:
        return MiniLMEncoder()
    except ModelUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"the model must be available in CI (scripts/setup-memory.sh): {exc}")
        pytest.skip(str(exc))


def test_embeddings_match_sentence_transformers(encoder: MiniLMEncoder) -> None:
    """Reference vectors were computed once with sentence-transformers 5 + torch 2.13 (CPU) from the same
    weights: ``SentenceTransformer(model_dir).encode(sentences, normalize_embeddings=True)``."""
    ref = json.loads((FIXTURES / "minilm_reference.json").read_text())
    ours = encoder.encode(ref["sentences"])
    assert np.abs(ours - np.array(ref["embeddings"])).max() < 1e-4


def test_paraphrases_are_closer_than_unrelated_sentences(encoder: MiniLMEncoder) -> None:
    a, b, c = encoder.encode(["Lowering the learning rate to 3e-4 gave the best validation accuracy.",
                              "The model trained best with a smaller step size of 0.0003.",
                              "My cat likes to sleep on the sofa in the afternoon."])
    assert a @ b > 0.35 and a @ c < 0.1


def test_semantic_query_beats_a_lexically_closer_distractor(tmp_path: Path, encoder: MiniLMEncoder) -> None:
    store = MemoryStore(tmp_path / "run" / "memory.jsonl", "t", SemanticRanker())
    store.write("Reducing the step size of the optimiser made training converge far better.", step=3, best_score=0.8)
    store.write("The rate of learning new board games is high for my niece.", step=5, best_score=0.8)
    query = "which learning rate change helped training"
    lexical = BM25Ranker().scores(query, [n.text for n in store.notes], [None, None])
    assert lexical[1] > lexical[0]  # the distractor shares more words with the query
    (best, _), _ = store.read(query, k=2)
    assert best.step == 3


def test_without_the_encoder_bm25_is_used_and_says_so(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['tokenizers'] = None\n"
        "from mlgym_tui.core.memory import make_ranker\n"
        "r, why = make_ranker(); print(r.name); print(r.description); print(why)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT)
    name, description, why = proc.stdout.strip().splitlines()
    assert name == "bm25" and "fallback" in description and "tokenizers" in why
    store = MemoryStore(tmp_path / "memory.jsonl", "t", BM25Ranker())
    store.write("batch size 256 overfits", step=1, best_score=None)
    store.write("dropout 0.3 fixed overfitting", step=2, best_score=None)
    assert store.read("dropout overfitting", k=1)[0][0].step == 2


def test_a_corrupt_line_is_skipped_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "memory.jsonl"
    good = {"text": "first", "step": 1, "time": 0}
    path.write_text(json.dumps(good) + "\n{not json\n" + json.dumps({**good, "text": "third"}) + "\n")
    warnings: list[str] = []
    notes = read_notes(path, warnings)
    assert [n.text for n in notes] == ["first", "third"]
    assert len(warnings) == 1 and f"{path}:2" in warnings[0]


def test_notes_survive_sigkill_and_are_read_in_the_next_attempt(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    proc = subprocess.Popen([sys.executable, "-m", "mlgym_tui.cli", "run", "prisonersDilemma", "--agent",
                             "tests.helpers:NoteThenSleepAgent", "--memory", "--out", str(tmp_path / "a"), "-q"],
                            env=env, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    memory_file = None
    while time.monotonic() < deadline and memory_file is None:
        found = list((tmp_path / "a").rglob("trajectory.jsonl"))
        if found and '"sleep 120"' in found[0].read_text():
            memory_file = found[0].parent / "memory.jsonl"
        time.sleep(0.1)
    assert memory_file is not None
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert "forgiveness" in memory_file.read_text()
    done = cli("run", "prisonersDilemma", "--agent", "tests.helpers:RecallAgent", "--memory-from",
               str(memory_file.parent), "--out", str(tmp_path / "b"), "-q")
    assert done.returncode == 0, done.stderr
    traj = next((tmp_path / "b").rglob("trajectory.jsonl"))
    observations = [r["text"] for r in read_jsonl(traj) if r["kind"] == "observation"]
    assert any("forgiveness of 0.3 beat the baseline" in o and "from run" in o for o in observations)


def test_the_memory_agent_gets_the_tools_and_uses_them(tmp_path: Path) -> None:
    """agents/memory.yaml offers memory_write/memory_read (the default agent does not), the prompt says how
    notes are ranked, and a note written by the model comes back on memory_read."""
    from tests.agents.fake_llm_servers import Turn, answer, scripted_server

    turns = [
        Turn(answer("Record what I know.", "memory_write Tit-for-tat with forgiveness 0.3 scored best so far")),
        Turn(answer("What did I learn?", "memory_read best forgiveness setting")),
        Turn(answer("Done.", "submit")),
    ]
    with scripted_server("openai", turns) as server:
        proc = cli("run", "prisonersDilemma", "--agent", "memory", "--model", "openai:gpt-4o-mini",
                   "--base-url", server.url, "--out", str(tmp_path),
                   env={"OPENAI_API_KEY": "sk-test-memory", "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"})
        requests = list(server.requests)
    assert proc.returncode == 0, proc.stderr
    system = requests[0].body["messages"][0]["content"]
    assert "memory_write" in system and "memory_read" in system and "Ranking:" in system
    folder = next(tmp_path.rglob("trajectory.jsonl")).parent
    assert "forgiveness 0.3" in (folder / "memory.jsonl").read_text()
    records = read_jsonl(folder / "trajectory.jsonl")
    reads = [r for r in records if r["kind"] == "memory" and r["op"] == "read"]
    assert reads and "forgiveness 0.3" in reads[0]["results"][0]["text"]


def test_the_default_agent_does_not_offer_memory_tools() -> None:
    from mlgym_tui.agents.config import load_agent_config
    from mlgym_tui.core.tools import tools_help

    assert "memory_write" not in tools_help(load_agent_config("default").tools)

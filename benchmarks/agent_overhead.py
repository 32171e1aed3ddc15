"""The LLM agent loop's own overhead per step, with a zero-latency scripted model.

What is timed is everything the agent side does per step: rendering the next-step template, extending
and eliding the history, the limit and context checks, parsing the answer, and recording the step's
events (thought, action, observation, model usage) to a ``trajectory.jsonl`` exactly as a run does.
The environment itself (the shell) is not: its latency is measured by the runtime benchmarks.

For each history length N it builds an agent with N steps behind it, then times the next ``--steps``
steps. Flat figures mean no step walks the whole history (no quadratic re-rendering).

    .venv/bin/python benchmarks/agent_overhead.py [--steps 200] [--obs-bytes 2000]

Goal: under 2 ms per step at 1,000 steps of history, and flat growth from 10 to 1,000.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

from mlgym_tui.agents.config import load_agent_config
from mlgym_tui.agents.llm import LLMAgent
from mlgym_tui.agents.models import ModelReply, ScriptedModel
from mlgym_tui.core.events import EventBus, EventKind
from mlgym_tui.core.task_sources import load_task
from mlgym_tui.core.trajectory import TrajectoryRecorder

ANSWER = ModelReply(
    "DISCUSSION\nThe training loss is still falling, so I will train for two more epochs and then "
    "validate the new checkpoint against the baseline.\n\n```\npython train.py --epochs 2\n```",
    tokens_in=1200,
    tokens_out=60,
    cost=0.0001,
)


def observation(i: int, size: int) -> str:
    line = f"epoch {i:5d} | step 120/120 | loss 0.{i % 9973:04d} | acc 0.91 | lr 3e-4 | 1.2 s\n"
    return (line * (size // len(line) + 1))[:size]


def run(history_steps: int, timed_steps: int, obs_bytes: int, folder: Path) -> list[float]:
    """Per-step seconds of ``timed_steps`` steps taken after ``history_steps`` untimed ones."""
    task = load_task("prisonersDilemma")
    agent = LLMAgent(load_agent_config("default"), ScriptedModel(lambda messages: ANSWER))
    bus = EventBus()
    recorder = TrajectoryRecorder(folder / f"trajectory-{history_steps}.jsonl", {"task": task.id})
    bus.subscribe(recorder)
    agent.bind_bus(bus)
    info = {"cwd": ".", "open_file": "train.py", "steps_left": 10_000, "step": 0, "exit_code": 0}
    agent.start(task, task.render_description(), info)
    obs = task.render_description()
    times: list[float] = []
    total = history_steps + timed_steps
    gc.collect()
    for step in range(1, total + 1):
        info["step"] = step - 1
        info["steps_left"] = 10_000 - step
        started = time.perf_counter()
        action = agent.act(obs, info)
        bus.step = step
        u = action.usage
        bus.publish(EventKind.MODEL_USAGE, tokens_in=u.tokens_in, tokens_out=u.tokens_out, cost=u.cost,
                    calls=u.calls, total_tokens_in=agent.tokens_in, total_tokens_out=agent.tokens_out,
                    total_cost=round(agent.cost, 6))
        bus.publish(EventKind.THOUGHT, text=action.thought)
        bus.publish(EventKind.ACTION, action=action.action)
        obs = observation(step, obs_bytes)
        bus.publish(EventKind.OBSERVATION, text=obs, exit_code=0, duration=0.0, timed_out=False,
                    cut_bytes=0, tool=None)
        elapsed = time.perf_counter() - started
        if step > history_steps:
            times.append(elapsed)
    recorder.close()
    assert len(agent.history.messages) == 1 + 2 * total  # system, instance + answer, then observation/answer pairs
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=200, help="steps timed at each history length")
    parser.add_argument("--obs-bytes", type=int, default=2000, help="size of each observation")
    parser.add_argument("--histories", default="10,100,1000", help="history lengths, comma-separated")
    args = parser.parse_args(argv)
    lengths = [int(x) for x in args.histories.split(",")]
    print(f"agent loop overhead per step ({args.steps} timed steps, {args.obs_bytes}-byte observations, "
          "zero-latency model, trajectory recorded)")
    print(f"{'history':>8} {'mean ms':>9} {'median ms':>10} {'p95 ms':>8}")
    means: dict[int, float] = {}
    medians: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in lengths:
            times = sorted(run(n, args.steps, args.obs_bytes, Path(tmp)))
            mean = statistics.fmean(times) * 1000
            means[n] = mean
            medians[n] = statistics.median(times) * 1000
            p95 = times[int(0.95 * (len(times) - 1))] * 1000
            print(f"{n:>8} {mean:>9.3f} {statistics.median(times) * 1000:>10.3f} {p95:>8.3f}")
    # growth on medians: means on a shared machine carry other processes' scheduling noise
    first, last = medians[lengths[0]], medians[lengths[-1]]
    ratio = last / first if first else float("inf")
    ok = means[lengths[-1]] < 2.0 and ratio < 2.0
    print(f"median growth {lengths[0]} -> {lengths[-1]} steps: x{ratio:.2f}; goal (< 2 ms at {lengths[-1]}, flat): "
          f"{'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

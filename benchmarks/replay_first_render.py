"""First render of a replay: proportional to what is on screen, not to the file.

Opens the Replay screen (headless, 120×40, the app the CLI builds) on:

(a) an MLGym ``.traj`` of 20 steps and ~2.6 MB, one observation 1 MB (a training log of ~46,000 lines),
    the others editor windows of a 300-line file, each step repeated in the chat history as MLGym
    writes it — opened cold (imported into the cache and indexed) and warm (both reused);
(b) our own trajectories of 10 (the screen's fixed cost), 1,000, 10,000 and (``--huge``) 100,000
    steps — cold (index built) and warm (index read from its sidecar).

Measured: seconds from pushing the screen until the last step is on screen and painted (cold, then
warm; wall clock, and the process's CPU time, which a busy shared machine inflates less), and in a third, traced open the Python heap allocated (tracemalloc peak; tracing slows the
open, so it is timed apart), which must not grow with the file.

    .venv/bin/python benchmarks/replay_first_render.py [--huge]

Goal: first render under 0.3 s (warm), memory flat across file sizes.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from mlgym_tui.tui.app import Start, make_app
from mlgym_tui.tui.screens.replay import ReplayScreen
from mlgym_tui.tui.settings import WorkbenchSettings

sys.path.insert(0, str(Path(__file__).parent))
from tui_stream import synthetic_trajectory, wait_until  # noqa: E402

GOAL_S = 0.3


def mlgym_traj(folder: Path, steps: int = 20) -> Path:
    """An MLGym-shaped run folder (``.traj`` + ``results.json``) of about 2.6 MB with a 1 MB observation."""
    folder.mkdir(parents=True, exist_ok=True)
    source = [f"    value_{n} = compute_something(data, index={n})  # line {n}" for n in range(1, 301)]
    window = "[File: /home/agent/workspace/train.py (300 lines total)]\n" + "\n".join(
        f"{n}:{line}" for n, line in enumerate(source, start=1))
    log = "".join(f"step {i} loss {1 / (i + 1):.6f}\n" for i in range(56_488))[: 1024 * 1024]
    trajectory: list[dict[str, Any]] = []
    for s in range(steps):
        thought = f"DISCUSSION\nStep {s}: " + "I will look at the training script and adjust it. " * 10
        if s == 9:
            action, observation = "python train.py\n", log
        elif s % 5 == 4:
            action = "validate\n"
            observation = ("Your code produced a valid submission artefact at /home/agent/workspace/submission.csv.\n"
                           f"Baseline Score: {{'accuracy': 0.78}}\nEvaluation Score: {{'accuracy': {0.8 + s / 1000}}}")
        elif s % 2:
            action = f"edit {s + 10}:{s + 12}\n    value = {s}\n    other = {s}\nend_of_edit\n"
            observation = window + "\nFile updated. Please review the changes and make sure they are correct."
        else:
            action, observation = "open train.py\n", window
        trajectory.append({"action": action, "observation": observation, "response": thought, "thought": thought,
                           "execution_time": 1.5, "state": "{}"})
    scores = [{"accuracy": 0.8 + s / 1000} for s in range(steps) if s % 5 == 4]
    history: list[dict[str, str]] = [{"role": "system", "content": "You are …"},
                                     {"role": "user", "content": "Train a model."}]
    for item in trajectory:  # MLGym's history repeats every step: the answer, then the observation
        history += [{"role": "assistant", "content": item["response"], "thought": item["thought"],
                     "action": item["action"]}, {"role": "user", "content": item["observation"]}]
    doc = {"environment": "mlgym_main", "trajectory": trajectory, "history": history,
           "info": {"model_stats": {"total_cost": 0.91, "tokens_sent": 400_000, "tokens_received": 9000,
                                    "api_calls": steps},
                    "exit_status": "submitted", "score": [*scores, scores[-1]]}}
    name = "bench-model__imageClassificationFMnist__default__t-0.00__p-0.95__c-4.00__install-0__parallel_agents_run_0"
    run = folder / name
    run.mkdir()
    traj = run / "imageClassificationFMnist.traj"
    traj.write_text(json.dumps(doc, indent=2))
    (run / "results.json").write_text(json.dumps({"agent": [*scores, scores[-1]], "baseline": {"accuracy": 0.78}}))
    return traj


async def first_render(path: Path, runs: Path, traced: bool = False) -> tuple[float, float, int, float]:
    """(seconds to the last step on screen, tracemalloc peak in MB when ``traced``, last step, CPU seconds)."""
    app = make_app(WorkbenchSettings.for_tests(runs_dir=runs), Start("home"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)
        gc.collect()  # the earlier opens' garbage is not this open's cost (a `replay` is a fresh process)
        if traced:
            tracemalloc.start()
        started = time.perf_counter()
        cpu = time.process_time()
        screen = ReplayScreen(app.settings, path, at="end")  # the catch-up of a whole run: the costly open
        app.push_screen(screen)
        await wait_until(pilot, lambda: screen.loaded and screen.position == screen.last_step > 0, 120)
        await pilot.pause(0)  # the paint
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
        peak = 0
        if traced:
            _now, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        return seconds, peak / 2**20, screen.last_step, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--huge", action="store_true", help="also 100,000 steps")
    parser.add_argument("--repeat", type=int, default=5, help="warm opens per case (the median is shown)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mlgym-bench-") as tmp:
        root = Path(tmp)
        os.environ["MLGYM_CONFIG_DIR"] = str(root / "config")
        os.environ["MLGYM_CACHE_DIR"] = str(root / "cache")  # cold means cold: no import or index cached
        cases: list[tuple[str, Path]] = [("(a) MLGym .traj, 20 steps", mlgym_traj(root / "mlgym"))]
        sizes = [10, 1_000, 10_000, *([100_000] if args.huge else [])]
        cases += [(f"(b) {n:,} steps", synthetic_trajectory(root / f"run-{n}", n)) for n in sizes]
        ok = True
        for label, path in cases:
            size = path.stat().st_size if path.is_file() else (path / "trajectory.jsonl").stat().st_size
            cold = asyncio.run(first_render(path, root / "runs"))
            warms = sorted((asyncio.run(first_render(path, root / "runs")) for _ in range(args.repeat)),
                           key=lambda r: r[0])
            warm = warms[len(warms) // 2]  # the median run: one open varies by ±0.1 s on a shared machine
            traced = asyncio.run(first_render(path, root / "runs", traced=True))
            print(f"{label:28} {size / 2**20:5.1f} MB file · {cold[2]:>7,} steps · first render cold "
                  f"{cold[0]:.3f} s, warm (median) {warm[0]:.3f} s (CPU {cold[3]:.3f} s, {warm[3]:.3f} s) · heap peak "
                  f"{traced[1]:.1f} MB", flush=True)
            ok = ok and warm[0] < GOAL_S
        print(f"goal: warm first render under {GOAL_S} s, heap flat across sizes; load average now "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

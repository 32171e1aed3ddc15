"""Importing and scoring a folder of MLGym-Bench-sized runs, as a researcher does with MLGym's published runs.

It writes ``--models`` × 13 tasks × ``--attempts`` run folders in MLGym's layout (folder
``metagen-<model>__<task>__default__…__parallel_agents_run_<n>``, a ``results.json`` with ``agent`` and
``baseline``, a ``.traj`` with ``--steps`` steps of ``--obs-bytes`` observations; every 100th run keeps only
its ``results.json``), then times, each in a fresh process as a user runs them:

- ``mlgym-tui import DIR --out OUT`` (read every ``.traj``, write every run folder);
- ``mlgym-tui score OUT --attempts 4`` over the imported runs;
- ``mlgym-tui score DIR --attempts 4`` over the raw folders (read through the importer in memory);
- and the scoring of the imported runs inside one process, without the interpreter's start.

Each timing is the wall clock of the command (process start included) and the CPU time it used; on a
busy machine the CPU time is the steadier figure. Nothing here needs MLGym's repository.

    .venv/bin/python benchmarks/score_mlgym.py [--models 12] [--attempts 4] [--steps 40] [--obs-bytes 4000]

Goal (issue #14): import < 10 s and score < 1 s for 600+ runs on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TASKS = {
    # task id: (metric, direction, baseline)
    "3SATTime": ("Time", "min", 16.158),
    "battleOfSexes": ("Score", "max", 1.0227),
    "blotto": ("Score", "max", -0.248),
    "imageCaptioningCOCO": ("BLEU Score", "max", 0.2794),
    "imageClassificationCifar10": ("accuracy", "max", 0.4971),
    "imageClassificationFMnist": ("accuracy", "max", 0.7835),
    "languageModelingFineWeb": ("val_loss", "min", 4.6727),
    "naturalLanguageInferenceMNLI": ("validation_accuracy", "max", 52.51),
    "prisonersDilemma": ("Score", "max", 2.3716),
    "regressionKaggleHousePrice": ("r2", "max", 0.88),
    "rlBreakoutMinAtar": ("Reward Mean", "max", 48.817),
    "rlMetaMazeMisc": ("Reward Mean", "max", 15.734),
    "rlMountainCarContinuous": ("Reward Mean", "max", 33.794),
}
EXITS = ["submitted"] * 6 + ["autosubmission (max_steps)", "evaluation_format_error (max_steps)",
                             "submission_not_found (exit_format)", "autosubmission (exit_context)"]


def write_runs(root: Path, models: int, attempts: int, steps: int, obs_bytes: int, seed: int = 0) -> int:
    """The run folders; returns how many."""
    rng = random.Random(seed)
    filler = ("epoch 3/10 loss 0.4321 accuracy 0.8765 lr 0.001\n" * (obs_bytes // 48 + 1))[:obs_bytes]
    count = 0
    for m in range(models):
        for task, (metric, _direction, baseline) in TASKS.items():
            for n in range(attempts):
                folder = root / f"metagen-model{m:02d}__{task}__default__t-0.00__p-0.95__c-4.00__install-0__parallel_agents_run_{n}"
                folder.mkdir(parents=True)
                status = rng.choice(EXITS)
                scale = abs(baseline) or 1.0
                scores = [{metric: round(baseline + rng.uniform(-0.3, 0.3) * scale, 4)}
                          for _ in range(rng.randint(0, 5))]
                if status.startswith(("evaluation", "submission")) and scores:
                    scores = scores[:-1]
                (folder / "results.json").write_text(json.dumps({"agent": scores, "baseline": {metric: baseline}}))
                count += 1
                if count % 100 == 0:
                    continue  # a results-only run, as some published ones are
                trajectory, history = [], [{"role": "user", "content": f"TASK DESCRIPTION: {task} ({folder.name})"}]
                validations = iter(scores[:-1] if status in ("submitted",) or status.startswith("auto") else scores)
                for i in range(steps):
                    if i % 10 == 9:
                        score = next(validations, None)
                        action = "validate"
                        observation = (f"Your code produced a valid submission artefact at /w.\nBaseline Score: "
                                       f"{{'{metric}': {baseline}}}\nEvaluation Score: {score}") if score else \
                            "Submission artefact not found."
                    else:
                        action, observation = "python train.py", filler
                    thought = f"Step {i}: train again with a smaller learning rate."
                    trajectory.append({"action": action + "\n", "observation": observation, "thought": thought,
                                       "response": thought, "state": "{}", "execution_time": 1.5})
                    history.append({"role": "assistant", "content": thought, "action": action + "\n"})
                    history.append({"role": "user", "content": observation})
                doc = {"environment": "mlgym_main", "trajectory": trajectory, "history": history,
                       "info": {"exit_status": status, "score": scores,
                                "model_stats": {"total_cost": 0.5, "tokens_sent": 1000 * steps,
                                                "tokens_received": 50 * steps, "api_calls": steps}}}
                (folder / f"{task}.traj").write_text(json.dumps(doc))
    return count


def timed(*args: str) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds, last line of stdout) of one CLI command in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "mlgym_tui.cli", *args], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "120"})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = proc.stdout.strip().splitlines()
    return wall, cpu, lines[-1] if args[0] == "import" else lines[0]


def in_process(out: Path) -> float:
    """CPU seconds of reading, scoring and rendering the imported runs inside one process (best of 3)."""
    from mlgym_tui.core.scoring import load_runs, render_text, scoreboard

    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        render_text(scoreboard(load_runs([out]), attempts=4))
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", type=int, default=12)
    p.add_argument("--attempts", type=int, default=4)
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--obs-bytes", type=int, default=4000)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="mlgym-score-bench-") as tmp:
        raw, out = Path(tmp) / "raw", Path(tmp) / "runs"
        n = write_runs(raw, args.models, args.attempts, args.steps, args.obs_bytes)
        size = sum(f.stat().st_size for f in raw.rglob("*") if f.is_file()) / 2**20
        print(f"{n} MLGym run folders, {size:.0f} MiB ({args.steps} steps of {args.obs_bytes} B observations each)")
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        results = [
            ("import", timed("import", str(raw), "--out", str(out), "-q")),
            ("score (imported)", timed("score", str(out), "--attempts", "4")),
            ("score (raw folders)", timed("score", str(raw), "--attempts", "4")),
        ]
        for name, (wall, cpu, line) in results:
            print(f"{name:20s} wall {wall:6.2f} s  cpu {cpu:6.2f} s   {line}")
        print(f"score in-process (no interpreter start): {in_process(out):.3f} s cpu")
        print("goal: import < 10 s, score < 1 s (issue #14)")


if __name__ == "__main__":
    main()

"""Batch throughput and scheduling overhead: 1 and 2 workers, local and Ray, on quick CPU episodes.

Runs ``mlgym-tui batch`` (as a user would, one process per configuration, each into a fresh folder) on a
grid of baseline episodes of the quick game-theory tasks, and prints side by side:

- episodes per minute over the *active* window (first launch to last end: what the workers deliver) and
  over the whole command (with start-up: the forkserver, or starting a private Ray);
- scheduling overhead per episode: the time from the executor's launch to its noticing the end, minus
  the time spent inside the episode (mean, and median, which leaves out the first wave's warm-up);
- the speed-up of 2 workers over 1 (goal ≥ 1.7× on this 2-core machine; overhead goals: < 100 ms locally,
  < 500 ms on Ray).

    .venv/bin/python benchmarks/batch_scaling.py [--attempts 8] [--repeat 3] [--executors local,ray] [--workers 1,2]

On a shared machine the figures move with other people's load: episodes here are CPU-bound, so two
workers only beat one by as much as the second core is free. ``--repeat`` keeps the best of several runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
TASKS = "prisonersDilemma,blotto,battleOfSexes"


def run_one(executor: str, workers: int, attempts: int, tasks: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="mlgym-bench-") as tmp:
        env = {**os.environ, "RAY_AUTH_MODE": os.environ.get("RAY_AUTH_MODE", "disabled")}
        command = [sys.executable, "-m", "mlgym_tui.cli", "batch", "--tasks", tasks, "--agents", "baseline",
                   "--attempts", str(attempts), "--workers", str(workers), "--executor", executor,
                   "--out", str(Path(tmp) / "runs"), "--quiet", "--json"]
        proc = subprocess.run(command, capture_output=True, text=True, env=env, cwd=PROJECT, timeout=1800)
        if proc.returncode != 0:
            raise SystemExit(f"{executor} × {workers} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
        summary = json.loads(proc.stdout)
    episodes = summary["episodes"]
    overheads = [e["overhead"] for e in episodes]
    n = len(episodes)
    return {
        "executor": executor,
        "workers": workers,
        "episodes": n,
        "active_s": summary["active_time"],
        "wall_s": summary["wall_time"],
        "per_min_active": n / summary["active_time"] * 60,
        "per_min_wall": n / summary["wall_time"] * 60,
        "episode_s": statistics.mean(e["episode_time"] for e in episodes),
        "overhead_mean_ms": statistics.mean(overheads) * 1000,
        "overhead_median_ms": statistics.median(overheads) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attempts", type=int, default=8, help="attempts per task (3 tasks; default 8 → 24)")
    parser.add_argument("--executors", default="local,ray")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--tasks", default=TASKS)
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs per configuration; the fastest is shown (the machine is shared)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON too")
    args = parser.parse_args()
    rows = []
    for executor in args.executors.split(","):
        for workers in (int(w) for w in args.workers.split(",")):
            print(f"running {executor} × {workers} …", file=sys.stderr, flush=True)
            runs = [run_one(executor, workers, args.attempts, args.tasks) for _ in range(args.repeat)]
            rows.append(max(runs, key=lambda r: r["per_min_active"]))
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} CPUs (load average {load:.1f}) · grid: {args.tasks} × baseline × {args.attempts} "
          f"attempts · best of {args.repeat}\n")
    header = ("executor", "workers", "episodes", "ep/min active", "ep/min wall", "speed-up", "episode s",
              "overhead mean ms", "overhead median ms", "wall s")
    print("  ".join(f"{h:>{max(len(h), 8)}}" for h in header))
    for row in rows:
        one = next((r for r in rows if r["executor"] == row["executor"] and r["workers"] == 1), None)
        speedup = row["per_min_active"] / one["per_min_active"] if one else float("nan")
        values = (row["executor"], row["workers"], row["episodes"], f"{row['per_min_active']:.1f}",
                  f"{row['per_min_wall']:.1f}", f"{speedup:.2f}×", f"{row['episode_s']:.2f}",
                  f"{row['overhead_mean_ms']:.0f}", f"{row['overhead_median_ms']:.0f}", f"{row['wall_s']:.1f}")
        print("  ".join(f"{str(v):>{max(len(h), 8)}}" for v, h in zip(values, header, strict=True)))
    if args.json:
        print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()

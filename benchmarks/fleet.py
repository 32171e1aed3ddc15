"""The fleet view over a large benchmark folder while episodes grow.

Builds ``--runs`` run folders (most finished, ``--live`` of them running), opens the Fleet screen
(headless, 120×40, the app the CLI builds) and starts a separate writer process that appends one event to
every live trajectory each ``--interval`` seconds, stamping the event with the time it was written.
Measured, for inotify (watchfiles) and for polling (``--poll``, as on network file systems):

- refresh latency: from an event's write to its row being updated in the table (the screen's redraw);
- key latency: from a key event (cursor down) being posted, as a terminal's input thread does, to the
  table's cursor having moved;
- resident memory of the process at the end (and before the screen opened).

    .venv/bin/python benchmarks/fleet.py [--runs 1000] [--live 50] [--interval 0.1] [--seconds 15]

Goals (issue #20): refresh p95 < 500 ms, keys p95 < 50 ms, memory < 150 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from textual import events
from textual.widgets import DataTable

from mlgym_tui.tui.app import Start, make_app
from mlgym_tui.tui.screens.fleet import FleetScreen
from mlgym_tui.tui.settings import WorkbenchSettings

TASKS = ["3SATTime", "battleOfSexes", "blotto", "imageClassificationFMnist", "prisonersDilemma",
         "regressionKaggleHousePrice", "rlMountainCarContinuous"]
WRITER = r"""
import json, sys, time
paths, interval, seconds = sys.argv[1].split(","), float(sys.argv[2]), float(sys.argv[3])
files = [open(p, "a") for p in paths]
step = 100
end = time.time() + seconds
while time.time() < end:
    step += 1
    for f in files:
        f.write(json.dumps({"kind": "observation", "step": step, "time": time.time(), "text": "ok"}) + "\n")
        f.flush()
    time.sleep(interval)
"""


def build(root: Path, runs: int, live: int) -> list[Path]:
    live_paths = []
    for i in range(runs):
        task = TASKS[i % len(TASKS)]
        agent = f"model-{i % 13}"
        folder = root / task / agent / f"20260101T0000{i:04d}Z-s{i % 4}"
        folder.mkdir(parents=True)
        records: list[dict[str, Any]] = [
            {"kind": "header", "task": task, "agent": "default", "model": agent, "seed": i % 4, "metric": "Score",
             "direction": "max", "baseline": {"Score": 1.0}, "host": {"hostname": f"node-{i % 8}"}},
            {"kind": "episode_started", "step": 0, "time": time.time() - 600, "max_steps": 50},
        ]
        for step in range(1, 40):
            records.append({"kind": "action", "step": step, "time": time.time() - 500, "action": "python train.py"})
            records.append({"kind": "output", "step": step, "time": time.time() - 500, "text": "epoch 1\n" * 20})
            records.append({"kind": "observation", "step": step, "time": time.time() - 500, "text": "ok"})
            if step % 10 == 0:
                records.append({"kind": "validation", "step": step, "time": time.time() - 500, "valid": True,
                                "score": 1.0 + step / 100})
        if i >= live:
            records.append({"kind": "episode_ended", "step": 40, "time": time.time() - 400,
                            "exit_status": "submitted", "cost": 1.5})
        else:
            live_paths.append(folder / "trajectory.jsonl")
        (folder / "trajectory.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return live_paths


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def measure(root: Path, live_paths: list[Path], poll: float | None, interval: float, seconds: float) -> dict:
    refresh: list[float] = []
    keys: list[float] = []
    app = make_app(WorkbenchSettings.for_tests(runs_dir=root, frozen_time=None), Start("fleet", path=root, poll=poll))
    before = rss_mb()
    original = FleetScreen._redraw

    def timed_redraw(self: FleetScreen, changed: set[str] | None = None) -> None:
        seen = dict(getattr(self, "_bench_seen", {}))
        original(self, changed)
        now = time.time()
        for key, row in self.rows.items():
            if row.status == "running" and row.last_event and seen.get(key) != row.last_event:
                if key in seen:
                    refresh.append(now - row.last_event)
                seen[key] = row.last_event
        self._bench_seen = seen  # type: ignore[attr-defined]

    FleetScreen._redraw = timed_redraw  # type: ignore[method-assign]
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = app.screen
            assert isinstance(screen, FleetScreen)
            deadline = time.monotonic() + 120
            while len(screen.rows) < len(list(root.glob("*/*/*"))):
                assert time.monotonic() < deadline, "the fleet did not load"
                await pilot.pause(0.1)
            load_time = time.monotonic() - (deadline - 120)
            writer = subprocess.Popen([sys.executable, "-c", WRITER, ",".join(map(str, live_paths)), str(interval),
                                       str(seconds)])
            table = screen.query_one(DataTable)
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                await asyncio.sleep(0.3)
                start_row = table.cursor_row
                sent = time.perf_counter()
                app.post_message(events.Key("down", None))
                while table.cursor_row == start_row and time.perf_counter() - sent < 2:
                    await asyncio.sleep(0.001)
                keys.append(time.perf_counter() - sent)
                if table.cursor_row >= table.row_count - 2:
                    table.move_cursor(row=0)
            writer.wait(timeout=60)
            mode = screen.watcher.mode if screen.watcher else "?"
    finally:
        FleetScreen._redraw = original  # type: ignore[method-assign]
    return {"mode": mode, "load": load_time, "refresh": refresh, "keys": keys, "rss_before": before,
            "rss_after": rss_mb(), "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--live", type=int, default=50)
    parser.add_argument("--interval", type=float, default=0.1)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--poll", type=float, default=0.25, help="interval of the polling variant")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mlgym-fleet-bench-") as tmp:
        root = Path(tmp)
        t0 = time.monotonic()
        live_paths = build(root, args.runs, args.live)
        size = sum(p.stat().st_size for p in root.glob("*/*/*/trajectory.jsonl"))
        print(f"built {args.runs} run folders ({args.live} live, {size / 1e6:.0f} MB of trajectories) "
              f"in {time.monotonic() - t0:.1f} s; load {os.getloadavg()[0]:.2f}")
        rows = []
        for poll in (None, args.poll):
            result = asyncio.run(measure(root, live_paths, poll, args.interval, args.seconds))
            rows.append(result)
        print(f"{'watcher':<10} {'first load':>10} {'refresh p50':>12} {'refresh p95':>12} {'keys p50':>9} "
              f"{'keys p95':>9} {'RSS':>8}")
        for r in rows:
            print(f"{r['mode']:<10} {r['load']:>9.2f}s {pct(r['refresh'], .5) * 1000:>10.0f}ms "
                  f"{pct(r['refresh'], .95) * 1000:>10.0f}ms {pct(r['keys'], .5) * 1000:>7.1f}ms "
                  f"{pct(r['keys'], .95) * 1000:>7.1f}ms {r['maxrss']:>6.0f}MB")
        print(f"samples: {len(rows[0]['refresh'])} / {len(rows[1]['refresh'])} row updates, "
              f"{len(rows[0]['keys'])} / {len(rows[1]['keys'])} keys (goal: refresh p95 < 500 ms, keys p95 < 50 ms, "
              f"memory < 150 MB)")
        print(f"median refresh ratio poll / inotify: "
              f"{statistics.median(rows[1]['refresh']) / max(statistics.median(rows[0]['refresh']), 1e-9):.1f}x"
              if rows[0]["refresh"] and rows[1]["refresh"] else "")


if __name__ == "__main__":
    main()

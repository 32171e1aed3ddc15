"""Step latency: one trivial ``env.step`` through the persistent shell, recording on, against starting a
fresh process per command (what per-call ``bash -c`` / ``docker exec`` designs pay).

    .venv/bin/python benchmarks/step_latency.py [--steps 500] [--backend local|docker]

Prints p50/p95 for both and the ratio. Goal (local, inside the bubblewrap sandbox): p50 step < 0.5 ms
and ≥ 20× faster than a fresh ``bash -c`` per command. Also reports an episode's start-up cost (``reset``
plus the first command, which starts the sandboxed shell) with the sandbox and without it
(``MLGYM_SANDBOX=none``). With ``--backend docker`` the baseline is a ``docker exec`` per command
(``exec_run`` in the episode's own container, as per-call exec designs do); goal: p50 step ≤ 2 ms and
≥ 25× faster (needs a daemon and the task image: ``mlgym-tui image build``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from mlgym_tui.core.env import ResearchEnv
from mlgym_tui.core.events import EventBus
from mlgym_tui.core.runtime import sandbox
from mlgym_tui.core.trajectory import TrajectoryRecorder


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


def time_env_steps(backend: str, steps: int) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        bus = EventBus()
        recorder = TrajectoryRecorder(Path(tmp) / "trajectory.jsonl", {"task": "prisonersDilemma"})
        bus.subscribe(recorder)
        env = ResearchEnv("prisonersDilemma", backend=backend, bus=bus)
        try:
            env.reset(seed=0)
            for _ in range(20):  # warm up
                env.step("echo hi")
            samples = []
            for _ in range(steps):
                start = time.perf_counter()
                env.step("echo hi")
                samples.append(time.perf_counter() - start)
                if env.steps >= env.task.limits.max_steps - 1:
                    env.steps = 0  # the benchmark measures steps, not the episode limit
        finally:
            env.close()
            recorder.close()
    return samples


def time_startups(backend: str, repeats: int) -> list[float]:
    """``reset`` + the first command (the shell starts lazily, inside its sandbox)."""
    samples = []
    env = ResearchEnv("prisonersDilemma", backend=backend)
    try:
        env.reset(seed=0)  # builds the cached venv once; not what an episode pays
        for _ in range(repeats):
            start = time.perf_counter()
            env.reset(seed=0)
            env.step("echo hi")
            samples.append(time.perf_counter() - start)
        kind = env.sandbox
    finally:
        env.close()
    print(f"  (sandbox: {kind})")
    return samples


def time_exec_per_command(steps: int) -> list[float]:
    """``exec_run`` of ``echo hi`` in an episode container, as the agent user, one call per command."""
    from mlgym_tui.core.runtime import RuntimeSettings
    from mlgym_tui.core.runtime.docker import DockerRuntime

    runtime = DockerRuntime(RuntimeSettings())
    runtime.start()
    try:
        container = runtime.container
        for _ in range(5):  # warm up
            container.exec_run(["bash", "-c", "echo hi"], user="agent")
        samples = []
        for _ in range(steps):
            start = time.perf_counter()
            code, out = container.exec_run(["bash", "-c", "echo hi"], user="agent", workdir=runtime.workspace)
            samples.append(time.perf_counter() - start)
            assert code == 0 and out == b"hi\n"
    finally:
        runtime.close()
    return samples


def time_fresh_bash(steps: int) -> list[float]:
    samples = []
    for _ in range(steps):
        start = time.perf_counter()
        subprocess.run(["bash", "-c", "echo hi"], capture_output=True, check=True)
        samples.append(time.perf_counter() - start)
    return samples


def report(label: str, samples: list[float]) -> tuple[float, float]:
    p50, p95 = percentile(samples, 0.5), percentile(samples, 0.95)
    print(
        f"{label:<42} p50 {p50 * 1000:8.3f} ms   p95 {p95 * 1000:8.3f} ms   mean {statistics.mean(samples) * 1000:8.3f} ms"
    )
    return p50, p95


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--backend", choices=["local", "docker"], default="local")
    parser.add_argument("--startups", type=int, default=10, help="episode start-ups to time (0: none)")
    args = parser.parse_args()
    if args.startups:
        report(f"episode start-up, {args.backend}", time_startups(args.backend, args.startups))
        if args.backend == "local":
            os.environ["MLGYM_SANDBOX"] = "none"
            sandbox.probe.cache_clear()
            report("episode start-up, local without sandbox", time_startups(args.backend, args.startups))
            del os.environ["MLGYM_SANDBOX"]
            sandbox.probe.cache_clear()
    ours = report(f"env.step('echo hi'), {args.backend}, recording", time_env_steps(args.backend, args.steps))
    if args.backend == "docker":
        fresh = report("`docker exec` (exec_run) per command", time_exec_per_command(args.steps))
    else:
        fresh = report("fresh `bash -c 'echo hi'` per command", time_fresh_bash(args.steps))
    print(
        f"{'ratio (per command / persistent)':<42} p50 {fresh[0] / ours[0]:8.1f}×     p95 {fresh[1] / ours[1]:8.1f}×"
    )


if __name__ == "__main__":
    main()

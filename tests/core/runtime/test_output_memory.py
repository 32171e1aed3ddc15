"""A command printing 50 MB is capped, and the process's memory stays bounded while it streams."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CODE = """
import threading, time
from mlgym_tui.core.runtime.local import LocalRuntime

def rss_kib():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))

rt = LocalRuntime(); rt.start()
before = rss_kib()
peak = [before]
done = threading.Event()
def sample():
    while not done.is_set():
        peak[0] = max(peak[0], rss_kib())
        time.sleep(0.005)
sampler = threading.Thread(target=sample); sampler.start()
chunks = []
res = rt.run("head -c 50000000 /dev/urandom | base64", timeout=120, on_output=chunks.append)
done.set(); sampler.join()
rt.close()
print(len(res.output), res.cut_bytes, sum(map(len, chunks)), before, peak[0])
"""


def test_fifty_megabytes_of_output_is_capped_and_memory_bounded() -> None:
    # A clean environment: what other tests of the same worker left in os.environ must not change the
    # memory this process measures.
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "PYTHONPATH", "MLGYM_CACHE_DIR") if key in os.environ}
    env.setdefault("PYTHONPATH", str(Path(__file__).resolve().parents[3]))
    proc = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    kept, cut, streamed, before_kib, peak_kib = map(int, proc.stdout.split())
    assert cut > 60_000_000  # base64 of 50 MB is ~67 MB
    assert kept < 110_000 and streamed < 60_000
    # What streaming 67 MB adds to the process (sampled while the command runs; holding the output
    # would add well over 67 MB). Measured as growth: the process's own start-up high-water mark varied
    # with what else ran on the machine (55 MiB alone, up to 190 MiB inside a full parallel test run).
    grown = (peak_kib - before_kib) / 1024
    assert grown < 40, f"RSS grew {grown:.0f} MiB while streaming (from {before_kib / 1024:.0f} MiB)"

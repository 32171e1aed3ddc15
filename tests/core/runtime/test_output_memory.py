"""A command printing 50 MB is capped, and the process's memory stays bounded while it streams."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CODE = """
import resource
from mlgym_tui.core.runtime.local import LocalRuntime
rt = LocalRuntime(); rt.start()
chunks = []
res = rt.run("head -c 50000000 /dev/urandom | base64", timeout=120, on_output=chunks.append)
rt.close()
print(len(res.output), res.cut_bytes, sum(map(len, chunks)), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def test_fifty_megabytes_of_output_is_capped_and_memory_bounded() -> None:
    # A clean environment: what other tests of the same worker left in os.environ must not change the
    # memory this process measures.
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "PYTHONPATH", "MLGYM_CACHE_DIR") if key in os.environ}
    env.setdefault("PYTHONPATH", str(Path(__file__).resolve().parents[3]))
    proc = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    kept, cut, streamed, max_rss_kib = map(int, proc.stdout.split())
    assert cut > 60_000_000  # base64 of 50 MB is ~67 MB
    assert kept < 110_000 and streamed < 60_000
    assert max_rss_kib < 150 * 1024, f"peak RSS {max_rss_kib / 1024:.0f} MiB"

"""Entry point of the local model server process: llama.cpp's OpenAI-compatible server via ``xllamacpp``.

It runs in its own process because ``xllamacpp.Server`` has no stop method: the parent stops it with
SIGTERM. The first line on stdout is ``LISTENING <url>`` once the model is loaded.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True, help="path to a GGUF file")
    parser.add_argument("--ctx", type=int, default=0, help="context size (0: the model's own)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)

    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = args.model
    params.port = 0  # a free port; read back from listening_address
    params.n_ctx = args.ctx
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.threads
    server = xllamacpp.Server(params)
    print(f"LISTENING {server.listening_address}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())

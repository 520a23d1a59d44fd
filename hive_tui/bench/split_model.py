"""One greedy answer with the model's offloaded layers on RPC servers, in a process of its own.

``python -m hive_tui.bench.split_model MODEL --rpc 127.0.0.1:P,... --n-gpu-layers N`` prints
one ``wire.SplitRun`` as JSON. A process per run because registering an RPC server with ggml
lasts for the life of the process: the local baseline must run where none was registered.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import msgspec

from hive_tui import wire

PROMPT = "Q: What is the capital of France?\nA:"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m hive_tui.bench.split_model")
    p.add_argument("model")
    p.add_argument("--rpc", default="", help="comma-separated host:port of RPC servers")
    p.add_argument("--n-gpu-layers", dest="n_gpu_layers", type=int, default=0)
    p.add_argument("--max-tokens", dest="max_tokens", type=int, default=32)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--prompt", default=PROMPT)
    args = p.parse_args(argv)
    servers = [s for s in args.rpc.split(",") if s]
    if servers:
        from hive_tui.backends.ggml_rpc import add_server

        for endpoint in servers:
            if not add_server(endpoint):
                print(f"the RPC server at {endpoint} does not answer", file=sys.stderr)
                return 2
    import llama_cpp

    llm = llama_cpp.Llama(
        model_path=args.model, n_gpu_layers=args.n_gpu_layers, n_threads=args.threads,
        n_threads_batch=args.threads,  # Llama would take every core for prompts
        n_ctx=512, seed=0,
        verbose=bool(os.environ.get("HIVE_SPLIT_VERBOSE")),  # llama.cpp's log, to debug
    )
    start = time.perf_counter()
    out = llm.create_completion(args.prompt, max_tokens=args.max_tokens, temperature=0.0)
    seconds = time.perf_counter() - start
    choice = out["choices"][0]  # type: ignore[index]
    usage = out["usage"]  # type: ignore[index]
    run = wire.SplitRun(choice["text"], usage["completion_tokens"], seconds, servers,
                        args.n_gpu_layers)
    print(msgspec.json.encode(run).decode(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``hive bench ...``: benchmarks that print ratios against a baseline measured in the same run."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    p = sub.add_parser("bench", help="benchmarks (ratios against a baseline in the same run)")
    kinds = p.add_subparsers(dest="bench", metavar="BENCH", required=True)
    o = kinds.add_parser("overhead", help="raw llama-cpp-python vs hive's API with one worker")
    o.add_argument("--model", help="GGUF path (default: the embedded model)")
    o.add_argument("--threads", type=int, default=1, help="threads for both paths (default 1)")
    o.add_argument("--max-tokens", type=int, default=200)
    o.add_argument("--runs", type=int, default=3)
    o.set_defaults(handler=_overhead)
    s = kinds.add_parser("swarm", help="a vote of N: raw llama-cpp-python, N processes and "
                         "hive's batched engine (tok/s, wall time, PSS, PNG chart)")
    s.add_argument("--model", help="GGUF path (default: the embedded model)")
    s.add_argument("--sizes", default="1,2,4,8", help="vote sizes N (default 1,2,4,8)")
    s.add_argument("--threads", type=int, default=1, help="threads per process (default 1)")
    s.add_argument("--max-tokens", type=int, default=128, help="tokens per sequence")
    s.add_argument("--n-gpu-layers", dest="n_gpu_layers", type=int, default=0)
    s.add_argument("--png", default="bench-swarm.png", help="chart file (needs matplotlib)")
    s.add_argument("--json", help="also write the rows as JSON here")
    s.add_argument("--runs", type=int, default=1, help="runs per path, median shown")
    s.set_defaults(handler=_swarm)
    sp = kinds.add_parser("speculative", help="tokens/s with and without drafting (one "
                          "sequence; an edit-the-code and a free-writing prompt)")
    sp.add_argument("--model", help="GGUF path (default: the embedded model)")
    sp.add_argument("--modes", default="lookup", help="drafting modes besides off (lookup,draft)")
    sp.add_argument("--draft-model", dest="draft_model", help="GGUF of the draft model")
    sp.add_argument("--draft-max", dest="draft_max", type=int, default=8)
    sp.add_argument("--threads", type=int, default=1)
    sp.add_argument("--max-tokens", type=int, default=200)
    sp.add_argument("--n-gpu-layers", dest="n_gpu_layers", type=int, default=0)
    sp.add_argument("--runs", type=int, default=3, help="interleaved runs per mode, median shown")
    sp.set_defaults(handler=_speculative)
    q = kinds.add_parser("quality", help="does the vote beat one sample? (docs/quality.md)")
    q.add_argument("--quick", action="store_true", help="fewer questions: under 5 minutes")
    q.add_argument("--out", type=Path, default=Path("hive-bench-quality"), help="output folder")
    q.add_argument("--answers", type=Path, help="score a stored answers.json, generate nothing")
    q.add_argument("--model", help="GGUF path (default: the embedded model)")
    q.add_argument("--backend", default="llama", help=argparse.SUPPRESS)
    q.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    q.add_argument("--threads", type=int, default=1, help="threads per worker (default 1)")
    q.add_argument("--questions", type=int,
                   help="questions per task (default: 3 with --quick, else 30)")
    q.add_argument("--samples", type=int, help="sampled answers per question (default 8)")
    q.add_argument("--seed", type=int, default=0)
    q.add_argument("--full-length", dest="full_length", type=int,
                   help="finish the answers cut off at the benchmark's 48 tokens at this limit "
                   "before measuring early exit (default: the node's 512; 0 with --quick; "
                   "0 = do not)")
    q.set_defaults(handler=_quality)
    lo = kinds.add_parser("load", help="C concurrent clients against one node vs one after "
                          "another (continuous batching; docs/performance.md)")
    lo.add_argument("--workers", type=int, help="workers (default: the plan's)")
    lo.add_argument("--model", help="GGUF path (default: the plan's)")
    lo.add_argument("--slots", type=int, help="workers per process (default: the plan's)")
    lo.add_argument("--threads", type=int, help="threads per process (default: the plan's)")
    lo.add_argument("--no-ceiling", dest="ceiling", action="store_false",
                    help="skip the raw batched-decode measure printed first")
    lo.add_argument("--concurrent-votes", dest="concurrent", type=int,
                    help="votes per worker at once (default: the plan's)")
    lo.add_argument("--requests", type=int, default=8, help="requests per round (default 8)")
    lo.add_argument("--max-tokens", type=int, default=48, help="tokens per answer (default 48)")
    lo.add_argument("--clients", default="1,2,4,8,16", help="concurrent clients per round")
    lo.add_argument("--compare-off", action="store_true",
                    help="first the same rounds on a node serving one vote per worker")
    lo.set_defaults(handler=_load)
    c = kinds.add_parser("context", help="facts planted early in long conversations and "
                         "documents: compress vs truncate vs a context that holds it all")
    c.add_argument("--model", help="GGUF path (default: the embedded model)")
    c.add_argument("--n-ctx", dest="n_ctx", type=int, default=512,
                   help="the small context (default 512)")
    c.add_argument("--ratio", type=float, default=4.0, help="case length / context (default 4)")
    c.add_argument("--conversations", type=int, default=8, help="long conversations (default 8)")
    c.add_argument("--documents", type=int, default=4, help="long pasted notes (default 4)")
    c.add_argument("--workers", type=int, default=2, help="workers (default 2)")
    c.add_argument("--threads", type=int, default=1, help="threads per worker (default 1)")
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--json", type=Path, help="also write every answer as JSON here")
    c.set_defaults(handler=_context)
    pf = kinds.add_parser("prefix", help="a long conversation's next turn with and without "
                          "the prompt cache: time to first token (docs/performance.md)")
    pf.add_argument("--workers", type=int, default=2, help="workers (default 2)")
    pf.add_argument("--n-ctx", dest="n_ctx", type=int, default=2048)
    pf.add_argument("--runs", type=int, default=4, help="conversations (default 4)")
    pf.add_argument("--history", type=int, default=1500,
                    help="tokens of earlier turns (default 1500)")
    pf.add_argument("--max-tokens", dest="max_tokens", type=int, default=16)
    pf.set_defaults(handler=_prefix)
    r = kinds.add_parser("rag", help="answers from a knowledge base of invented facts, with "
                         "and without retrieval; recall@k; indexing time (docs/retrieval.md)")
    r.add_argument("--embedding-model", dest="embedding_model",
                   help="GGUF to embed with (default: as hive index add)")
    r.add_argument("--workers", type=int, default=2, help="workers voting (default 2)")
    r.add_argument("--threads", type=int, default=1, help="threads per process (default 1)")
    r.add_argument("--max-tokens", type=int, default=40)
    r.add_argument("--seed", type=int, default=1)
    r.add_argument("--index-files", type=int, default=0,
                   help="also time indexing this many generated small files (e.g. 1000)")
    r.add_argument("--json", type=Path, help="write the full report (every answer) here")
    r.set_defaults(handler=_rag)
    sl = kinds.add_parser("split", help="the embedded model's tokens/s here, split over raw "
                          "RPC and through the tunnel; then the tunnel vs loopback TCP "
                          "(docs/federation.md)")
    sl.add_argument("--tokens", type=int, default=128, help="greedy tokens per model run")
    sl.add_argument("--no-model", dest="model", action="store_false",
                    help="only the transport measures (no llama.cpp RPC build needed)")
    sl.add_argument("--sizes", default="64,4096,65536", help="round-trip message bytes")
    sl.add_argument("--count", type=int, default=500, help="round trips per measure")
    sl.add_argument("--upload-mib", dest="upload_mib", type=int, default=64)
    sl.add_argument("--runs", type=int, default=3, help="interleaved runs, median shown")
    sl.set_defaults(handler=_split)


def _overhead(args: argparse.Namespace) -> int:
    from hive_tui.bench.overhead import run

    return run(args.model, args.threads, args.max_tokens, args.runs)


def _swarm(args: argparse.Namespace) -> int:
    from hive_tui.bench.swarm import run

    sizes = [int(n) for n in args.sizes.split(",") if n.strip()]
    return run(args.model, sizes, args.max_tokens, args.threads, args.n_gpu_layers, args.png,
               args.json, args.runs)


def _speculative(args: argparse.Namespace) -> int:
    from hive_tui.bench.speculative import run

    modes = [m.strip() for m in args.modes.split(",") if m.strip() and m.strip() != "off"]
    return run(args.model, modes, args.max_tokens, args.threads, args.n_gpu_layers,
               args.draft_max, args.draft_model, args.runs)


def _quality(args: argparse.Namespace) -> int:
    from hive_tui.bench.quality.run import run

    return run(
        quick=args.quick,
        out=args.out,
        answers=args.answers,
        model=args.model,
        backend=args.backend,
        workers=args.workers,
        threads=args.threads,
        per_task=args.questions,
        k=args.samples,
        seed=args.seed,
        full_length=args.full_length,
    )


def _load(args: argparse.Namespace) -> int:
    from hive_tui.bench.load import run

    clients = tuple(int(c) for c in args.clients.split(",") if c.strip())
    return run(args.workers, args.concurrent, args.requests, args.max_tokens, args.compare_off,
               clients, args.model, args.ceiling,
               {k: v for k in ("slots", "threads") if (v := getattr(args, k)) is not None})


def _context(args: argparse.Namespace) -> int:
    from hive_tui.bench.context import run

    return run(args.model, args.n_ctx, args.ratio, args.conversations, args.documents,
               args.workers, args.threads, args.seed, args.json)


def _prefix(args: argparse.Namespace) -> int:
    from hive_tui.bench.prefix import run

    return run(args.workers, args.n_ctx, args.runs, args.history, args.max_tokens)


def _rag(args: argparse.Namespace) -> int:
    from hive_tui.bench.rag.run import run

    return run(args.embedding_model, args.workers, args.threads, args.max_tokens, args.seed,
               args.index_files, args.json)


def _split(args: argparse.Namespace) -> int:
    from hive_tui.bench.split import run

    if args.model:
        from hive_tui.backends.ggml_rpc import rpc_available
        from hive_tui.bench.split import cpu_name
        from hive_tui.bench.split_tokens import run as run_model

        if not rpc_available():
            print("this llama-cpp-python has no RPC backend: ./install.sh rebuilds it")
            return 1
        print(f"CPU: {cpu_name()}")
        run_model(args.runs, args.tokens)
        print()
    sizes = [int(n) for n in args.sizes.split(",") if n.strip()]
    return run(sizes, args.count, args.upload_mib, args.runs)

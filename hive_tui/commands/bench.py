"""``hive bench ...``: benchmarks that print ratios against a baseline measured in the same run."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("bench", help="benchmarks (ratios against a baseline in the same run)")
    kinds = p.add_subparsers(dest="bench", metavar="BENCH", required=True)
    o = kinds.add_parser("overhead", help="raw llama-cpp-python vs hive's API with one worker")
    o.add_argument("--model", help="GGUF path (default: the embedded model)")
    o.add_argument("--threads", type=int, default=1, help="threads for both paths (default 1)")
    o.add_argument("--max-tokens", type=int, default=200)
    o.add_argument("--runs", type=int, default=3)
    o.set_defaults(handler=_overhead)


def _overhead(args: argparse.Namespace) -> int:
    from hive_tui.bench.overhead import run

    return run(args.model, args.threads, args.max_tokens, args.runs)

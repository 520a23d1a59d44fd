"""The `hive` command line.

``hive`` opens the terminal app, ``hive --node`` serves the API headless, and subcommands do
one thing each. Every subcommand lives in its own module under ``hive_tui.commands`` and
exposes ``register(subparsers, common)``; this file assembles them and dispatches.
Settings: defaults < config file < HIVE_* environment < flags (see ``hive_tui.config``).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any

from hive_tui.config import ConfigError, Settings, config_path, load_settings
from hive_tui.errors import HiveError

# Modules under hive_tui.commands, each adding one subcommand.
COMMAND_MODULES: list[str] = ["ask", "bench", "doctor", "hardware", "index", "models", "peers"]


def common_flags() -> argparse.ArgumentParser:
    """Flags shared by the node, the app and one-shot commands."""
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("swarm")
    g.add_argument("--workers", type=int, help="number of workers (default: the hardware plan)")
    g.add_argument("--model", help="GGUF path or model name (default: the embedded SmolLM2-135M)")
    g.add_argument(
        "--strategy",
        help="consensus strategy: confidence, similarity, quality, fastest, "
        "majority (default: confidence; see docs/quality.md)",
    )
    g.add_argument(
        "--backend",
        help="worker backend: llama (default), mlx, scripted (tests), "
        "or one per worker for a mixed swarm, e.g. llama,llama,mlx",
    )
    g.add_argument("--threads", type=int, help="threads per worker (default: from free cores)")
    g.add_argument("--slots", type=int, help="most workers one process serves as batched "
                   "sequence slots, sharing one copy of the weights (default: the plan's, "
                   "at most 16; 1: a process per worker)")
    g.add_argument("--n-ctx", dest="n_ctx", type=int, help="context length per worker")
    g.add_argument("--context", choices=("error", "truncate", "compress"),
                   help="a prompt over the context: error (the API's default), truncate the "
                   "oldest turns, or compress them (the app's default); README")
    g.add_argument("--models-dir", dest="models_dir",
                   help="a folder of GGUF files: --model NAME and the plan look there first")
    g.add_argument("--n-gpu-layers", dest="n_gpu_layers", type=int, help="layers offloaded to GPU")
    g.add_argument("--speculative", choices=("off", "lookup", "draft"),
                   help="speculative decoding in one-sequence llama workers: prompt-lookup "
                   "(n-gram) drafts or a small draft model (default off)")
    g.add_argument("--draft-max", dest="draft_max", type=int, help="tokens drafted per step")
    g.add_argument("--draft-model", dest="draft_model",
                   help="GGUF of a small model with the same vocabulary (implies --speculative "
                   "draft)")
    return p


def build_parser() -> argparse.ArgumentParser:
    common = common_flags()
    parser = argparse.ArgumentParser(
        prog="hive",
        parents=[common],
        description="A local LLM swarm: several workers answer, a vote picks the best answer. "
        "Without a command, opens the terminal app.",
        epilog=f"Settings file: {config_path()} (TOML; any key of the settings). "
        "Environment: HIVE_<SETTING>, e.g. HIVE_PORT=8420. Flags win over both.",
    )
    node = parser.add_argument_group("node")
    node.add_argument(
        "--node",
        action="store_true",
        help="run headless: the OpenAI-compatible API (and federation), no UI",
    )
    node.add_argument("--host", help="address to bind (default 127.0.0.1)")
    node.add_argument("--port", type=int, help="port to bind (default 8420; 0 picks a free one)")
    node.add_argument("--ollama-port", dest="ollama_port", type=int, metavar="PORT",
                      help="serve the same API on this port too, for Ollama clients "
                      "(Ollama's is 11434; 0 picks a free one). Its routes are on --port too")
    node.add_argument(
        "--data-dir",
        dest="data_dir",
        metavar="DIR",
        help="data folder: node id, conversations, log (default: the platform's user data "
        "folder; HIVE_DATA_DIR). Several nodes on one machine need one each",
    )
    node.add_argument("--web", action="store_true",
                      help="serve the app to a browser on --host/--port (default "
                      "127.0.0.1:8000; beyond this machine only with an API key)")
    node.add_argument("--embedding-model", dest="embedding_model", metavar="GGUF",
                      help="the model /v1/embeddings answers with (default: an embedding GGUF "
                      "of `hive models`, else the chat model's GGUF, else the embedded one)")
    node.add_argument("--connect", metavar="URL",
                      help="open the app on a running node (hive --node), not an embedded one")
    fed = parser.add_argument_group("federation")
    fed.add_argument(
        "--peer",
        dest="peers",
        action="append",
        metavar="HOST:PORT",
        help="a node to federate with (repeatable; for networks without mDNS)",
    )
    fed.add_argument(
        "--secret",
        help="the hive's shared secret / pairing code "
        "(default: HIVE_SECRET, the config, or this machine's, made by its first node)",
    )
    fed.add_argument(
        "--no-federation",
        dest="federation",
        action="store_const",
        const=False,
        help="do not federate: no mDNS, no peers",
    )
    fed.add_argument(
        "--lend",
        action="store_const",
        const=True,
        help="lend this machine's memory to the hive: a ggml RPC server peers reach only "
        "through the authenticated tunnel",
    )
    fed.add_argument("--lend-port", dest="lend_port", type=int, metavar="PORT",
                     help="the lending tunnel's port (default: any free one, advertised)")
    fed.add_argument(
        "--split",
        metavar="auto|off|PEER,...",
        help="split the model across lenders: auto (when it does not fit here; default), "
        "off, or the lenders' names or node ids",
    )
    node.add_argument(
        "--api-key",
        dest="api_key",
        help="require 'Authorization: Bearer KEY' (needed to bind beyond 127.0.0.1; "
        "HIVE_API_KEY keeps it out of the process list)",
    )
    node.add_argument(
        "--max-queue", dest="max_queue", type=int, help="chat requests admitted at once (64)"
    )
    from hive_tui.commands.ask_tools import add_flags as add_tool_flags

    add_tool_flags(parser, assume_yes=False)  # the app's built-in tools (--tools, --workdir)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"hive_tui.commands.{name}").register(sub, common)
    return parser


SETTING_FLAGS = (
    "host", "port", "ollama_port", "workers", "model", "strategy", "backend", "threads", "n_ctx",
    "n_gpu_layers", "peers", "secret", "federation", "api_key", "max_queue", "slots",
    "models_dir", "data_dir", "context", "speculative", "draft_max", "draft_model",
    "lend", "lend_port", "split",
    "embedding_model",
)  # fmt: skip


def settings_from(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {k: getattr(args, k, None) for k in SETTING_FLAGS}
    if overrides["draft_model"] and overrides["speculative"] is None:
        overrides["speculative"] = "draft"
    return load_settings(overrides)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        handler = getattr(args, "handler", None)
        if handler is not None:
            return int(handler(args) or 0)
        settings = settings_from(args)
        if args.web:
            from hive_tui.commands.web import run_web

            return run_web(settings, sys.argv[1:] if argv is None else argv, args.host,
                           args.port)
        if args.node:
            from hive_tui.serve import run_node

            return run_node(settings)
        from hive_tui.commands.app import run_app, tool_settings

        return run_app(settings, args.connect, tool_settings(args, settings))
    except HiveError as exc:  # a message for the user, one line, no traceback
        print(f"hive: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, ConfigError) else 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

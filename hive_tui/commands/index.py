"""``hive index add|list|rm``: the knowledge bases ``hive ask --kb`` and the API ground on."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    p = sub.add_parser("index", help="local knowledge bases of your files (retrieval)")
    actions = p.add_subparsers(dest="index_action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="index files or folders (unchanged files are skipped)")
    add.add_argument("paths", nargs="+", type=Path, metavar="DIR|FILE")
    add.add_argument("--name", default="default", help="knowledge base (default: default)")
    share = add.add_mutually_exclusive_group()
    share.add_argument("--shared", dest="shared", action="store_const", const=True,
                       help="peers' requests may read this knowledge base")
    share.add_argument("--private", dest="shared", action="store_const", const=False,
                       help="only this node's own requests read it (the default)")
    add.add_argument("--embedding-model", dest="embedding_model",
                     help="GGUF to embed with when the base is new (default: an embedding "
                     "model from `hive models`, else the embedded SmolLM2)")
    add.add_argument("--threads", type=int, default=1, help="embedding threads (default 1)")
    add.add_argument("--data-dir", dest="data_dir", help="data folder (default: the setting)")
    add.set_defaults(handler=add_command)
    ls = actions.add_parser("list", help="the knowledge bases here")
    ls.add_argument("--data-dir", dest="data_dir")
    ls.set_defaults(handler=list_command)
    rm = actions.add_parser("rm", help="delete a knowledge base")
    rm.add_argument("name")
    rm.add_argument("--data-dir", dest="data_dir")
    rm.set_defaults(handler=rm_command)


def _data_dir(args: argparse.Namespace) -> Path:
    from hive_tui.config import data_dir, load_settings

    return data_dir(args.data_dir or load_settings().data_dir)


def add_command(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from hive_tui.retrieval.embedder import (
        LazyEmbedder,
        find_embedding_model,
        is_embedding_model,
    )
    from hive_tui.retrieval.indexer import index_paths
    from hive_tui.retrieval.library import open_kb

    store = open_kb(_data_dir(args), args.name, create=True)
    try:
        model = store.get_meta("model") or str(args.embedding_model or find_embedding_model())
        if args.shared is not None:
            store.set_meta("shared", "1" if args.shared else "0")
        started = time.perf_counter()
        with LazyEmbedder(model, n_threads=args.threads) as embedder:
            if not store.get_meta("model"):
                store.set_meta("model", model)
                store.set_meta("model_kind", "embedding" if is_embedding_model(model) else "chat")
            console = Console(stderr=True)
            columns = (TextColumn("indexing"), BarColumn(), MofNCompleteColumn(),
                       TextColumn("{task.fields[file]}"))
            with Progress(*columns, console=console, transient=True) as bar:
                task = bar.add_task("index", total=None, file="")

                def progress(done: int, total: int, path: str) -> None:
                    bar.update(task, completed=done, total=total, file=Path(path).name)

                report = index_paths(store, args.paths, embedder, progress)
            files, chunks = store.counts()
        took = time.perf_counter() - started
        shared = "shared" if store.get_meta("shared") == "1" else "private"
    finally:
        store.close()
    for error in report.errors:
        print(f"hive: skipped {error}", file=sys.stderr)
    print(
        f"{args.name} ({shared}): {len(report.added)} indexed, {report.unchanged} unchanged, "
        f"{len(report.removed)} removed; {files} files, {chunks} passages in all "
        f"({took:.1f} s; embedding {embedder.tokens} tokens in {embedder.seconds:.1f} s "
        f"with {Path(model).name})"
    )
    return 0


def list_command(args: argparse.Namespace) -> int:
    from hive_tui.retrieval.library import list_kbs

    kbs = list_kbs(_data_dir(args))
    if not kbs:
        print("no knowledge bases yet: hive index add DIR --name NAME")
    for kb in kbs:
        shared = "shared" if kb.shared else "private"
        print(f"{kb.name}\t{shared}\t{kb.files} files\t{kb.chunks} passages\t{kb.model}")
    return 0


def rm_command(args: argparse.Namespace) -> int:
    from hive_tui.retrieval.library import remove_kb

    remove_kb(_data_dir(args), args.name)
    print(f"removed {args.name}")
    return 0

"""``hive models [--json]`` lists the GGUF files found here.

``hive models pull REPO FILE`` fetches one from a Hugging Face-style hub.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import msgspec

GiB = 1024**3


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = subparsers.add_parser("models", help="list local GGUF models, or pull one")
    parser.add_argument("--json", action="store_true", help="print the catalogue as JSON")
    parser.add_argument("--models-dir", type=Path,
                        help="also look for GGUF files here (default: the models_dir setting)")
    parser.set_defaults(handler=list_models)
    actions = parser.add_subparsers(dest="models_action", metavar="ACTION")
    pull = actions.add_parser("pull", help="download a GGUF from a Hugging Face-style hub")
    pull.add_argument("repo", help="repository id, e.g. bartowski/Qwen2.5-7B-Instruct-GGUF")
    pull.add_argument("file", help="file name inside the repository")
    pull.add_argument("--revision", default="main")
    pull.add_argument("--endpoint", help="hub URL (default: $HF_ENDPOINT or huggingface.co)")
    pull.set_defaults(handler=pull_command)


def list_models(args: argparse.Namespace) -> int:
    from hive_tui.models.catalog import build_catalog, models_dir

    catalog = build_catalog(models_dir=models_dir(args))
    if args.json:
        sys.stdout.buffer.write(msgspec.json.encode(catalog) + b"\n")
        return 0
    if not catalog.models:
        print("No GGUF models found.")
    for model in catalog.models:
        print(
            f"{model.name}  [{model.source}] {model.architecture or '?'} "
            f"{model.size_label or '?'} {model.quantisation or '?'} "
            f"ctx {model.context_length or '?'}  {model.file_size_bytes / GiB:.2f} GiB\n"
            f"    {model.path}"
        )
    print("Searched: " + ", ".join(catalog.searched))
    for problem in catalog.problems:
        print(f"  ! {problem}")
    return 0


def pull_command(args: argparse.Namespace) -> int:
    from hive_tui.models.pull import pull_model

    try:
        path = pull_model(args.repo, args.file, revision=args.revision, endpoint=args.endpoint)
    except Exception as exc:  # network, 404, disk full: one line, not a traceback
        print(f"hive models pull: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0

"""mlx-lm model folders already on disk, for the catalogue; imports neither mlx nor mlx-lm.

Two places are searched: the Hugging Face hub cache (``models--ORG--NAME/snapshots/REV/``, where
``mlx_lm.load`` and ``huggingface-cli download`` put models) and hive's own cache of GGUF files
converted for MLX. A folder counts when it holds ``config.json`` with a ``model_type``, at least
one ``model*.safetensors`` and a tokenizer, which is what ``mlx_lm.load`` needs. Whether mlx-lm
supports that architecture is only known once it tries; ``quantization`` tells MLX-native
exports (mlx-community and friends) from plain Hugging Face checkpoints.
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "tokenizer_config.json")


@dataclass(frozen=True)
class MlxModelFolder:
    name: str  # "ORG/NAME" for the hub cache, the folder name otherwise
    path: Path
    model_type: str
    size_bytes: int  # of the weight files
    quantization_bits: int | None  # None: not an MLX-quantised export
    revision: str | None = None  # hub snapshot, when from the hub cache


def mlx_installed() -> bool:
    """mlx and mlx-lm importable here (checked without importing them: that takes seconds)."""
    try:
        return all(importlib.util.find_spec(m) is not None for m in ("mlx.core", "mlx_lm"))
    except (ImportError, ValueError):  # a parent package that is missing or blocked
        return False


def hub_cache_dir() -> Path:
    """Where huggingface_hub keeps models, following its own environment variables."""
    if cache := os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE"):
        return Path(cache).expanduser()
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "huggingface"
    )
    return Path(home).expanduser() / "hub"


def default_roots() -> list[Path]:
    from hive_tui.backends.mlx_convert import mlx_cache_dir

    return [hub_cache_dir(), mlx_cache_dir()]


def find_mlx_models(roots: Iterable[Path] | None = None) -> list[MlxModelFolder]:
    """Every loadable mlx-lm folder under ``roots`` (default: the hub cache and hive's own)."""
    found: list[MlxModelFolder] = []
    for root in default_roots() if roots is None else roots:
        root = Path(root).expanduser()
        if not root.is_dir():
            continue
        for child in sorted(root.iterdir()):
            if child.name.startswith("."):  # a conversion still being written
                continue
            if child.name.startswith("models--"):
                found.extend(_hub_snapshots(child))
            elif (model := describe_folder(child)) is not None:
                found.append(model)
    return found


def describe_folder(
    folder: Path, name: str | None = None, revision: str | None = None
) -> MlxModelFolder | None:
    """An ``MlxModelFolder`` when ``folder`` looks loadable by mlx-lm, else None."""
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    weights = sorted(folder.glob("model*.safetensors"))
    if not isinstance(config, dict) or "model_type" not in config or not weights:
        return None
    if not any((folder / f).is_file() for f in TOKENIZER_FILES):
        return None
    quantization = config.get("quantization")
    bits = quantization.get("bits") if isinstance(quantization, dict) else None
    return MlxModelFolder(
        name=name or folder.name,
        path=folder,
        model_type=str(config["model_type"]),
        # The hub cache links snapshot files to blobs: stat follows the link to the real size.
        size_bytes=sum(w.stat().st_size for w in weights),
        quantization_bits=bits if isinstance(bits, int) else None,
        revision=revision,
    )


def display_name(folder: Path) -> str:
    """"ORG/NAME" for a hub snapshot folder (its own name is a commit hash), else its name."""
    if folder.parent.name == "snapshots" and folder.parent.parent.name.startswith("models--"):
        return _repo_id(folder.parent.parent)
    return folder.name


def _repo_id(repo_dir: Path) -> str:
    return repo_dir.name.removeprefix("models--").replace("--", "/", 1)  # models--ORG--NAME


def _hub_snapshots(repo_dir: Path) -> list[MlxModelFolder]:
    repo_id = _repo_id(repo_dir)
    snapshots = repo_dir / "snapshots"
    if not snapshots.is_dir():
        return []
    # Prefer the revision refs/main points at; otherwise list every complete snapshot.
    main = repo_dir / "refs" / "main"
    revisions = [main.read_text().strip()] if main.is_file() else []
    if not revisions or not (snapshots / revisions[0]).is_dir():
        revisions = sorted(p.name for p in snapshots.iterdir())
    found = []
    for revision in revisions:
        if (model := describe_folder(snapshots / revision, repo_id, revision)) is not None:
            found.append(model)
    return found

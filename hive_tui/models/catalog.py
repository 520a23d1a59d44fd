"""The catalogue: every GGUF here that llama.cpp could load, described from its own header."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from hive_tui.errors import HiveError
from hive_tui.models.gguf_meta import NotAModel, describe_gguf, shard_info
from hive_tui.models.ollama import ollama_models
from hive_tui.wire import ModelCatalog, ModelFile


def _cache_home(env: Mapping[str, str], home: Path) -> Path:
    return Path(env["XDG_CACHE_HOME"]) if env.get("XDG_CACHE_HOME") else home / ".cache"


def huggingface_hub_cache(env: Mapping[str, str], home: Path) -> Path:
    # Same precedence as huggingface_hub: HF_HUB_CACHE, then HF_HOME/hub, then the XDG cache.
    if env.get("HF_HUB_CACHE"):
        return Path(env["HF_HUB_CACHE"]).expanduser()
    if env.get("HF_HOME"):
        return Path(env["HF_HOME"]).expanduser() / "hub"
    return _cache_home(env, home) / "huggingface" / "hub"


def gguf_folders(
    env: Mapping[str, str], home: Path, platform: str = sys.platform
) -> list[tuple[str, Path]]:
    """Plain folders of .gguf files, by source name (Hugging Face and Ollama are handled apart)."""
    llama_cache = (
        Path(env["LLAMA_CACHE"]).expanduser()
        if env.get("LLAMA_CACHE")
        else _cache_home(env, home) / "llama.cpp"
    )
    folders = [
        ("lmstudio", home / ".lmstudio" / "models"),
        ("lmstudio", _cache_home(env, home) / "lm-studio" / "models"),
        ("llama.cpp", llama_cache),
    ]
    if platform == "darwin":  # where llama.cpp caches downloads on macOS
        folders.append(("llama.cpp", home / "Library" / "Caches" / "llama.cpp"))
    return folders


def models_dir(args: object) -> str | Path | None:
    """A command's --models-dir, else the ``models_dir`` setting (config file, HIVE_MODELS_DIR)."""
    given: str | Path | None = getattr(args, "models_dir", None)
    if given:
        return given
    from hive_tui.config import load_settings

    return load_settings().models_dir or None


class ModelNotFound(HiveError, LookupError):
    """A --model value that is neither a file nor one model of the catalogue."""


def find_model(catalog: ModelCatalog, wanted: str) -> ModelFile:
    """The catalogue's model called ``wanted``: its exact name, else its name or file name
    without letter case, else the one name that starts with it (as `hive models` prints them)."""
    low = wanted.casefold()
    rules: list[Callable[[ModelFile], bool]] = [
        lambda m: m.name == wanted,
        lambda m: low in (m.name.casefold(), Path(m.path).name.casefold(),
                          Path(m.path).stem.casefold()),
        lambda m: m.name.casefold().startswith(low),
    ]
    for rule in rules:
        hits = [m for m in catalog.models if rule(m)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            names = ", ".join(m.name for m in hits)
            raise ModelNotFound(f"model {wanted!r} could be any of: {names}")
    raise ModelNotFound(
        f"model {wanted!r} is neither a file nor a model `hive models` lists"
    )


def ollama_root(env: Mapping[str, str], home: Path) -> Path:
    return (
        Path(env["OLLAMA_MODELS"]).expanduser()
        if env.get("OLLAMA_MODELS")
        else home / ".ollama" / "models"
    )


def _ggufs(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*.gguf")):
        shard = shard_info(path)
        if shard is None or shard[0] == 1:  # list a split model once, by its first shard
            yield path


def _huggingface_files(hub: Path) -> Iterator[tuple[str, Path]]:
    # hub/models--ORG--NAME/snapshots/<commit>/<file>.gguf (a symlink into ../../blobs)
    for repo_dir in sorted(hub.glob("models--*")):
        repo = repo_dir.name.removeprefix("models--").replace("--", "/")
        snapshots = repo_dir / "snapshots"
        if snapshots.is_dir():
            for path in _ggufs(snapshots):
                yield f"{repo}/{path.name}", path


def build_catalog(
    models_dir: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
    include_embedded: bool = True,
) -> ModelCatalog:
    env = os.environ if env is None else env
    home = Path.home() if home is None else home
    candidates: list[tuple[str, str | None, Path]] = []  # (source, name, path)
    searched: list[str] = []
    problems: list[str] = []

    if include_embedded:
        from hive_tui.embedded_model import (
            EMBEDDED_MODEL_NAME,
            EmbeddedModelMissing,
            embedded_model_path,
        )

        try:
            candidates.append(("embedded", EMBEDDED_MODEL_NAME, embedded_model_path()))
        except EmbeddedModelMissing as exc:
            problems.append(f"embedded model: {exc}")

    hub = huggingface_hub_cache(env, home)
    searched.append(str(hub))
    if hub.is_dir():
        candidates += [("huggingface", name, path) for name, path in _huggingface_files(hub)]

    folders = gguf_folders(env, home)
    if models_dir is not None:
        folders.insert(0, ("models_dir", Path(models_dir).expanduser()))
    for source, folder in folders:
        searched.append(str(folder))
        if folder.is_dir():
            candidates += [(source, None, path) for path in _ggufs(folder)]

    root = ollama_root(env, home)
    searched.append(str(root))
    found, ollama_problems = ollama_models(root)
    candidates += [("ollama", name, path) for name, path in found]
    problems += ollama_problems

    models: list[ModelFile] = []
    seen: set[Path] = set()
    for source, name, path in candidates:
        real = path.resolve()
        if real in seen:  # the same blob reached twice (symlinks, two caches)
            continue
        seen.add(real)
        try:
            models.append(describe_gguf(path, source=source, name=name))
        except NotAModel:
            continue
        except Exception as exc:  # truncated download, not a GGUF at all, unknown version
            problems.append(f"{path}: {type(exc).__name__}: {exc}")
    return ModelCatalog(models=models, searched=searched, problems=problems)

"""Ollama keeps GGUF files as content-addressed blobs; its manifests say which blob is the model.

~/.ollama/models/manifests/registry.ollama.ai/library/llama3.2/3b   (JSON)
  layers[] -> {"mediaType": "application/vnd.ollama.image.model", "digest": "sha256:<hex>"}
~/.ollama/models/blobs/sha256-<hex>                                  (the GGUF)
"""

from __future__ import annotations

import json
import re
from pathlib import Path

MODEL_MEDIA_TYPE = "application/vnd.ollama.image.model"
_DIGEST = re.compile(r"^sha256:([0-9a-f]{64})$")


def model_blob_digest(manifest_text: str) -> str:
    """The hex digest of the model layer; ValueError if the manifest has none."""
    try:
        manifest = json.loads(manifest_text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"manifest is not JSON: {exc}") from exc
    layers = manifest.get("layers") if isinstance(manifest, dict) else None
    if not isinstance(layers, list):
        raise ValueError("manifest has no layers list")
    for layer in layers:
        if isinstance(layer, dict) and layer.get("mediaType") == MODEL_MEDIA_TYPE:
            match = _DIGEST.match(str(layer.get("digest", "")))
            if match:
                return match[1]
            raise ValueError(f"model layer has a malformed digest {layer.get('digest')!r}")
    raise ValueError("manifest has no model layer")


def model_display_name(manifests_root: Path, manifest: Path) -> str:
    """registry.ollama.ai/library/llama3.2/3b -> "llama3.2:3b"; other namespaces keep their path."""
    parts = manifest.relative_to(manifests_root).parts
    if len(parts) < 2:
        return manifest.name
    *repo, tag = parts
    if repo[:2] == ["registry.ollama.ai", "library"]:
        repo = repo[2:]
    return f"{'/'.join(repo)}:{tag}"


def ollama_models(models_root: Path) -> tuple[list[tuple[str, Path]], list[str]]:
    """(name, blob path) for every manifest whose model blob exists, plus problems found."""
    manifests_root = models_root / "manifests"
    found: list[tuple[str, Path]] = []
    problems: list[str] = []
    if not manifests_root.is_dir():
        return found, problems
    for manifest in sorted(p for p in manifests_root.rglob("*") if p.is_file()):
        try:
            digest = model_blob_digest(manifest.read_text(errors="replace"))
        except (OSError, ValueError) as exc:
            problems.append(f"{manifest}: {exc}")
            continue
        blob = models_root / "blobs" / f"sha256-{digest}"
        if not blob.is_file():
            problems.append(f"{manifest}: blob {blob.name} is missing")
            continue
        found.append((model_display_name(manifests_root, manifest), blob))
    return found, problems

"""What the Ollama API says about the node's model: ``/api/tags``, ``/api/show``, ``/api/ps``.

A node serves one model under two names, as ``/v1/models`` does: ``hive`` (the swarm's vote)
and the model file's own name; Ollama names carry a tag, so both are listed as ``:latest``
and asked for with or without it. Both answer with the same vote. The details (family,
parameter size, quantisation, context) come from the GGUF's own header, read once.
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from hive_tui.api import ollama_schemas as o
from hive_tui.models.gguf_meta import describe_gguf
from hive_tui.node import Node
from hive_tui.node_plan import NodePlan
from hive_tui.wire import ModelFile

HIVE_MODEL = "hive"
TAG = ":latest"
# The Ollama release whose API these routes follow: clients read /api/version to decide
# what a server understands (hive's own version is in /health and /openapi.json).
OLLAMA_API_VERSION = "0.12.0"
# /api/ps's expires_at: the workers stay loaded for as long as the node runs.
NEVER = "2999-01-01T00:00:00Z"


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def canonical(name: str) -> str:
    return name if ":" in name else name + TAG


def model_names(plan: NodePlan) -> list[str]:
    names = [canonical(HIVE_MODEL), canonical(plan.model_name)]
    return list(dict.fromkeys(names))  # the model file may be called hive too


def is_served(plan: NodePlan, name: str) -> bool:
    return canonical(name.strip()) in model_names(plan)


@cache
def _described(path: str) -> ModelFile | None:
    try:
        return describe_gguf(Path(path), "node")
    except (OSError, ValueError):  # a scripted backend's script, an MLX folder
        return None


def _digest(path: str) -> str:
    """Stands for Ollama's blob digest: stable for one file, without hashing gigabytes."""
    try:
        stat = os.stat(path)
        key = f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}"
    except OSError:
        key = path
    return hashlib.sha256(key.encode()).hexdigest()


def _modified(path: str) -> str:
    try:
        stamp = os.stat(path).st_mtime
    except OSError:
        return now()
    return datetime.fromtimestamp(stamp, UTC).isoformat().replace("+00:00", "Z")


def details(plan: NodePlan) -> o.ModelDetails:
    found = _described(plan.model_path)
    if found is None:
        return o.ModelDetails(format="", family=plan.backend, families=[plan.backend])
    family = found.architecture or ""
    return o.ModelDetails(
        family=family,
        families=[family] if family else [],
        parameter_size=found.size_label or "",
        quantization_level=found.quantisation or "",
    )


def _size(plan: NodePlan) -> int:
    found = _described(plan.model_path)
    return found.file_size_bytes if found is not None else 0


def tags(plan: NodePlan) -> o.OllamaTags:
    listed = [
        o.OllamaModel(
            name=name,
            model=name,
            modified_at=_modified(plan.model_path),
            size=_size(plan),
            digest=_digest(plan.model_path),
            details=details(plan),
        )
        for name in model_names(plan)
    ]
    return o.OllamaTags(listed)


def processes(node: Node) -> o.OllamaProcesses:
    """The model is loaded once per worker process (on the GPU when layers are offloaded)."""
    plan = node.plan
    loaded = _size(plan) * len(plan.processes())
    vram = loaded if plan.n_gpu_layers != 0 else 0
    running = [
        o.OllamaRunning(
            name=name,
            model=name,
            size=loaded,
            digest=_digest(plan.model_path),
            details=details(plan),
            expires_at=NEVER,
            size_vram=vram,
            context_length=plan.n_ctx,
        )
        for name in model_names(plan)
    ]
    return o.OllamaProcesses(running if node.health().workers_ready else [])


def show(node: Node) -> o.OllamaShowResponse:
    plan = node.plan
    found = _described(plan.model_path)
    info: dict[str, object] = {}
    if found is not None and found.architecture:
        arch = found.architecture
        info = {
            "general.architecture": arch,
            "general.parameter_count": found.parameter_count or 0,
            f"{arch}.context_length": plan.n_ctx,  # the context the workers run with
            f"{arch}.block_count": found.layer_count or 0,
        }
    settings = node.settings
    parameters = "\n".join(
        [
            f"temperature {settings.temperature}",
            f"top_p {settings.top_p}",
            f"min_p {settings.min_p}",
            f"num_predict {settings.max_tokens}",
            f"num_ctx {plan.n_ctx}",
        ]
    )
    return o.OllamaShowResponse(
        modelfile=f"# a hive of {plan.workers} workers voting\nFROM {plan.model_path}\n",
        parameters=parameters,
        template="{{ .Prompt }}",  # the model's own chat template is applied by the workers
        details=details(plan),
        model_info=info,
        capabilities=["completion"],
        modified_at=_modified(plan.model_path),
    )

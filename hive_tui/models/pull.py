"""``hive models pull REPO FILE``: download one GGUF from a Hugging Face-style hub.

huggingface_hub does the HTTP (HEAD then GET of {endpoint}/{repo}/resolve/{revision}/{file},
resumable, with a tqdm progress bar) and stores the file in the Hugging Face cache, where the
catalogue finds it. HF_ENDPOINT points it at a mirror.
"""

from __future__ import annotations

import os
from pathlib import Path


def pull_model(
    repo: str,
    filename: str,
    revision: str = "main",
    endpoint: str | None = None,
    cache_dir: Path | None = None,
) -> Path:
    # hive sends nothing but the download itself: no telemetry, no agent-registry lookup
    # (huggingface_hub reads these at import time, so set them before importing it).
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    if endpoint:
        os.environ.setdefault("HF_ENDPOINT", endpoint)
    from huggingface_hub import hf_hub_download

    path = hf_hub_download(
        repo_id=repo,
        filename=filename,
        revision=revision,
        endpoint=endpoint or os.environ.get("HF_ENDPOINT") or None,
        cache_dir=str(cache_dir) if cache_dir else None,
    )
    return Path(path)

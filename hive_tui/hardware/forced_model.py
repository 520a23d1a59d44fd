"""GPU layers for a model the user named (``--model``): the hardware plan sized its own choice,
so a named model is measured against the same GPU pool and RAM, and split when it does not fit.
"""

from __future__ import annotations

from pathlib import Path

from hive_tui.hardware.offload import split_model
from hive_tui.hardware.plan import model_kv, tier_for
from hive_tui.models.gguf_meta import describe_gguf
from hive_tui.wire import HardwarePlan, ModelCatalog, ModelFile


def _named_model(catalog: ModelCatalog, path: str) -> ModelFile | None:
    wanted = Path(path).expanduser().resolve()
    for model in catalog.models:
        if Path(model.path).expanduser().resolve() == wanted:
            return model
    if wanted.is_file() and wanted.suffix == ".gguf":
        try:
            return describe_gguf(wanted, "file")
        except (ValueError, OSError):  # not a readable GGUF: nothing to size it by
            return None
    return None


def gpu_layers_for(
    hardware: HardwarePlan | None, catalog: ModelCatalog | None, path: str, context: int
) -> tuple[int, str | None]:
    """``n_gpu_layers`` for the model at ``path`` with ``context`` tokens, and why when it is
    not the plan's: ``catalog`` is given only when the user named the model. No plan (nothing
    detected): CPU only, as before."""
    if hardware is None:
        return 0, None
    if catalog is None or hardware.budget.kind != "gpu":
        return hardware.n_gpu_layers, None
    model = _named_model(catalog, path)
    if model is None:
        return hardware.n_gpu_layers, None
    kv = model_kv(model, tier_for(hardware.budget.usable_bytes))
    split = split_model(model, kv, context, hardware.budget.usable_bytes,
                        hardware.offload_ram_bytes or None)
    return split.n_gpu_layers, f"--model {model.name}: {split.reason}"

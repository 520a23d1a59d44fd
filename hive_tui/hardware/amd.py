"""AMD GPUs through ``rocm-smi --json``, or through amd-smi (``amd_smi.py``) where present.

rocm-smi prints one object per card ("card0", "card1", ...) whose keys depend on the flags and
on the rocm-smi version, and all values are strings. We ask for product name, use, VRAM and
temperature, and read whichever of the known key spellings is present.
"""

from __future__ import annotations

from typing import Any

from hive_tui.hardware.amd_smi import probe_amd_smi
from hive_tui.hardware.runner import ParseError, json_after_warnings, run_tool
from hive_tui.wire import Device, ProbeResult

ROCM_SMI_ARGS = [
    "rocm-smi",
    "--showproductname",
    "--showuse",
    "--showmeminfo",
    "vram",
    "gtt",
    "--showtemp",
    "--json",
]
# Name keys from newest to oldest rocm-smi spelling.
_NAME_KEYS = ("Card Series", "Card series", "Device Name", "Card Model", "Card model")
# rocm-smi 1.4 (rocm_smi_lib PR #120) called the VRAM total "GPU memory available".
_TOTAL_KEYS = ("VRAM Total Memory (B)", "GPU memory available")
_USED_KEYS = ("VRAM Total Used Memory (B)", "GPU memory use")


def _int(card: dict[str, Any], keys: tuple[str, ...]) -> int | None:
    for key in keys:
        try:
            return int(str(card[key]).strip())
        except (KeyError, ValueError):
            continue
    return None


def _float(value: Any) -> float | None:
    try:
        return float(str(value).strip())
    except (TypeError, ValueError):
        return None


def parse_rocm_smi_json(text: str) -> list[Device]:
    data = json_after_warnings(text, "rocm-smi")
    if not isinstance(data, dict):
        raise ParseError("rocm-smi JSON is not an object")
    cards = sorted(
        (key for key in data if key.startswith("card") and key[4:].isdigit()),
        key=lambda key: int(key[4:]),
    )
    if not cards:
        raise ParseError("rocm-smi JSON lists no cardN entries")
    devices = []
    for key in cards:
        card = data[key]
        if not isinstance(card, dict):
            raise ParseError(f"{key} is not an object")
        name = next((str(card[k]) for k in _NAME_KEYS if card.get(k)), f"AMD GPU {key}")
        total = _int(card, _TOTAL_KEYS)
        used = _int(card, _USED_KEYS)
        gtt_total = _int(card, ("GTT Total Memory (B)",))
        temperature = next(
            (_float(v) for k, v in card.items() if k.startswith("Temperature (Sensor edge)")), None
        )
        devices.append(
            Device(
                vendor="amd",
                name=name,
                index=int(key[4:]),
                backend="rocm",
                total_memory_bytes=total,
                free_memory_bytes=total - used if total is not None and used is not None else None,
                utilisation_percent=_float(card.get("GPU use (%)")),
                temperature_c=temperature,
                # An APU (e.g. Strix Halo, Radeon 780M) reserves a small VRAM carve-out and maps
                # most of its memory through GTT from system RAM: that memory is shared.
                unified_memory=gtt_total is not None and total is not None and gtt_total > total,
            )
        )
    return devices


def probe_rocm_smi(timeout_s: float = 5.0) -> ProbeResult:
    run = run_tool(ROCM_SMI_ARGS, timeout_s=timeout_s)
    if not run.ok:
        return ProbeResult(source="rocm-smi", found=False, reason=run.reason)
    try:
        devices = parse_rocm_smi_json(run.stdout)
    except ParseError as exc:
        return ProbeResult(source="rocm-smi", found=False, reason=f"garbled output: {exc}")
    return ProbeResult(source="rocm-smi", found=True, devices=devices)


def probe_amd(timeout_s: float = 5.0) -> ProbeResult:
    """amd-smi where present (rocm-smi is deprecated from ROCm 6 on), else rocm-smi."""
    modern = probe_amd_smi(timeout_s)
    if modern.found:
        return modern
    legacy = probe_rocm_smi(timeout_s)
    if legacy.found:
        return legacy
    return ProbeResult(
        source="amd-smi/rocm-smi", found=False, reason=f"{modern.reason}; {legacy.reason}"
    )

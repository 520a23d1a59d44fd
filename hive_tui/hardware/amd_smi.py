"""AMD GPUs through ``amd-smi``, the successor of rocm-smi (ROCm 6 and later).

Two calls, because no single amd-smi subcommand gives both the name and the live memory:
``amd-smi static --asic --vram --json`` (market name, VRAM size) and
``amd-smi metric --usage --mem-usage --temperature --json`` (used/free VRAM, activity, edge
temperature). Both answer a list of per-GPU objects; ROCm 6.4 and later wrap that list in
``{"gpu_data": [...]}``. Numbers come as ``{"value": N, "unit": "MB"}`` or as ``"N/A"``.
"""

from __future__ import annotations

from typing import Any

from hive_tui.hardware.runner import ParseError, json_after_warnings, run_tool
from hive_tui.wire import Device, ProbeResult

STATIC_ARGS = ["amd-smi", "static", "--asic", "--vram", "--json"]
METRIC_ARGS = ["amd-smi", "metric", "--usage", "--mem-usage", "--temperature", "--json"]
# amd-smi's "MB" is MiB: a 16 GiB card reports 16368 MB of VRAM.
_UNIT_BYTES = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}


def _gpu_rows(text: str, what: str) -> list[dict[str, Any]]:
    data = json_after_warnings(text, f"amd-smi {what}")
    if isinstance(data, dict):
        data = data.get("gpu_data")
    if not isinstance(data, list) or not data:
        raise ParseError(f"amd-smi {what} JSON lists no GPUs")
    rows = []
    for row in data:
        if not isinstance(row, dict) or not isinstance(row.get("gpu"), int):
            raise ParseError(f"amd-smi {what} entry without a GPU number: {row!r:.80}")
        rows.append(row)
    return rows


def _field(row: dict[str, Any], *path: str) -> Any:
    value: Any = row
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _number(value: Any) -> float | None:
    if isinstance(value, dict):
        value = value.get("value")
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None  # "N/A", missing, or a shape we do not know


def _bytes(value: Any) -> int | None:
    number = _number(value)
    if number is None:
        return None
    unit = value.get("unit", "MB") if isinstance(value, dict) else "MB"
    scale = _UNIT_BYTES.get(str(unit).upper())
    return int(number * scale) if scale else None


def parse_amd_smi(static_text: str, metric_text: str) -> list[Device]:
    static = {row["gpu"]: row for row in _gpu_rows(static_text, "static")}
    metrics = {row["gpu"]: row for row in _gpu_rows(metric_text, "metric")}
    devices = []
    for gpu in sorted(static.keys() | metrics.keys()):
        info, live = static.get(gpu, {}), metrics.get(gpu, {})
        name = _field(info, "asic", "market_name")
        total = _bytes(_field(live, "mem_usage", "total_vram"))
        if total is None:
            total = _bytes(_field(info, "vram", "size"))
        free = _bytes(_field(live, "mem_usage", "free_vram"))
        used = _bytes(_field(live, "mem_usage", "used_vram"))
        if free is None and total is not None and used is not None:
            free = total - used
        devices.append(
            Device(
                vendor="amd",
                name=str(name) if isinstance(name, str) and name != "N/A" else f"AMD GPU {gpu}",
                index=gpu,
                backend="rocm",
                total_memory_bytes=total,
                free_memory_bytes=free,
                utilisation_percent=_number(_field(live, "usage", "gfx_activity")),
                temperature_c=_number(_field(live, "temperature", "edge")),
            )
        )
    return devices


def probe_amd_smi(timeout_s: float = 5.0) -> ProbeResult:
    static = run_tool(STATIC_ARGS, timeout_s=timeout_s)
    if not static.ok:
        return ProbeResult(source="amd-smi", found=False, reason=static.reason)
    metric = run_tool(METRIC_ARGS, timeout_s=timeout_s)
    if not metric.ok:
        return ProbeResult(source="amd-smi", found=False, reason=metric.reason)
    try:
        devices = parse_amd_smi(static.stdout, metric.stdout)
    except ParseError as exc:
        return ProbeResult(source="amd-smi", found=False, reason=f"garbled output: {exc}")
    return ProbeResult(source="amd-smi", found=True, devices=devices)

"""NVIDIA GPUs through NVML (the nvidia-ml-py package), with ``nvidia-smi -q -x`` as a fallback.

The NVML side is split in two: ``read_nvml_snapshot`` calls the library and copies the raw
values into a plain dict (the same shape as the recorded ``nvml_*.json`` fixtures), and
``parse_nvml_snapshot`` turns such a dict into devices. Only the second is logic, and it is
tested on recorded data.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from typing import Any

from hive_tui.hardware.runner import ParseError, run_tool
from hive_tui.wire import Device, GpuProcess, ProbeResult

NVML_TIMEOUT_S = 5.0


def _number(value: Any) -> float | None:
    # Recorded snapshots store unsupported fields as {"error": "..."}; treat those as unknown.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _watts(milliwatts: Any) -> float | None:
    value = _number(milliwatts)
    return value / 1000 if value is not None else None


def _nvml_processes(raw: Any) -> list[GpuProcess]:
    # Each entry is {"pid": ..., "used_gpu_memory": ...} (bytes; null when the driver hides it).
    if not isinstance(raw, list):
        return []
    processes = []
    for entry in raw:
        pid = entry.get("pid") if isinstance(entry, dict) else None
        if isinstance(pid, int) and not isinstance(pid, bool):
            used = _number(entry.get("used_gpu_memory"))
            processes.append(
                GpuProcess(pid=pid, used_memory_bytes=int(used) if used is not None else None)
            )
    return processes


def parse_nvml_snapshot(data: Any) -> list[Device]:
    if not isinstance(data, dict) or not isinstance(data.get("devices"), list):
        raise ParseError("NVML snapshot has no 'devices' list")
    devices: list[Device] = []
    for position, raw in enumerate(data["devices"]):
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            raise ParseError(f"NVML device {position} has no name")
        memory = raw["memory"] if isinstance(raw.get("memory"), dict) else {}
        utilisation = raw["utilization"] if isinstance(raw.get("utilization"), dict) else {}
        total = _number(memory.get("total"))
        free = _number(memory.get("free"))
        index = raw.get("index", position)
        devices.append(
            Device(
                vendor="nvidia",
                name=raw["name"],
                index=index if isinstance(index, int) else position,
                backend="cuda",
                total_memory_bytes=int(total) if total is not None else None,
                free_memory_bytes=int(free) if free is not None else None,
                utilisation_percent=_number(utilisation.get("gpu")),
                temperature_c=_number(raw.get("temperature_c")),
                unified_memory=False,
                memory_utilisation_percent=_number(utilisation.get("memory")),
                power_watts=_watts(raw.get("power_mw")),
                power_limit_watts=_watts(raw.get("power_limit_mw")),
                processes=_nvml_processes(raw.get("processes")),
            )
        )
    return devices


def read_nvml_snapshot(nvml: Any) -> dict[str, Any]:
    """Copy what NVML knows into a plain dict; a field NVML refuses becomes {"error": ...}."""

    def field(call: Any, *args: Any) -> Any:
        try:
            return call(*args)
        except nvml.NVMLError as exc:
            return {"error": str(exc)}

    nvml.nvmlInit()
    try:
        devices = []
        for index in range(nvml.nvmlDeviceGetCount()):
            handle = nvml.nvmlDeviceGetHandleByIndex(index)
            name = nvml.nvmlDeviceGetName(handle)
            memory = field(nvml.nvmlDeviceGetMemoryInfo, handle)
            util = field(nvml.nvmlDeviceGetUtilizationRates, handle)
            devices.append(
                {
                    "index": index,
                    "name": name.decode() if isinstance(name, bytes) else name,
                    "memory": memory
                    if isinstance(memory, dict)
                    else {"total": memory.total, "free": memory.free, "used": memory.used},
                    "utilization": util
                    if isinstance(util, dict)
                    else {"gpu": util.gpu, "memory": util.memory},
                    "temperature_c": field(
                        nvml.nvmlDeviceGetTemperature, handle, nvml.NVML_TEMPERATURE_GPU
                    ),
                    "power_mw": field(nvml.nvmlDeviceGetPowerUsage, handle),
                    "power_limit_mw": field(nvml.nvmlDeviceGetEnforcedPowerLimit, handle),
                    "processes": _running_processes(nvml, field, handle),
                }
            )
        return {"devices": devices}
    finally:
        nvml.nvmlShutdown()


def _running_processes(nvml: Any, field: Any, handle: Any) -> list[dict[str, Any]]:
    # Compute (CUDA) and graphics processes; a pid can be in both lists, so keep it once.
    seen: dict[int, dict[str, Any]] = {}
    for call in (nvml.nvmlDeviceGetComputeRunningProcesses,
                 nvml.nvmlDeviceGetGraphicsRunningProcesses):
        listed = field(call, handle)
        for p in listed if isinstance(listed, list) else []:
            seen.setdefault(p.pid, {"pid": p.pid, "used_gpu_memory": p.usedGpuMemory})
    return list(seen.values())


def _read_nvml_with_timeout(timeout_s: float) -> dict[str, Any]:
    # NVML is a C library: a wedged driver can block inside it forever, so it runs on a daemon
    # thread we are allowed to abandon.
    import pynvml  # nvidia-ml-py; imported here so a missing package is a reason, not a crash

    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = read_nvml_snapshot(pynvml)
        except Exception as exc:  # NVMLError_LibraryNotFound, DriverNotLoaded, ...
            box["error"] = exc

    thread = threading.Thread(target=work, name="nvml-probe", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():
        raise TimeoutError(f"NVML did not answer within {timeout_s:g} s")
    if "error" in box:
        raise box["error"]
    snapshot: dict[str, Any] = box["value"]
    return snapshot


def _mib(text: str | None) -> int | None:
    # nvidia-smi writes "143771 MiB"; anything else ("N/A", "[Not Supported]") is unknown.
    if not text:
        return None
    parts = text.split()
    if len(parts) == 2 and parts[1] == "MiB" and parts[0].isdigit():
        return int(parts[0]) * 1024 * 1024
    return None


def _leading_number(text: str | None) -> float | None:
    try:
        return float((text or "").split()[0])
    except (IndexError, ValueError):
        return None


def _first_number(gpu: ET.Element, *paths: str) -> float | None:
    # nvidia-smi renamed its power elements across driver versions; "N/A" is unknown.
    for path in paths:
        value = _leading_number(gpu.findtext(path))
        if value is not None:
            return value
    return None


def _smi_processes(gpu: ET.Element) -> list[GpuProcess]:
    processes = []
    for info in gpu.findall("processes/process_info"):
        pid = (info.findtext("pid") or "").strip()
        if pid.isdigit():
            processes.append(
                GpuProcess(pid=int(pid), used_memory_bytes=_mib(info.findtext("used_memory")))
            )
    return processes


def parse_nvidia_smi_xml(text: str) -> list[Device]:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ParseError(f"nvidia-smi XML does not parse: {exc}") from exc
    if root.tag != "nvidia_smi_log":
        raise ParseError(f"unexpected XML root <{root.tag}>")
    devices = []
    for index, gpu in enumerate(root.findall("gpu")):
        name = gpu.findtext("product_name")
        if not name:
            raise ParseError(f"GPU {index} has no product_name")
        devices.append(
            Device(
                vendor="nvidia",
                name=name,
                index=index,
                backend="cuda",
                total_memory_bytes=_mib(gpu.findtext("fb_memory_usage/total")),
                free_memory_bytes=_mib(gpu.findtext("fb_memory_usage/free")),
                utilisation_percent=_leading_number(gpu.findtext("utilization/gpu_util")),
                temperature_c=_leading_number(gpu.findtext("temperature/gpu_temp")),
                memory_utilisation_percent=_leading_number(
                    gpu.findtext("utilization/memory_util")
                ),
                power_watts=_first_number(
                    gpu,
                    "gpu_power_readings/instant_power_draw",
                    "gpu_power_readings/average_power_draw",
                    "power_readings/power_draw",
                ),
                power_limit_watts=_first_number(
                    gpu, "gpu_power_readings/current_power_limit", "power_readings/power_limit"
                ),
                processes=_smi_processes(gpu),
            )
        )
    return devices


def probe_nvidia(timeout_s: float = NVML_TIMEOUT_S) -> ProbeResult:
    try:
        devices = parse_nvml_snapshot(_read_nvml_with_timeout(timeout_s))
        return _result("nvml", devices)
    except ImportError:
        nvml_reason = "nvidia-ml-py (pynvml) is not installed"
    except ParseError as exc:
        nvml_reason = f"NVML answered something unexpected: {exc}"
    except Exception as exc:
        nvml_reason = f"NVML unavailable: {type(exc).__name__}: {exc}"
    run = run_tool(["nvidia-smi", "-q", "-x"], timeout_s=timeout_s)
    if not run.ok:
        return ProbeResult(source="nvml", found=False, reason=f"{nvml_reason}; {run.reason}")
    try:
        return _result("nvidia-smi", parse_nvidia_smi_xml(run.stdout))
    except ParseError as exc:
        return ProbeResult(
            source="nvidia-smi", found=False, reason=f"{nvml_reason}; garbled output: {exc}"
        )


def _result(source: str, devices: list[Device]) -> ProbeResult:
    if not devices:
        return ProbeResult(source=source, found=False, reason="driver present but no GPU listed")
    return ProbeResult(source=source, found=True, devices=devices)

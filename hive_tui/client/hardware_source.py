"""What the hardware pane shows, as one plain sample; the pane calls a source off the UI thread.

``sample_hardware()`` reads CPU and RAM from psutil every call. GPUs come from the hardware
detection module (``hive_tui.hardware.detect_hardware``) when this build has it; detection
runs external tools, so its result is reused for ``DETECT_EVERY_S`` rather than redone on
every refresh.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psutil

DETECT_EVERY_S = 10.0


@dataclass(frozen=True)
class GpuProcessSample:
    pid: int
    used_memory_bytes: int | None = None  # None: the driver would not say
    name: str = ""  # the process's name on this machine, when it could be read


@dataclass(frozen=True)
class GpuSample:
    name: str
    vendor: str
    memory_total_bytes: int | None = None
    memory_used_bytes: int | None = None
    utilisation_percent: float | None = None
    temperature_c: float | None = None
    index: int = 0
    memory_utilisation_percent: float | None = None  # the memory controller's busy time
    power_watts: float | None = None
    power_limit_watts: float | None = None
    processes: tuple[GpuProcessSample, ...] = ()


@dataclass(frozen=True)
class HardwareSample:
    cpu_name: str
    logical_cores: int
    physical_cores: int
    cpu_percent: float
    load_1m: float | None
    ram_total_bytes: int
    ram_used_bytes: int
    gpus: list[GpuSample] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # why no GPU was found, and the like


HardwareSource = Callable[[], HardwareSample]

_detected: tuple[float, Any] | None = None


def _detection() -> Any | None:
    """The detection report (``wire.HardwareReport``) when the hardware module is present."""
    global _detected
    try:
        from hive_tui.hardware import detect_hardware
    except ImportError:
        return None
    now = time.monotonic()
    if _detected is None or now - _detected[0] > DETECT_EVERY_S:
        try:
            _detected = (now, detect_hardware())
        except Exception:  # a probe bug must not take the pane down
            _detected = (now, None)
    return _detected[1]


def _process_name(pid: int) -> str:
    try:
        return psutil.Process(pid).name()
    except (psutil.Error, OSError):  # gone already, or another user's (and hidden)
        return ""


def _gpus_from(report: Any) -> list[GpuSample]:
    gpus = []
    for d in getattr(report, "gpus", []) or []:
        total, free = d.total_memory_bytes, d.free_memory_bytes
        used = total - free if total is not None and free is not None else None
        gpus.append(GpuSample(
            d.name, d.vendor, total, used, d.utilisation_percent, d.temperature_c,
            index=d.index, memory_utilisation_percent=d.memory_utilisation_percent,
            power_watts=d.power_watts, power_limit_watts=d.power_limit_watts,
            processes=tuple(GpuProcessSample(p.pid, p.used_memory_bytes, _process_name(p.pid))
                            for p in getattr(d, "processes", ()))))
    return gpus


def _cpu_model_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def sample_hardware() -> HardwareSample:
    report = _detection()
    memory = psutil.virtual_memory()
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        cores = psutil.cpu_count() or 1
    cpu_name = getattr(getattr(report, "cpu", None), "name", "") or _cpu_model_name()
    notes = []
    if report is not None and not report.gpus:
        notes = [f"{p.source}: {p.reason}" for p in report.probes if not p.found and p.reason]
    return HardwareSample(
        cpu_name=cpu_name,
        logical_cores=cores,
        physical_cores=psutil.cpu_count(logical=False) or cores,
        cpu_percent=psutil.cpu_percent(interval=None),
        load_1m=os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        ram_total_bytes=memory.total,
        ram_used_bytes=memory.total - memory.available,
        gpus=_gpus_from(report) if report is not None else [],
        notes=notes or ([] if report is not None else ["no GPU detection in this build"]),
    )

"""The CPU and system RAM, through psutil, with the Linux text files as pure parsers.

``logical_cores`` is the number of CPUs this process may run on (its affinity mask, what
``nproc`` prints), not the number in the box: containers and taskset pin us to fewer.
"""

from __future__ import annotations

import contextlib
import os
import platform
from pathlib import Path

from hive_tui.hardware.runner import ParseError
from hive_tui.wire import CpuInfo, Device, ProbeResult


def parse_meminfo(text: str) -> dict[str, int]:
    """/proc/meminfo into bytes per field ("MemTotal: 24684092 kB" -> 25276510208)."""
    values: dict[str, int] = {}
    for line in text.splitlines():
        key, sep, rest = line.partition(":")
        parts = rest.split()
        if not sep or not parts or not parts[0].isdigit():
            continue
        unit = 1024 if len(parts) > 1 and parts[1] == "kB" else 1
        values[key.strip()] = int(parts[0]) * unit
    return values


def parse_lscpu(text: str) -> dict[str, str]:
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            values[key.strip()] = value.strip()
    if "CPU(s)" not in values:
        raise ParseError("lscpu output has no 'CPU(s)' line")
    return values


def lscpu_physical_cores(values: dict[str, str]) -> int:
    try:
        return int(values["Core(s) per socket"]) * int(values.get("Socket(s)", "1"))
    except (KeyError, ValueError) as exc:
        raise ParseError("lscpu output lacks core and socket counts") from exc


def cpu_model_name(cpuinfo_text: str) -> str | None:
    for line in cpuinfo_text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() in ("model name", "Hardware", "Processor") and value.strip():
            return value.strip()
    return None


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # macOS and Windows have no affinity call
        return os.cpu_count() or 1


def read_cpu_info() -> CpuInfo:
    import psutil

    logical = _usable_cpus()
    physical = psutil.cpu_count(logical=False) or logical
    memory = psutil.virtual_memory()
    try:
        load: float | None = os.getloadavg()[0]
    except (AttributeError, OSError):
        load = None
    name = None
    with contextlib.suppress(OSError):  # no /proc on macOS
        name = cpu_model_name(Path("/proc/cpuinfo").read_text(errors="replace"))
    return CpuInfo(
        name=name or platform.processor() or platform.machine() or "unknown CPU",
        architecture=platform.machine(),
        # Physical cores we may use: never more than the CPUs we are allowed on.
        physical_cores=max(1, min(physical, logical)),
        logical_cores=logical,
        total_ram_bytes=int(memory.total),
        available_ram_bytes=int(memory.available),
        load_average_1m=load,
    )


def probe_cpu() -> tuple[CpuInfo, ProbeResult]:
    cpu = read_cpu_info()
    device = Device(
        vendor="cpu",
        name=cpu.name,
        backend="cpu",
        total_memory_bytes=cpu.total_ram_bytes,
        free_memory_bytes=cpu.available_ram_bytes,
        unified_memory=True,
    )
    return cpu, ProbeResult(source="psutil", found=True, devices=[device])

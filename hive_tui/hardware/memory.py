"""How much memory the workers may use, with a one-line explanation of how it was reached.

* A discrete GPU gives 90% of its VRAM (the rest is the CUDA/ROCm context, the display and
  fragmentation), and never more than is free right now.
* Apple Silicon, phones, APUs and CPU-only machines share RAM with the OS: RAM minus a 4 GiB
  buffer, but at least half the RAM on small machines (4 GiB off a 6 GiB laptop would leave
  nothing), and never more than is available right now on a CPU-only box.
"""

from __future__ import annotations

from hive_tui.wire import Device, HardwareReport, MemoryBudget

GiB = 1024**3
GPU_SHARE = 0.90
RAM_BUFFER_BYTES = 4 * GiB
SMALL_MACHINE_SHARE = 0.5
UNIFIED_SOC_VENDORS = ("apple", "qualcomm", "android")


def _gib(n: int) -> str:
    return f"{n / GiB:.1f} GiB"


def _discrete_gpus(report: HardwareReport) -> list[Device]:
    gpus = [d for d in report.gpus if not d.unified_memory and d.total_memory_bytes]
    if not gpus:
        return []
    # llama.cpp is built for one backend: keep the vendor that brings the most memory.
    by_vendor: dict[str, int] = {}
    for gpu in gpus:
        by_vendor[gpu.vendor] = by_vendor.get(gpu.vendor, 0) + (gpu.total_memory_bytes or 0)
    best = max(by_vendor, key=lambda vendor: by_vendor[vendor])
    return [gpu for gpu in gpus if gpu.vendor == best]


def gpu_pool_bytes(gpu: Device) -> tuple[int, str]:
    total = gpu.total_memory_bytes or 0
    share = int(total * GPU_SHARE)
    if gpu.free_memory_bytes is not None and gpu.free_memory_bytes < share:
        return gpu.free_memory_bytes, (
            f"{gpu.name}: 90% of {_gib(total)} VRAM would be {_gib(share)}, "
            f"but only {_gib(gpu.free_memory_bytes)} is free"
        )
    return share, f"{gpu.name}: 90% of {_gib(total)} VRAM = {_gib(share)}"


def shared_ram_bytes(total: int) -> tuple[int, str]:
    after_buffer = total - RAM_BUFFER_BYTES
    floor = int(total * SMALL_MACHINE_SHARE)
    if after_buffer >= floor:
        return (
            after_buffer,
            f"{_gib(total)} RAM minus a 4 GiB buffer for the OS = {_gib(after_buffer)}",
        )
    return floor, (
        f"{_gib(total)} RAM is small: 4 GiB off would leave {_gib(max(after_buffer, 0))}, "
        f"so half the RAM is used instead = {_gib(floor)}"
    )


def ram_bytes(report: HardwareReport) -> tuple[int, str]:
    """RAM the model may take on the CPU: the shared-RAM rule, never more than is available
    now (a CPU-only plan's budget, and the rest of a model split between GPU and CPU)."""
    usable, line = shared_ram_bytes(report.cpu.total_ram_bytes)
    if report.cpu.available_ram_bytes < usable:
        line += f", capped at the {_gib(report.cpu.available_ram_bytes)} available now"
        usable = report.cpu.available_ram_bytes
    return max(usable, 0), line


def memory_budget(report: HardwareReport) -> MemoryBudget:
    gpus = _discrete_gpus(report)
    if gpus:
        pools, lines = zip(*(gpu_pool_bytes(gpu) for gpu in gpus), strict=True)
        return MemoryBudget(
            kind="gpu",
            usable_bytes=sum(pools),
            pools=list(pools),
            explanation="; ".join(lines),
            device_names=[gpu.name for gpu in gpus],
        )
    # Apple Silicon and phones report the whole RAM as the device's memory. An APU's or iGPU's
    # own figure is only its small carve-out, so those fall through to the RAM rule below.
    unified = [
        d
        for d in report.gpus
        if d.unified_memory and d.total_memory_bytes and d.vendor in UNIFIED_SOC_VENDORS
    ]
    if unified:
        device = unified[0]
        usable, line = shared_ram_bytes(device.total_memory_bytes or 0)
        return MemoryBudget(
            kind="unified",
            usable_bytes=usable,
            pools=[usable],
            explanation=f"{device.name} (unified memory): {line}",
            device_names=[device.name],
        )
    usable, line = ram_bytes(report)
    return MemoryBudget(
        kind="ram",
        usable_bytes=usable,
        pools=[usable],
        explanation=f"CPU only: {line}",
        device_names=[report.cpu.name],
    )

"""Run every detector and assemble one HardwareReport. Nothing here raises for a missing GPU."""

from __future__ import annotations

import platform
from collections.abc import Callable

from hive_tui.hardware.amd import probe_amd
from hive_tui.hardware.apple import probe_apple
from hive_tui.hardware.cpu import probe_cpu
from hive_tui.hardware.intel import probe_intel
from hive_tui.hardware.nvidia import probe_nvidia
from hive_tui.hardware.termux import probe_termux
from hive_tui.wire import HardwareReport, ProbeResult

GPU_PROBES: list[Callable[[], ProbeResult]] = [
    probe_nvidia,
    probe_amd,
    probe_intel,
    probe_apple,
    probe_termux,
]


def detect_hardware(probes: list[Callable[[], ProbeResult]] | None = None) -> HardwareReport:
    cpu, cpu_probe = probe_cpu()
    results: list[ProbeResult] = []
    for probe in GPU_PROBES if probes is None else probes:
        try:
            results.append(probe())
        except Exception as exc:  # a detector bug must not take `hive hardware` down
            name = getattr(probe, "__name__", "probe")
            results.append(
                ProbeResult(source=name, found=False, reason=f"{type(exc).__name__}: {exc}")
            )
    gpus = [device for result in results if result.found for device in result.devices]
    return HardwareReport(
        platform=f"{platform.system()} {platform.release()} {platform.machine()}".strip(),
        cpu=cpu,
        gpus=gpus,
        probes=[*results, cpu_probe],
    )

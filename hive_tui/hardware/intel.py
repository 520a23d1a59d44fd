"""Intel GPUs through ``sycl-ls`` (oneAPI), which llama.cpp's SYCL backend also uses.

sycl-ls prints one line per (backend, device). Two formats exist in the wild:

    [ext_oneapi_level_zero:gpu:0] Intel(R) Level-Zero, Intel(R) Arc(TM) A770 Graphics 1.3 [1.3.x]
    [level_zero:gpu][level_zero:0] Intel(R) Level-Zero, Intel(R) Arc(TM) A750 Graphics 12.55.8 [..]

sycl-ls does not print memory sizes. Level Zero memory would need the Level Zero loader
through ctypes; until that is written the Intel device's memory is reported as unknown and
the plan falls back to system RAM (which is right for the integrated GPUs most Intel
machines have).
"""

from __future__ import annotations

import re

from hive_tui.hardware.runner import ParseError, run_tool
from hive_tui.wire import Device, ProbeResult

_LINE = re.compile(
    r"^\[(?P<backend>[a-z_]+):(?P<kind>[a-z]+)(?::(?P<index>\d+))?\]"
    r"(?:\[[a-z_]+:(?P<index2>\d+)\])?\s+"
    r"(?P<platform>[^,]+),\s+(?P<rest>.+?)\s*\[(?P<driver>[^\]]*)\]\s*$"
)
# The device text ends with a version: "1.3", "12.55.8" or "OpenCL 3.0 NEO".
_TRAILING_VERSION = re.compile(r"\s+(?:OpenCL \d+\.\d+(?: NEO)?|\d+(?:\.\d+)+)\s*$")
_INTEGRATED = ("UHD", "Iris", "HD Graphics", "Graphics 7", "Arc(TM) Graphics")


def parse_sycl_ls(text: str) -> list[Device]:
    """Intel GPUs, preferring the Level Zero listing (the one llama.cpp's SYCL backend uses)."""
    level_zero: list[str] = []
    opencl: list[str] = []
    matched_any = False
    for line in text.splitlines():
        match = _LINE.match(line.strip())
        if not match:
            continue
        matched_any = True
        if match["kind"] != "gpu" or "Intel" not in match["platform"]:
            continue
        name = _TRAILING_VERSION.sub("", match["rest"]).strip()
        (level_zero if "level_zero" in match["backend"] else opencl).append(name)
    if not matched_any:
        raise ParseError("no sycl-ls device lines")
    names = level_zero or opencl
    return [
        Device(
            vendor="intel",
            name=name,
            index=index,
            backend="sycl",
            unified_memory=any(tag in name for tag in _INTEGRATED),
        )
        for index, name in enumerate(names)
    ]


def probe_intel(timeout_s: float = 10.0) -> ProbeResult:
    run = run_tool(["sycl-ls"], timeout_s=timeout_s)
    if not run.ok:
        return ProbeResult(source="sycl-ls", found=False, reason=run.reason)
    try:
        devices = parse_sycl_ls(run.stdout)
    except ParseError as exc:
        return ProbeResult(source="sycl-ls", found=False, reason=f"garbled output: {exc}")
    if not devices:
        return ProbeResult(source="sycl-ls", found=False, reason="sycl-ls lists no Intel GPU")
    return ProbeResult(source="sycl-ls", found=True, devices=devices)

"""Android phones under Termux (Qualcomm Snapdragon and others): ``getprop`` plus /proc/meminfo.

A phone's GPU shares RAM with the CPU, so the device's memory is the phone's RAM.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from hive_tui.hardware.cpu import parse_meminfo
from hive_tui.hardware.runner import ParseError, run_tool
from hive_tui.wire import Device, ProbeResult

_PROP = re.compile(r"^\[(?P<key>[^\]]+)\]: \[(?P<value>.*)\]\s*$")
_QUALCOMM_MARKERS = ("qualcomm", "qti", "qcom")
# Qualcomm part numbers (SM8475 = Snapdragon 8+ Gen 1, SDM845, MSM8998, QCM6490, ...); many
# phones set ro.soc.model but no manufacturer property.
_QUALCOMM_PART = re.compile(r"^(?:SM|SDM|MSM|APQ|QCM|QCS)\d{3,4}", re.I)


def parse_getprop(text: str) -> dict[str, str]:
    props = {}
    for line in text.splitlines():
        match = _PROP.match(line.strip())
        if match:
            props[match["key"]] = match["value"]
    return props


def phone_device(props: dict[str, str], meminfo_text: str) -> Device:
    if not props:
        raise ParseError("getprop printed no [key]: [value] lines")
    meminfo = parse_meminfo(meminfo_text)
    if "MemTotal" not in meminfo:
        raise ParseError("/proc/meminfo has no MemTotal")
    makers = " ".join(
        props.get(key, "") for key in ("ro.soc.manufacturer", "ro.hardware", "ro.board.platform")
    ).lower()
    soc = props.get("ro.soc.model") or props.get("ro.board.platform") or "unknown SoC"
    is_qualcomm = any(m in makers for m in _QUALCOMM_MARKERS) or _QUALCOMM_PART.match(soc)
    vendor = "qualcomm" if is_qualcomm else "android"
    model = props.get("ro.product.model")
    return Device(
        vendor=vendor,
        name=f"{soc} ({model})" if model else soc,
        backend="cpu",  # llama.cpp on Termux runs on the CPU cores; Adreno OpenCL is opt-in
        total_memory_bytes=meminfo["MemTotal"],
        free_memory_bytes=meminfo.get("MemAvailable"),
        unified_memory=True,
    )


def probe_termux(
    env: Mapping[str, str] | None = None, meminfo_path: Path = Path("/proc/meminfo")
) -> ProbeResult:
    env = os.environ if env is None else env
    if "TERMUX_VERSION" not in env:
        return ProbeResult(source="termux", found=False, reason="not Termux (TERMUX_VERSION unset)")
    run = run_tool(["getprop"], timeout_s=5.0)
    if not run.ok:
        return ProbeResult(source="termux", found=False, reason=run.reason)
    try:
        device = phone_device(parse_getprop(run.stdout), meminfo_path.read_text())
    except (OSError, ParseError) as exc:
        return ProbeResult(source="termux", found=False, reason=str(exc))
    return ProbeResult(source="termux", found=True, devices=[device])

"""Apple Silicon through ``sysctl``: the SoC name, its memory (all of it unified) and core tiers."""

from __future__ import annotations

import sys

from hive_tui.hardware.runner import ParseError, run_tool
from hive_tui.wire import Device, ProbeResult

SYSCTL_KEYS = [
    "hw.memsize",
    "machdep.cpu.brand_string",
    "hw.perflevel0.physicalcpu",
    "hw.perflevel1.physicalcpu",
    "hw.ncpu",
]


def parse_sysctl(text: str) -> dict[str, str]:
    """``key: value`` lines into a dict; error lines ("sysctl: unknown oid ...") are skipped."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition(": ")
        # OIDs are dotted ("hw.memsize"); "sysctl: unknown oid ..." is an error line.
        if sep and "." in key and " " not in key:
            values[key] = value.strip()
    return values


def apple_silicon_device(values: dict[str, str]) -> Device:
    brand = values.get("machdep.cpu.brand_string", "")
    if not brand.startswith("Apple"):
        raise ParseError(f"not Apple Silicon (CPU is {brand or 'unknown'})")
    try:
        memsize = int(values["hw.memsize"])
    except (KeyError, ValueError) as exc:
        raise ParseError("sysctl did not give hw.memsize") from exc
    return Device(
        vendor="apple",
        name=brand,
        backend="metal",
        total_memory_bytes=memsize,
        unified_memory=True,
    )


def performance_cores(values: dict[str, str]) -> tuple[int | None, int | None]:
    """(performance, efficiency) core counts; perflevel0 is the fastest tier."""

    def count(key: str) -> int | None:
        try:
            return int(values[key])
        except (KeyError, ValueError):
            return None

    return count("hw.perflevel0.physicalcpu"), count("hw.perflevel1.physicalcpu")


def probe_apple(timeout_s: float = 5.0) -> ProbeResult:
    if sys.platform != "darwin":
        return ProbeResult(source="sysctl", found=False, reason="not macOS")
    # sysctl exits non-zero when one key is unknown (older macOS has no perflevel keys).
    run = run_tool(["sysctl", *SYSCTL_KEYS], timeout_s=timeout_s, accept_nonzero=True)
    if not run.ok:
        return ProbeResult(source="sysctl", found=False, reason=run.reason)
    try:
        device = apple_silicon_device(parse_sysctl(run.stdout))
    except ParseError as exc:
        return ProbeResult(source="sysctl", found=False, reason=str(exc))
    return ProbeResult(source="sysctl", found=True, devices=[device])

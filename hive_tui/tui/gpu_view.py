"""The hardware pane's GPU blocks, in the spirit of nvitop: per GPU a header (index, name,
temperature, power), a utilisation bar, a memory bar and the processes holding memory on it,
with this hive's workers named.

Plain text from plain samples, so the layout is tested without an app. Unknown readings are
left out rather than shown as zeros: a driver that will not say is not an idle card.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from hive_tui.client.hardware_source import GpuProcessSample, GpuSample
from hive_tui.wire import WorkerStatus

BAR_MIN, BAR_MAX = 10, 40
# Label, bar and the figures after it: " MEM [" is 6 columns, "] " 2, the figures up to 28
# ("100%  143.8 GiB / 150.0 GiB").
BAR_FRAME = 36
MAX_PROCESSES = 8  # more than this on one card is summed up in one line


LOOPBACK = {"localhost", "127.0.0.1", "::1"}


def same_machine(address: str) -> bool:
    """Whether the node (``CoreInfo.address``) runs here, so its pids are this machine's."""
    if address == "in-process":
        return True
    return urlsplit(address if "://" in address else f"//{address}").hostname in LOOPBACK


def hive_pids(statuses: Iterable[WorkerStatus], node_id: str, address: str) -> dict[int, str]:
    """The node's worker processes by pid, when they run on the machine whose GPUs the pane
    shows (another machine's pid 4242 is not ours)."""
    if not same_machine(address):
        return {}
    return {s.pid: s.worker_id for s in statuses if s.pid is not None and s.node_id == node_id}


def bar(percent: float, width: int) -> str:
    filled = round(max(0.0, min(100.0, percent)) / 100 * width)
    return "█" * filled + "░" * (width - filled)


def bar_width(columns: int) -> int:
    return max(BAR_MIN, min(BAR_MAX, columns - BAR_FRAME))


def _size(n: int | None) -> str:
    if n is None:
        return "?"
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


def gpu_header(g: GpuSample) -> str:
    parts = [f"GPU {g.index}  {g.name}"]
    if g.temperature_c is not None:
        parts.append(f"{g.temperature_c:.0f}°C")
    if g.power_watts is not None or g.power_limit_watts is not None:
        used = "?" if g.power_watts is None else f"{g.power_watts:.0f}"
        limit = "" if g.power_limit_watts is None else f" / {g.power_limit_watts:.0f}"
        parts.append(f"{used}{limit} W")
    return " · ".join(parts)


def process_label(p: GpuProcessSample, workers: Mapping[int, str]) -> str:
    if p.pid in workers:
        return f"{workers[p.pid]} (hive)"
    return p.name or "?"


def process_lines(g: GpuSample, workers: Mapping[int, str]) -> list[str]:
    if not g.processes:
        return ["     no processes"]
    # Hive's own first, then the biggest: what one looks for on a shared card.
    ordered = sorted(g.processes, key=lambda p: (p.pid not in workers, -(p.used_memory_bytes or 0)))
    lines = [f"     {'PID':>7}  {'GPU-MEM':>9}  PROCESS"]
    for p in ordered[:MAX_PROCESSES]:
        used = _size(p.used_memory_bytes)
        lines.append(f"     {p.pid:>7}  {used:>9}  {process_label(p, workers)}")
    if len(ordered) > MAX_PROCESSES:
        lines.append(f"     … and {len(ordered) - MAX_PROCESSES} more")
    return lines


def gpu_block(g: GpuSample, workers: Mapping[int, str], columns: int) -> str:
    """One GPU as lines of at most ``columns`` characters (the header and process names may
    run longer on a very narrow pane, and wrap)."""
    width = bar_width(columns)
    lines = [gpu_header(g)]
    if g.utilisation_percent is not None:
        controller = (f"  mem-ctl {g.memory_utilisation_percent:.0f}%"
                      if g.memory_utilisation_percent is not None else "")
        lines.append(f" UTL [{bar(g.utilisation_percent, width)}] "
                     f"{g.utilisation_percent:3.0f}%{controller}")
    if g.memory_total_bytes and g.memory_used_bytes is not None:
        share = 100 * g.memory_used_bytes / g.memory_total_bytes
        lines.append(f" MEM [{bar(share, width)}] {share:3.0f}%  "
                     f"{_size(g.memory_used_bytes)} / {_size(g.memory_total_bytes)}")
    lines.extend(process_lines(g, workers))
    return "\n".join(lines)


def gpu_blocks(gpus: Iterable[GpuSample], workers: Mapping[int, str], columns: int) -> str:
    return "\n\n".join(gpu_block(g, workers, columns) for g in gpus)

"""The hardware pane: CPU, RAM and GPUs as detection found them, refreshed, with sparklines,
and the plan (model, workers, threads) the node chose.

Sampling runs in a thread worker: detection may call external tools, which must never stall
the UI. With no GPU, one line says so and why; every probe's reason is one Enter away (a
collapsed section), and in ``hive hardware``.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Mapping

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Collapsible, Sparkline, Static

from hive_tui.client.hardware_source import HardwareSample, HardwareSource, sample_hardware
from hive_tui.tui.gpu_view import gpu_blocks

REFRESH_S = 2.0
HISTORY = 60
# How hardware.runner says a probe's tool is missing.
NOT_INSTALLED = re.compile(r"([\w.+/-]+) is not installed \(not on PATH\)")
# A bar of the GPU view ("UTL [███░░] 41%"), and a row naming one of hive's workers.
GPU_BAR = re.compile(r"(?:UTL|MEM) \[(█*)░*\]\s+(\d+)%")
HIVE_ROW = re.compile(r"\S+ \(hive\)$")


def level_style(percent: int) -> str:
    # nvitop's reading: calm, loaded, nearly full.
    return "$success" if percent < 50 else "$warning" if percent < 90 else "$error"


def styled_gpus(text: str) -> Content:
    """The GPU blocks with their bars coloured by level and hive's processes in the accent."""
    content, offset = Content(text), 0
    for line in text.split("\n"):
        if found := GPU_BAR.search(line):
            start = offset + found.start(1)
            content = content.stylize(level_style(int(found[2])), start, start + len(found[1]))
        elif found := HIVE_ROW.search(line):
            content = content.stylize("bold $accent", offset + found.start(), offset + found.end())
        elif line.startswith("GPU "):
            content = content.stylize("bold", offset, offset + len(line))
        offset += len(line) + 1
    return content


def gib(n: int | None) -> str:
    return "?" if n is None else f"{n / 2**30:.1f} GiB"


def cpu_line(s: HardwareSample) -> str:
    load = f" · load {s.load_1m:.2f}" if s.load_1m is not None else ""
    return (f"CPU  {s.cpu_name} · {s.physical_cores}C/{s.logical_cores}T · "
            f"{s.cpu_percent:.0f}% busy{load}")


def ram_line(s: HardwareSample) -> str:
    share = 100 * s.ram_used_bytes / s.ram_total_bytes if s.ram_total_bytes else 0.0
    return f"RAM  {gib(s.ram_used_bytes)} of {gib(s.ram_total_bytes)} used ({share:.0f}%)"


def no_gpu_summary(notes: list[str]) -> str:
    """One line for "no GPU": the GPU tools not present, rather than every probe's reason."""
    missing = list(dict.fromkeys(m for note in notes for m in NOT_INSTALLED.findall(note)))
    if missing:
        return f"GPU  none found ({', '.join(missing)} not present)"
    return "GPU  none found" + (f" ({notes[0]})" if len(notes) == 1 else "")


class Meter(Vertical):
    """A label over a sparkline of its recent values."""

    DEFAULT_CSS = """
    Meter { height: auto; margin: 0 0 1 0; }
    Meter Static { height: auto; }
    Meter Sparkline { height: 1; }
    """

    def __init__(self, id: str) -> None:
        super().__init__(id=id)
        self.history: deque[float] = deque(maxlen=HISTORY)

    def compose(self) -> ComposeResult:
        yield Static("…", markup=False)
        yield Sparkline([], summary_function=max)

    def show(self, text: str, value: float | None) -> None:
        # A meter not composed yet, or removed already, has no children: skip them.
        for static in self.query(Static):
            static.update(text)
        if value is not None:
            self.history.append(value)
            for sparkline in self.query(Sparkline):
                sparkline.data = list(self.history)
                sparkline.display = len(self.history) > 1  # one sample would draw a solid bar


class HardwarePane(VerticalScroll):
    DEFAULT_CSS = """
    HardwarePane { height: 1fr; padding: 0 1; }
    HardwarePane #gpus { height: auto; margin: 0 0 1 0; }
    HardwarePane #no-gpu {
        height: auto; margin: 0 0 1 0; padding: 0; border: none; background: transparent;
    }
    HardwarePane #no-gpu CollapsibleTitle {
        width: 1fr; padding: 0; text-wrap: nowrap; text-overflow: ellipsis;
    }
    HardwarePane #no-gpu Contents { padding: 0 0 0 2; }
    HardwarePane #no-gpu #gpu-probes { color: $text-muted; }
    HardwarePane #plan { height: auto; border: round $secondary 60%; padding: 0 1; }
    """

    def __init__(self, plan: tuple[str, ...], source: HardwareSource = sample_hardware,
                 refresh_s: float = REFRESH_S,
                 workers: Callable[[], Mapping[int, str]] = dict, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.plan = plan
        self.source = source
        self.refresh_s = refresh_s
        self.hive_workers = workers  # this node's worker ids by pid, read at each sample
        self.last_sample: HardwareSample | None = None

    def compose(self) -> ComposeResult:
        yield Meter(id="cpu")
        yield Meter(id="ram")
        yield Static("GPU  …", id="gpus", markup=False)
        with Collapsible(title="GPU  none found", id="no-gpu") as no_gpu:
            yield Static("", id="gpu-probes", markup=False)
        no_gpu.display = False
        plan = Static("\n".join(f"· {line}" for line in self.plan) or "no plan", id="plan",
                      markup=False)
        plan.border_title = "plan"
        yield plan

    def _columns(self) -> int:
        width = self.query_one("#gpus", Static).content_region.width
        return width or self.app.size.width - 4  # before the first layout

    def on_resize(self) -> None:
        last = self.last_sample
        if last is not None and last.gpus:  # the bars follow the pane's width
            self.query_one("#gpus", Static).update(
                styled_gpus(gpu_blocks(last.gpus, self.hive_workers(), self._columns())))

    def on_mount(self) -> None:
        self.sample()
        if self.refresh_s > 0:
            self.set_interval(self.refresh_s, self.sample)

    def sample(self) -> None:
        self.run_worker(self._sample, thread=True, group="hardware", exclusive=True)

    def _sample(self) -> None:
        sample = self.source()
        self.app.call_from_thread(self.show, sample)

    def show(self, s: HardwareSample) -> None:
        self.query_one("#cpu", Meter).show(cpu_line(s), s.cpu_percent)
        share = 100 * s.ram_used_bytes / s.ram_total_bytes if s.ram_total_bytes else 0.0
        self.query_one("#ram", Meter).show(ram_line(s), share)
        gpus, no_gpu = self.query_one("#gpus", Static), self.query_one("#no-gpu", Collapsible)
        gpus.display, no_gpu.display = bool(s.gpus), not s.gpus
        self.last_sample = s
        if s.gpus:
            gpus.update(styled_gpus(gpu_blocks(s.gpus, self.hive_workers(), self._columns())))
            return
        no_gpu.title = Content(no_gpu_summary(s.notes))  # type: ignore[assignment]
        details = [*s.notes, "(hive hardware shows the same, with the plan's reasons)"]
        self.query_one("#gpu-probes", Static).update("\n".join(details))

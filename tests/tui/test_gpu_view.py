"""The hardware pane's GPU view: per GPU its bars, temperature, power and the processes on it,
with this hive's workers named; formatted from samples, and shown by the running app."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from textual.content import Content
from textual.widgets import Static

from hive_tui import wire
from hive_tui.client.hardware_source import GpuProcessSample, _gpus_from
from hive_tui.hardware.nvidia import parse_nvml_snapshot
from hive_tui.tui.gpu_view import bar_width, gpu_block, gpu_blocks, hive_pids
from tests.tui.support import RECORDED_HARDWARE, scripted_app, wait_for, wait_ready

FIXTURES = Path(__file__).parent.parent / "fixtures" / "hardware"


def recorded_gpus(folder: str) -> list:
    """GPU samples as the pane gets them, from a recorded NVML snapshot."""
    [name] = [p for p in (FIXTURES / folder).iterdir() if p.name.startswith("nvml")]
    report = wire.HardwareReport(
        platform="Linux", gpus=parse_nvml_snapshot(json.loads(name.read_text())),
        cpu=wire.CpuInfo(name="cpu", architecture="x86_64", physical_cores=1, logical_cores=1,
                         total_ram_bytes=1, available_ram_bytes=1))
    return _gpus_from(report)


def test_the_h200_block_has_bars_temperature_power_and_no_processes():
    [h200] = recorded_gpus("nvidia-h200")
    lines = gpu_block(h200, {}, columns=76).splitlines()
    assert lines[0] == "GPU 0  NVIDIA H200 · 36°C · 125 / 700 W"
    assert lines[1].startswith(" UTL [" + "░" * 40 + "]   0%  mem-ctl 0%")
    assert lines[2] == " MEM [" + "░" * 40 + "]   0%  615 MiB / 140.4 GiB"
    assert lines[3].strip() == "no processes"
    assert max(len(line) for line in lines) <= 76


def test_a_busy_card_lists_hive_workers_first_and_leaves_out_what_the_driver_refuses():
    idle, busy = recorded_gpus("nvidia-2x-rtx4090-synthetic")
    busy = dataclasses.replace(busy, processes=(*busy.processes[:1], GpuProcessSample(
        1187, None, "Xorg"), GpuProcessSample(5150, 512 * 2**20, "python3")))
    text = gpu_block(busy, {5150: "w1"}, columns=76)
    lines = text.splitlines()
    # No temperature or draw from the driver: only the limit is shown, "?" for the draw.
    assert lines[0] == "GPU 1  NVIDIA GeForce RTX 4090 · ? / 450 W"
    width = bar_width(76)
    assert lines[1] == f" UTL [{'█' * round(0.97 * width)}{'░' * (width - round(0.97 * width))}]" \
                       "  97%  mem-ctl 60%"
    assert " 83%  20.0 GiB / 24.0 GiB" in lines[2]
    rows = [line.split() for line in lines[4:]]
    assert rows == [["5150", "512", "MiB", "w1", "(hive)"],
                    ["4242", "19.0", "GiB", "?"],  # no name: the pid is not on this machine
                    ["1187", "?", "Xorg"]]
    assert max(len(line) for line in lines) <= 76
    # At 40 columns the bars shrink, the figures stay.
    narrow = gpu_block(busy, {}, columns=40).splitlines()
    assert narrow[1].startswith(" UTL [" + "█" * 10 + "]") and narrow[1].endswith("mem-ctl 60%")


def test_two_cards_are_two_blocks_a_blank_line_apart():
    gpus = recorded_gpus("nvidia-2x-rtx4090-synthetic")
    blocks = gpu_blocks(gpus, {}, columns=76).split("\n\n")
    assert [b.splitlines()[0] for b in blocks] == [
        "GPU 0  NVIDIA GeForce RTX 4090 · 41°C · 31 / 450 W",
        "GPU 1  NVIDIA GeForce RTX 4090 · ? / 450 W",
    ]
    assert blocks[0].splitlines()[-1].strip() == "no processes"


def test_only_the_nodes_own_workers_on_this_machine_are_the_hive():
    statuses = [
        wire.WorkerStatus("w0", "node-a", "m", "llama.cpp", "idle", pid=100),
        wire.WorkerStatus("w1", "node-a", "m", "llama.cpp", "loading"),
        wire.WorkerStatus("w0@node-b", "node-b", "m", "llama.cpp", "idle", pid=100),
    ]
    assert hive_pids(statuses, "node-a", "in-process") == {100: "w0"}
    assert hive_pids(statuses, "node-a", "http://127.0.0.1:8765") == {100: "w0"}
    assert hive_pids(statuses, "node-a", "localhost:8765") == {100: "w0"}
    # A node on another machine: its pids name processes there, not on these GPUs.
    assert hive_pids(statuses, "node-a", "http://192.168.1.20:8765") == {}


async def test_the_pane_names_the_worker_that_holds_a_gpu_process(isolated_dirs):
    app = scripted_app(isolated_dirs)
    app.hardware_refresh_s = 0.2  # the pane's next sample sees the workers' pids
    worker_pid: dict[str, int] = {}
    [gpu] = RECORDED_HARDWARE.gpus

    def source():
        pids = tuple(GpuProcessSample(pid, 900 * 2**20, "python3")
                     for pid in worker_pid.values())
        return dataclasses.replace(
            RECORDED_HARDWARE, gpus=[dataclasses.replace(gpu, processes=gpu.processes + pids)])

    app.hardware_source = source
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        w0 = app.statuses["w0"]
        assert w0.pid is not None
        worker_pid["w0"] = w0.pid
        await pilot.press("f5")
        gpus = app.query_one("#gpus", Static)
        await wait_for(pilot, lambda: "w0 (hive)" in str(gpus.content), 30, "the worker's row")
        lines = str(gpus.content).splitlines()
        assert lines[0] == "GPU 0  NVIDIA GeForce RTX 3060 · 58°C · 112 / 170 W"
        rows = [line.split() for line in lines[4:]]
        assert rows[0] == [str(w0.pid), "900", "MiB", "w0", "(hive)"]
        assert ["1873", "412", "MiB", "Xorg"] in rows
        content = gpus.content
        assert isinstance(content, Content)
        marked = [content.plain[span.start:span.end] for span in content.spans
                  if "$accent" in str(span.style)]
        assert marked == ["w0 (hive)"]  # hive's row stands out; Xorg's does not
        # Every line of the block fits the pane at 80 columns.
        assert max(len(line) for line in lines) <= gpus.content_region.width

"""Helpers for the app's tests: scripted apps, waiting for the swarm, steady readings."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import msgspec
from textual.pilot import Pilot

from hive_tui import wire
from hive_tui.backends.scripted_engine import write_script
from hive_tui.client.core import EventSource, LocalCore
from hive_tui.client.hardware_source import GpuProcessSample, GpuSample, HardwareSample
from hive_tui.config import load_settings
from hive_tui.node import Node
from hive_tui.node_plan import make_plan
from hive_tui.swarm.swarm import SwarmRequest, VoteResult
from hive_tui.tui.app import HiveApp

ANSWERS = ["Paris is the **capital** of France.", "Paris.", "It is London, I think."]
GiB = 2**30

# A recorded sample (a desktop with one GPU), so the hardware pane's picture is stable.
RECORDED_HARDWARE = HardwareSample(
    cpu_name="AMD Ryzen 7 5800X 8-Core Processor", logical_cores=16, physical_cores=8,
    cpu_percent=37.0, load_1m=2.5, ram_total_bytes=32 * GiB, ram_used_bytes=11 * GiB,
    gpus=[GpuSample("NVIDIA GeForce RTX 3060", "nvidia", 12 * GiB, 3 * GiB, 41.0, 58.0,
                    memory_utilisation_percent=23.0, power_watts=112.4, power_limit_watts=170.0,
                    processes=(GpuProcessSample(1873, 412 * 2**20, "Xorg"),
                               GpuProcessSample(2456, 2 * GiB, "python3")))],
)


def scripted_core(tmp_path: Path, workers: int = 3, max_tokens: int = 64,
                  core_class: type[LocalCore] = LocalCore, **script: object) -> LocalCore:
    script.setdefault("answers", ANSWERS)
    path = write_script(str(tmp_path / "script.json"), **script)
    settings = load_settings(
        {"backend": "scripted", "model": path, "workers": workers, "threads": 1,
         "node_name": "testbox", "max_tokens": max_tokens}, environ={})
    return core_class(Node(settings, make_plan(settings), node_id="test-node"))


def scripted_app(tmp_path: Path, core_class: type[LocalCore] = LocalCore, max_tokens: int = 64,
                 **script: object) -> HiveApp:
    core = scripted_core(tmp_path, core_class=core_class, max_tokens=max_tokens, **script)
    return HiveApp(core,
                   hardware_source=lambda: RECORDED_HARDWARE, hardware_refresh_s=0)


async def wait_for(pilot: Pilot, condition, timeout_s: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what or condition}")
        await pilot.pause(0.05)


async def wait_ready(pilot: Pilot, workers: int = 3) -> None:
    """Until ``workers`` are idle: the workers pane has its final cards (it remounts them as
    the workers' pids arrive)."""
    app = pilot.app
    await wait_for(pilot, lambda: sum(s.state == "idle" for s in app.statuses.values()) >= workers,
                   60, "workers to be idle")


async def ask(pilot: Pilot, prompt: str) -> None:
    await pilot.press("f1")
    pilot.app.query_one("#prompt").text = prompt
    await pilot.press("enter")


async def wait_vote(pilot: Pilot, timeout_s: float = 60.0) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: app.turn is None and app.conversation.turns
                   and app.conversation.turns[-1].finished, timeout_s, "the vote")
    await pilot.pause(0.1)


# ---------------------------------------------------------------- steady readings for snapshots


def _steady_status(s: wire.WorkerStatus) -> wire.WorkerStatus:
    return msgspec.structs.replace(
        s, pid=None, rss_bytes=48 * 2**20 if s.rss_bytes else 0,
        tokens_per_s=100.0 if s.tokens_per_s else 0.0, ttft_s=0.05 if s.ttft_s else 0.0)


def _steady_candidate(c: wire.Candidate) -> wire.Candidate:
    return msgspec.structs.replace(c, latency_s=0.25, ttft_s=0.05)


def steady(event: wire.CoreEvent) -> wire.CoreEvent:
    match event:
        case wire.WorkerStateChanged(status=s):
            return wire.WorkerStateChanged(_steady_status(s))
        case wire.CandidateDone(candidate=c):
            return msgspec.structs.replace(event, candidate=_steady_candidate(c))
        case wire.VoteDecided(candidates=cs):
            return msgspec.structs.replace(event, candidates=[_steady_candidate(c) for c in cs])
    return event


class SteadySource:
    def __init__(self, inner: EventSource) -> None:
        self.inner = inner

    async def get(self) -> wire.CoreEvent:
        return steady(await self.inner.get())

    def get_nowait(self) -> wire.CoreEvent | None:
        event = self.inner.get_nowait()
        return None if event is None else steady(event)

    def close(self) -> None:
        self.inner.close()


class SteadyCore(LocalCore):
    """The real embedded node with the readings that differ run to run (pids, memory, speeds,
    latencies) pinned, so snapshot pictures compare. Everything else is the real thing."""

    def subscribe(self) -> EventSource:
        return SteadySource(super().subscribe())

    async def statuses(self) -> list[wire.WorkerStatus]:
        return [_steady_status(s) for s in await super().statuses()]

    async def run(self, request: SwarmRequest) -> VoteResult:
        result = await super().run(request)
        return dataclasses.replace(result,
                                   candidates=[_steady_candidate(c) for c in result.candidates])


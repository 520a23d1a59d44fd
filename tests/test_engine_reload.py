"""An engine process started over with another load (a split model, or alone again): the
next child loads the new one at once, announced as a restart, never as a crash."""

from __future__ import annotations

import asyncio

import pytest

from hive_tui import wire
from hive_tui.backends.scripted_engine import write_script
from hive_tui.bus import EventBus
from hive_tui.swarm.engine_process import EngineProcess, ProcessSpec

pytestmark = pytest.mark.process


class Slot:
    worker_id = "w0"

    def __init__(self) -> None:
        self.states: list[str] = []

    def set_state(self, state: wire.WorkerState) -> None:
        self.states.append(state)


async def test_reload_loads_the_new_load_as_a_restart_not_a_crash(tmp_path):
    first = write_script(str(tmp_path / "a.json"), answers=["first"])
    second = write_script(str(tmp_path / "b.json"), answers=["second"])
    bus = EventBus()
    events = bus.subscribe()
    engine = EngineProcess(ProcessSpec(0, "scripted", wire.Load(model_path=first)), bus)
    slot = Slot()
    engine.attach(slot)
    await engine.start()
    try:
        old_pid = engine.pid
        await engine.reload(wire.Load(model_path=second, rpc_servers=["127.0.0.1:1"]))
        await asyncio.wait_for(engine.ready.wait(), 30)
        assert engine.pid is not None and engine.pid != old_pid
        assert engine.spec.load.model_path == second and engine.restarts == 1
        assert slot.states[-2:] == ["restarting", "idle"]
        seen = []
        while (event := events.get_nowait()) is not None:
            seen.append(event)
        assert [type(e) for e in seen] == [wire.WorkerRestarted]
        assert engine.process is not None
        request = wire.Generate("r", [wire.ChatMessage(role="user", content="hi")],
                                wire.SamplingParams())
        texts = [f.text async for f in engine.process.generate(request)
                 if isinstance(f, wire.Done)]
        assert texts == ["second"]  # the new load's model answers
    finally:
        await engine.stop()

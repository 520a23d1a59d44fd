"""Borrowing memory from lenders: this node's model split across peers (``--split``).

The borrower watches what linked peers advertise (``PeerStatus.lend_port``/``lend_bytes``),
asks ``split_plan`` which lenders to use, opens a ``TunnelEntrance`` on 127.0.0.1 for each
(llama.cpp's RPC client only ever talks to those) and has the node restart its first engine
process with the model split over them. One process only: ggml's RPC server serves one client
at a time, so a lender holds part of one model; the node's other processes keep voting alone
when a lender goes away. A lender that vanishes mid-answer ends that process (llama.cpp's RPC
client aborts on a broken connection): the vote goes on degraded, and the process restarts,
failing to load until the lender is back (the entrance follows it to its new port).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

from hive_tui import wire
from hive_tui.federation.local import LocalNode
from hive_tui.federation.peers import Link
from hive_tui.federation.rpc_tunnel import TunnelEntrance
from hive_tui.federation.split_plan import Offer, SplitPlan, parse_policy, plan_split

log = logging.getLogger("hive.federation.split")


def offers_of(links: list[Link]) -> list[Offer]:
    found = []
    for link in links:
        status = link.status
        if status is None or status.lend_port <= 0:
            continue
        host = link.remote.rpartition(":")[0].strip("[]")
        found.append(Offer(link.node_id, link.name, host, status.lend_port, status.lend_bytes))
    return found


def usable_memory_bytes() -> int:
    """The memory model's budget for this machine: what a borrower has for its share of a
    model, and what a lender offers (the GPUs' pools when it has GPUs, which ggml's RPC server
    then serves; else the usable RAM)."""
    from hive_tui.hardware import detect_hardware
    from hive_tui.hardware.memory import memory_budget

    return memory_budget(detect_hardware()).usable_bytes


def local_facts(model_path: str) -> tuple[int, int, int]:
    """The model's layers and bytes, and the memory this node has for it (once: the split
    must not move each time free memory does)."""
    from hive_tui.models.gguf_meta import describe_gguf

    model = describe_gguf(Path(model_path), "split")
    return model.layer_count or 0, model.file_size_bytes, usable_memory_bytes()


class Borrower:
    def __init__(
        self,
        node: LocalNode,
        key: bytes,
        links: Callable[[], list[Link]],
        facts: Callable[[str], tuple[int, int, int]] = local_facts,
    ) -> None:
        self.node = node
        self.key = key
        self.policy = node.settings.split
        parse_policy(self.policy)  # a bad value fails at start, not at the first lender
        self._links = links
        self._facts = facts
        self._known: tuple[int, int, int] | None = None
        self._entrances: dict[str, TunnelEntrance] = {}
        self._applied: SplitPlan | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.view = wire.SplitView(self.policy, "local", reason="no lender linked")

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    def offers_changed(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for entrance in self._entrances.values():
            await entrance.close()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self._reconcile(offers_of(self._links()))
            except Exception:  # a bad offer must not end borrowing for good
                log.exception("split: could not apply the lenders' offers")

    async def _reconcile(self, offers: list[Offer]) -> None:
        if not offers and self._applied is None:
            return
        if self._known is None:
            self._known = await asyncio.to_thread(self._facts, self.node.plan.model_path)
        n_layers, model_bytes, local_free = self._known
        plan, why = plan_split(self.policy, offers, n_layers, model_bytes, local_free)
        if plan is None:
            kind, _ = parse_policy(self.policy)
            if self._applied is not None and kind != "off" and why.startswith("waiting"):
                # A named lender is gone: the split stays, its process restarts when it is back.
                self.view = wire.SplitView(self.policy, "waiting", n_layers,
                                           self.view.parts, why)
                return
            if self._applied is not None:
                await self.node.split_model([], [], None)
                self._applied = None
            self.view = wire.SplitView(self.policy, "local", n_layers, reason=why)
            return
        for offer in plan.lenders:  # a lender back on a new port: the entrance follows it
            entrance = self._entrances.get(offer.node_id)
            if entrance is None:
                entrance = TunnelEntrance(self.key, self.node.node_id, offer.host, offer.port)
                await entrance.start()
                self._entrances[offer.node_id] = entrance
            entrance.lender = (offer.host, offer.port)
        self.view = plan.view(self.policy, local_free)
        if self._same(plan):
            return
        log.info("split: %s", why)
        endpoints = [self._entrances[o.node_id].endpoint for o in plan.lenders]
        await self.node.split_model(endpoints, plan.tensor_split, plan.n_gpu_layers)
        self._applied = plan

    def _same(self, plan: SplitPlan) -> bool:
        applied = self._applied
        return (
            applied is not None
            and [o.node_id for o in applied.lenders] == [o.node_id for o in plan.lenders]
            and applied.lender_layers == plan.lender_layers
        )

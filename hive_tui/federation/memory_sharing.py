"""A federation's lending and borrowing of memory (``--lend``, ``--split``), in one place the
federation service calls: start and stop, what its status advertises, and a nudge whenever a
peer's status changes or a link goes down."""

from __future__ import annotations

import asyncio
import logging

from hive_tui import wire
from hive_tui.backends.ggml_rpc import rpc_available
from hive_tui.federation.borrower import Borrower, usable_memory_bytes
from hive_tui.federation.lender import Lender
from hive_tui.federation.local import LocalNode
from hive_tui.federation.peers import Link, PeerManager

log = logging.getLogger("hive.federation.split")

# Backends whose models llama.cpp can split over RPC devices.
SPLITTABLE_BACKENDS = ("llama",)


class MemorySharing:
    def __init__(self, node: LocalNode, key: bytes, host: str, peers: PeerManager) -> None:
        self.node = node
        self.key = key
        self.host = host
        self.peers = peers
        self.lender: Lender | None = None
        self.borrower: Borrower | None = None

    async def start(self) -> None:
        settings = self.node.settings
        if settings.lend and not rpc_available():
            log.error("cannot lend: this llama-cpp-python was built without GGML_RPC "
                      "(./install.sh rebuilds it)")
        elif settings.lend:
            offer = await asyncio.to_thread(usable_memory_bytes)
            self.lender = Lender(self.key, self.node.node_id, self.host, settings.lend_port,
                                 max(1, settings.threads or 1), offer)
            try:
                await self.lender.start()
            except OSError as exc:  # the server did not start: the node still serves
                log.error("cannot lend: %s", exc)
                await self.lender.stop()
                self.lender = None
        if settings.split != "off" and self.node.plan.backend in SPLITTABLE_BACKENDS:
            self.borrower = Borrower(self.node, self.key, self._links)
            self.borrower.start()

    def _links(self) -> list[Link]:
        return sorted(self.peers.links.values(), key=lambda link: link.node_id)

    def advertised(self) -> tuple[int, int]:
        """(lend_port, lend_bytes) for this node's PeerStatus."""
        if self.lender is None:
            return 0, 0
        return self.lender.port, self.lender.offer_bytes

    def lend_view(self) -> wire.LendView | None:
        lender = self.lender
        if lender is None or lender.exit is None:
            return None
        return wire.LendView(lender.port, lender.offer_bytes, lender.exit.borrower,
                             lender.exit.refused)

    def peers_changed(self) -> None:
        if self.borrower is not None:
            self.borrower.offers_changed()

    def split_view(self) -> wire.SplitView | None:
        return self.borrower.view if self.borrower is not None else None

    async def stop(self) -> None:
        if self.borrower is not None:
            await self.borrower.stop()
        if self.lender is not None:
            await self.lender.stop()

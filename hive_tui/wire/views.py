"""What a node shows of itself to its clients: ``GET /health`` and the peers in it.

Built by the node (``Node.health``) and federation (``PeerManager.view``), encoded as JSON by
the API, decoded with these same types by ``hive --connect`` and the peers pane: one shape,
no dicts rebuilt by hand on either side.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from hive_tui.wire.values import NodeState, WorkerStatus

PeerState = Literal[
    "connecting", "connected", "unreachable", "lost", "refused", "conflict", "self"
]


class PeerView(msgspec.Struct, frozen=True):
    """One node this node knows: a linked peer (``state`` "connected", with what its last
    status said), or an address it dials and is not linked to (with why not)."""

    node_id: str | None
    name: str
    state: PeerState
    address: str  # host:port the link runs over, or the dialled target
    direction: Literal["in", "out", ""] = ""  # who dialled, for a link
    model: str = ""
    backend: str = ""
    api_port: int = 0  # where the peer's own API listens (the peers pane probes it)
    workers_ready: int = 0
    workers: int = 0
    active_requests: int = 0
    connected_s: float = 0.0
    last_seen_s: float | None = None  # seconds since the peer was last heard, for a link
    source: str = ""  # "manual" | "mdns", for a target
    last_error: str | None = None
    retry_in_s: float = 0.0


class NodeLiveness(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What ``GET /health`` answers without the API key on a node that has one: alive, and
    how many workers are ready; no addresses, process ids or error text."""

    status: NodeState
    workers_ready: int
    detail: str = "send the API key (Authorization: Bearer) for the node's details"


class PromptCacheView(msgspec.Struct, frozen=True):
    """Prompt tokens this node's workers were asked to read since it started, and how many of
    them their engines found already in their cells (a conversation's history, a shared
    system prompt) instead of evaluating them again."""

    prompt_tokens: int = 0
    cached_tokens: int = 0
    hit_rate: float = 0.0  # cached / prompt tokens


class SplitPart(msgspec.Struct, frozen=True):
    """One device holding part of a split model: this node or a lender."""

    device: str  # "local" or the lender's name
    layers: int
    node_id: str = ""  # the lender's; empty for this node
    free_bytes: int = 0  # what it offered (a lender) or has (this node)


class SplitView(msgspec.Struct, frozen=True):
    """How this node's model is spread across lenders (``hive --split``), for ``/health``."""

    policy: str  # "auto", "off" or the peers asked for
    state: str  # "local" (not split), "split", "waiting" (a named lender is not linked)
    layers: int = 0  # the model's layers
    parts: list[SplitPart] = []
    reason: str = ""


class LendView(msgspec.Struct, frozen=True):
    """This node lends memory (``hive --lend``): where its tunnel exit listens, what it
    offers, who borrows it now and how many connections it turned away."""

    port: int
    offer_bytes: int
    borrower: str | None = None  # the node id whose model runs partly here now
    refused: int = 0  # connections that failed the handshake or came while lent to another


class NodeHealth(msgspec.Struct, frozen=True):
    """What ``GET /health`` answers."""

    status: NodeState
    node_id: str
    node_name: str
    model: str
    backend: str
    strategy: str
    workers_ready: int
    workers: list[WorkerStatus]
    plan: list[str]
    peers: list[PeerView] = []
    asyncio_tasks: int | None = None  # tasks alive in the node's event loop (leak watch)
    requests_admitted: int | None = None  # chat requests inside the admission bound now
    prompt_cache: PromptCacheView | None = None  # the workers' prefix caches
    split: SplitView | None = None  # the model across lenders; None: this node never splits
    lending: LendView | None = None  # None: this node does not lend (hive --lend)

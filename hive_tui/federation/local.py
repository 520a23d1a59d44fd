"""What federation needs of the node it belongs to, as a protocol: the node (``hive_tui.node``)
sits above federation and hands itself in, so federation never imports it."""

from __future__ import annotations

from typing import Protocol

from hive_tui.bus import EventBus
from hive_tui.config import Settings
from hive_tui.swarm.swarm import Swarm


class PlanFacts(Protocol):
    """The parts of the node's plan that peers are told about."""

    @property
    def model_name(self) -> str: ...

    @property
    def backend(self) -> str: ...

    @property
    def workers(self) -> int: ...

    @property
    def n_ctx(self) -> int: ...

    @property
    def model_path(self) -> str: ...


class AdmissionGate(Protocol):
    """The node's count of requests in the house (the API's ``max_queue``): never waits."""

    def try_enter(self) -> bool: ...

    def leave(self) -> None: ...


class LocalNode(Protocol):
    """The node a ``Federation`` serves: its identity, settings, plan, swarm and bus."""

    @property
    def node_id(self) -> str: ...

    @property
    def settings(self) -> Settings: ...

    @property
    def plan(self) -> PlanFacts: ...

    @property
    def swarm(self) -> Swarm: ...

    @property
    def bus(self) -> EventBus: ...

    @property
    def admission(self) -> AdmissionGate | None: ...

    async def split_model(
        self, rpc_servers: list[str], tensor_split: list[float], n_gpu_layers: int | None
    ) -> None:
        """Restart the first engine process with its model split over ``rpc_servers``
        (``n_gpu_layers`` of its layers there, shared by ``tensor_split``); empty: alone
        again, with the plan's own ``n_gpu_layers`` (None)."""
        ...

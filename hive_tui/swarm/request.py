"""The one place a request's policy is resolved: defaults applied, strategy checked, seed drawn.

Every front end (the API, the app, ``hive ask``, a peer's request arriving over federation)
builds its ``SwarmRequest`` here, once, before the vote; ``Swarm.run`` and the federated vote
take it as it is. A request without a seed gets a fresh one, reported with the result, so any
vote can be replayed.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec

from hive_tui import consensus, wire
from hive_tui.config import Settings
from hive_tui.swarm.swarm import SwarmRequest


@dataclass(frozen=True)
class RequestDefaults:
    """What a request that does not say gets: the node's settings, or the wire defaults."""

    strategy: str = consensus.DEFAULT_STRATEGY
    temperature: float = wire.DEFAULT_TEMPERATURE
    top_p: float = wire.DEFAULT_TOP_P
    max_tokens: int = wire.DEFAULT_MAX_TOKENS
    max_context: int | None = None  # max_tokens is clamped to the workers' context
    early_exit: bool = False  # stop the workers once a strict majority agrees (config.py)

    @classmethod
    def from_settings(cls, settings: Settings, n_ctx: int | None = None) -> RequestDefaults:
        return cls(
            settings.strategy,
            settings.temperature,
            settings.top_p,
            settings.max_tokens,
            n_ctx,
            settings.early_exit,
        )


def resolve_request(
    messages: Sequence[wire.ChatMessage],
    defaults: RequestDefaults = RequestDefaults(),
    *,
    strategy: str | None = None,
    seed: int | None = None,
    workers: int | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    top_k: int | None = None,
    max_tokens: int | None = None,
    stop: Sequence[str] = (),
    tools: Sequence[wire.ToolSpec] = (),
    request_id: str | None = None,
    early_exit: bool | None = None,
) -> SwarmRequest:
    """A request ready to vote; raises ``consensus.UnknownStrategy`` for a strategy that is
    not registered (the API answers 400 naming ``hive.strategy``)."""
    strategy = defaults.strategy if strategy is None else strategy
    if strategy not in consensus.STRATEGIES:
        raise consensus.UnknownStrategy(strategy)
    tokens = max_tokens or defaults.max_tokens
    if defaults.max_context is not None:
        tokens = min(tokens, defaults.max_context)
    params = wire.SamplingParams(
        temperature=defaults.temperature if temperature is None else temperature,
        top_p=defaults.top_p if top_p is None else top_p,
        max_tokens=tokens,
        stop=list(stop),
    )
    if top_k is not None:  # a peer passes on what its origin resolved
        params = msgspec.structs.replace(params, top_k=top_k)
    request = SwarmRequest(
        list(messages),
        params,
        secrets.randbits(31) if seed is None else seed,
        strategy,
        workers,
        tools=tuple(tools),
        early_exit=defaults.early_exit if early_exit is None else early_exit,
    )
    return dataclasses.replace(request, request_id=request_id) if request_id else request

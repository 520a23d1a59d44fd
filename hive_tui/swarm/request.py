"""The one place a request's policy is resolved: defaults applied, strategy checked, seed drawn.

Every front end (the API, the app, ``hive ask``, a peer's request arriving over federation)
builds its ``SwarmRequest`` here, once, before the vote; ``Swarm.run`` and the federated vote
take it as it is. A request without a seed gets a fresh one, reported with the result, so any
vote can be replayed.
"""

from __future__ import annotations

import dataclasses
import math
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from hive_tui import consensus, wire
from hive_tui.config import CONTEXT_POLICIES, Settings
from hive_tui.errors import HiveError
from hive_tui.swarm.json_format import InvalidFormat, JsonFormat, json_format
from hive_tui.swarm.swarm import SwarmRequest

# The bounds the API's schema puts on a request (hive_tui/api/schemas.py), kept here too for
# the front ends without a schema of their own: a peer's PeerGenerate, hive --connect's VoteAsk.
MAX_MESSAGES = 1024
MAX_WORKERS = 256
MAX_STOPS = 16
# A knowledge base's name (hive_tui.retrieval.library): it names a file under the data folder.
KB_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class InvalidRequest(HiveError, ValueError):
    """A request parameter out of its range; ``param`` names it (the API answers 400)."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"invalid {param}: {message}")
        self.param = param


def _check_range(param: str, value: float | None, low: float, high: float) -> None:
    if value is not None and not (math.isfinite(value) and low <= value <= high):
        raise InvalidRequest(param, f"{value!r} is not between {low:g} and {high:g}")


def check_request(
    messages: Sequence[wire.ChatMessage],
    *,
    workers: int | None,
    temperature: float | None,
    top_p: float | None,
    top_k: int | None,
    max_tokens: int | None,
    stop: Sequence[str],
    min_p: float | None = None,
) -> None:
    """Raise ``InvalidRequest`` for what the API's schema would have refused."""
    if not messages or len(messages) > MAX_MESSAGES:
        raise InvalidRequest("messages", f"give 1 to {MAX_MESSAGES} messages")
    _check_range("temperature", temperature, 0.0, 2.0)
    _check_range("top_p", top_p, 0.0, 1.0)
    if top_p is not None and top_p <= 0:
        raise InvalidRequest("top_p", "must be above 0")
    _check_range("top_k", top_k, 0, 2**31 - 1)
    _check_range("min_p", min_p, 0.0, 1.0)
    _check_range("max_tokens", max_tokens, 1, 2**31 - 1)
    _check_range("workers", workers, 1, MAX_WORKERS)
    if len(stop) > MAX_STOPS:
        raise InvalidRequest("stop", f"at most {MAX_STOPS} stop strings")


@dataclass(frozen=True)
class RequestDefaults:
    """What a request that does not say gets: the node's settings, or the wire defaults."""

    strategy: str = consensus.DEFAULT_STRATEGY
    temperature: float = wire.DEFAULT_TEMPERATURE
    top_p: float = wire.DEFAULT_TOP_P
    max_tokens: int = wire.DEFAULT_MAX_TOKENS
    max_context: int | None = None  # max_tokens is clamped to the workers' context
    early_exit: bool = True  # stop the workers once the vote is settled (config.py)
    context: str = "error"  # the context policy (config.py); the API's default is OpenAI's
    min_p: float = wire.DEFAULT_MIN_P

    @classmethod
    def from_settings(
        cls, settings: Settings, n_ctx: int | None = None, context: str = "error"
    ) -> RequestDefaults:
        """``context``: the front end's default policy, when the setting leaves it open."""
        return cls(
            settings.strategy,
            settings.temperature,
            settings.top_p,
            settings.max_tokens,
            n_ctx,
            settings.early_exit,
            settings.context or context,
            settings.min_p,
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
    min_p: float | None = None,
    max_tokens: int | None = None,
    stop: Sequence[str] = (),
    tools: Sequence[wire.ToolSpec] = (),
    request_id: str | None = None,
    early_exit: bool | None = None,
    context: str | None = None,
    kb: str | None = None,
    from_peer: bool = False,
    response_format: str = "text",
    json_schema: dict[str, Any] | None = None,
) -> SwarmRequest:
    """A request ready to vote; raises ``consensus.UnknownStrategy`` for a strategy that is
    not registered (the API answers 400 naming ``hive.strategy``) and ``InvalidRequest`` for a
    parameter out of its range (NaN, a negative max_tokens, a billion workers) or a
    ``response_format`` that cannot be honoured ("json_object", or "json_schema" with
    ``json_schema``: every worker then samples under its grammar and the vote compares
    canonical JSON)."""
    check_request(
        messages,
        workers=workers,
        temperature=temperature,
        top_p=top_p,
        top_k=top_k,
        max_tokens=max_tokens,
        stop=stop,
        min_p=min_p,
    )
    context = context or defaults.context
    if context not in CONTEXT_POLICIES:
        names = ", ".join(CONTEXT_POLICIES)
        raise InvalidRequest("hive.context", f"{context!r} is not one of {names}")
    if kb is not None and not KB_NAME.match(kb):
        raise InvalidRequest("hive.kb", f"{kb[:80]!r} is not a knowledge base name")
    strategy = defaults.strategy if strategy is None else strategy
    if strategy not in consensus.STRATEGIES:
        raise consensus.UnknownStrategy(strategy)
    structured = _json_format(response_format, json_schema)
    if structured is not None and tools:
        raise InvalidRequest("response_format", "structured output cannot be combined with tools")
    tokens = max_tokens or defaults.max_tokens
    if defaults.max_context is not None:
        tokens = min(tokens, defaults.max_context)
    params = wire.SamplingParams(
        temperature=defaults.temperature if temperature is None else temperature,
        top_p=defaults.top_p if top_p is None else top_p,
        min_p=defaults.min_p if min_p is None else min_p,
        max_tokens=tokens,
        stop=list(stop),
        grammar=structured.grammar if structured else None,
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
        context=context,
        kb=kb,
        from_peer=from_peer,
        structured=structured,
    )
    return dataclasses.replace(request, request_id=request_id) if request_id else request


def _json_format(kind: str, schema: dict[str, Any] | None) -> JsonFormat | None:
    if kind == "text":
        return None
    if kind not in ("json_object", "json_schema"):
        raise InvalidRequest("response_format", f"{kind!r} is not text, json_object or json_schema")
    if kind == "json_schema" and schema is None:
        raise InvalidRequest("response_format", "json_schema needs json_schema.schema")
    try:
        return json_format(schema if kind == "json_schema" else None)
    except InvalidFormat as exc:
        raise InvalidRequest("response_format", str(exc)) from exc

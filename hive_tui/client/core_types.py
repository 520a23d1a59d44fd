"""Plain records the app shows about its core (split from ``core`` so helpers can share them)."""

from __future__ import annotations

from dataclasses import dataclass

from hive_tui import wire
from hive_tui.errors import HiveError
from hive_tui.node import (
    FALLBACK_TOKEN_BYTES,
    RequestDefaults,
    SwarmRequest,
    check_prompt_fits,
    resolve_request,
)
from hive_tui.wire import DEFAULT_MAX_TOKENS, DEFAULT_MIN_P, DEFAULT_TEMPERATURE, DEFAULT_TOP_P


class CoreError(HiveError):
    """A vote could not be run (no worker ready, every worker failed, node unreachable)."""


@dataclass(frozen=True)
class CoreInfo:
    """Who we are talking to, for the status line and the peers pane."""

    node_id: str
    node_name: str
    address: str  # "in-process" or the URL given to --connect
    model: str
    backend: str
    strategy: str
    plan: tuple[str, ...] = ()
    max_tokens: int = DEFAULT_MAX_TOKENS
    temperature: float = DEFAULT_TEMPERATURE
    top_p: float = DEFAULT_TOP_P
    min_p: float = DEFAULT_MIN_P
    max_context: int | None = None  # the node's workers' context, when known
    token_bytes: int = FALLBACK_TOKEN_BYTES  # the model's longest token, when known
    # A conversation over the context: the app compresses it unless the user says otherwise
    # (the ``context`` setting, or the palette's "Context: ..." commands).
    context: str = "compress"

    def request_defaults(self) -> RequestDefaults:
        """What the app's requests to this node get when the user does not say."""
        return RequestDefaults(self.strategy, self.temperature, self.top_p, self.max_tokens,
                               self.max_context, context=self.context, min_p=self.min_p)

    def request(self, messages: list[wire.ChatMessage], strategy: str,
                kb: str | None = None) -> SwarmRequest:
        """The app's next vote, resolved once here (defaults, strategy, seed, the knowledge
        base to ground on); raises ``ContextLengthExceeded`` (a ``HiveError``) for a prompt
        that cannot fit the context when the policy is "error" (the node makes it fit under
        the others)."""
        request = resolve_request(messages, self.request_defaults(), strategy=strategy, kb=kb)
        if self.max_context and request.context == "error":
            check_prompt_fits(messages, self.max_context, (), self.token_bytes)
        return request


@dataclass(frozen=True)
class PeerRecord:
    """One node of the hive as the peers pane shows it."""

    name: str
    node_id: str
    address: str
    workers: int
    workers_ready: int
    model: str
    latency_ms: float | None  # None: not measured (this node, in process)
    last_seen: float  # time.time() of the last contact
    state: str  # "ok" | "degraded" | "unavailable" | "unreachable" | "lost"
    is_self: bool = False
    lost_at: float | None = None  # time.time() when the app last saw this node linked

    @property
    def short_id(self) -> str:
        """Enough of the node id to tell two nodes with one hostname apart ("node-3f2a1c…"
        gives "3f2a1c"); a dialled address with no node id yet has none."""
        if self.node_id == self.address:
            return "-"
        return self.node_id.removeprefix("node-")[:6]

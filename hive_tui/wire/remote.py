"""The app's remote mode (``hive --connect URL``): its own typed route to a node, beside the
OpenAI-shaped one (which stays as it is for OpenAI clients).

The app sends a ``VoteAsk`` (JSON) to ``POST /v1/hive/vote`` with the request as it resolved
it, its own request id included, so the vote's events on ``/v1/hive/events`` carry that id;
the node answers with a ``VoteReply``: the whole vote (groups, scores, every node's part),
not the OpenAI view of it.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from hive_tui.wire.context import ContextReport
from hive_tui.wire.values import Candidate, ChatMessage, Decision, SamplingParams

VOTE_PATH = "/v1/hive/vote"
# The OpenAI route takes at most this many messages too (api/schemas.py).
MAX_MESSAGES = 1024

RequestId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.:-]{1,80}$")]


class VoteAsk(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One vote, resolved by the app (``resolve_request``): the node runs it as it is."""

    request_id: RequestId
    messages: Annotated[list[ChatMessage], msgspec.Meta(min_length=1, max_length=MAX_MESSAGES)]
    params: SamplingParams
    seed: int
    strategy: str
    workers: int | None = None
    context: str = "error"  # the context policy, checked by resolve_request
    kb: str | None = None  # the node's knowledge base to ground the answer on


class NodeVoteReply(msgspec.Struct, frozen=True):
    """One node's part in a federated vote: its local vote, or why it has none."""

    node_id: str
    name: str
    state: Literal["ok", "missing", "error"]
    candidates: list[Candidate] = []
    decision: Decision | None = None
    seed: int = 0
    degraded: bool = False
    missing: list[str] = []
    prompt_tokens: int = 0
    error: str | None = None
    latency_s: float = 0.0


class VoteReply(msgspec.Struct, frozen=True):
    """A node's answer to a ``VoteAsk``: the vote as the node decided it."""

    request_id: str
    seed: int
    candidates: list[Candidate]
    decision: Decision
    degraded: bool
    missing: list[str]
    prompt_tokens: int
    nodes: list[NodeVoteReply] | None = None  # a federated vote: every node's part
    deadline_s: float = 0.0
    context: ContextReport | None = None  # what the context policy did, if asked

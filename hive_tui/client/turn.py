"""One exchange of a conversation (a prompt and the swarm's vote on it), built from core events.

Pure state, no Textual: the bridge feeds ``apply()`` every event of the turn's request; the
chat pane and the vote view render what it holds. The same struct is what a saved
conversation stores, so a reopened conversation still has every past vote.
"""

from __future__ import annotations

import msgspec

from hive_tui import wire


class NodeOutcome(msgspec.Struct, kw_only=True):
    """One node's part in a federated vote: its local winner, or why it has none."""

    node_id: str
    name: str
    state: str  # "ok" | "missing" | "error"
    winner: str | None = None  # worker id (node-qualified for peers) of its local winner
    agreement: float = 0.0
    weight: int = 0  # workers behind its local winner: its weight in the global vote
    answers: int = 0
    error: str | None = None
    latency_s: float = 0.0
    score: float | None = None  # its winner's score in the global vote
    is_self: bool = False


class ToolEntry(msgspec.Struct, kw_only=True):
    """One built-in tool call the swarm voted for, and what became of it."""

    name: str
    detail: str  # the path, or the command
    approved: bool
    ok: bool
    output: str  # what the model read back (shortened)
    proposers: list[str] = []  # workers that proposed this call


class Turn(msgspec.Struct, kw_only=True):
    request_id: str
    prompt: str
    strategy: str
    worker_ids: list[str] = []
    drafts: dict[str, str] = {}  # worker id -> text streamed so far
    candidates: list[wire.Candidate] = []
    decision: wire.Decision | None = None
    degraded: bool = False
    missing: list[str] = []
    error: str | None = None
    cancelled: bool = False
    # Set while the app still awaits the core's result: a federated vote decides twice (the
    # local vote, then the global one) and a tool turn votes once per step.
    pending: bool = False
    settled: bool = False  # the core's result for ``request_id`` is in; late events are stale
    pool: list[wire.Candidate] = []  # every worker's answer (federated: of every node)
    nodes: list[NodeOutcome] = []  # federated votes only
    tools_offered: bool = False
    tools: list[ToolEntry] = []
    tool_note: str = ""  # how the workers voted on tool calls in the latest step
    final_text: str | None = None  # a tool turn's answer (may differ from the text winner)
    # What the node's context policy did to this turn's history: with ``memory`` (compress),
    # the running summary the next turns are sent with instead of the messages it replaced
    context: wire.ContextReport | None = None

    @property
    def finished(self) -> bool:
        decided = self.decision is not None and not self.pending
        return decided or self.error is not None or self.cancelled

    @property
    def federated(self) -> bool:
        return bool(self.nodes)

    @property
    def winner(self) -> wire.Candidate | None:
        if self.decision is None or not 0 <= self.decision.winner < len(self.candidates):
            return None
        return self.candidates[self.decision.winner]

    @property
    def answer(self) -> str:
        if self.final_text is not None:
            return self.final_text
        winner = self.winner
        return winner.text if winner is not None else ""

    def follow(self, request_id: str) -> None:
        """Follow the next vote of this turn (a tool turn's next step): a fresh vote."""
        self.request_id = request_id
        self.worker_ids, self.drafts, self.candidates, self.pool = [], {}, [], []
        self.decision, self.nodes, self.missing = None, [], []
        self.degraded = self.settled = False

    def leading_worker(self) -> str | None:
        """The worker whose draft the chat shows while the vote runs: the first to speak."""
        return next(iter(self.drafts), None)

    def candidate_of(self, worker_id: str) -> wire.Candidate | None:
        return next((c for c in (*self.pool, *self.candidates) if c.worker_id == worker_id), None)

    def local_winners(self) -> set[str]:
        return {n.winner for n in self.nodes if n.winner}

    def worker_state(self, worker_id: str) -> str:
        if (c := self.candidate_of(worker_id)) is not None:
            if c.finish_reason == "cancelled" and not self.cancelled:
                return "stopped"  # by early exit: the vote was settled without it
            return "done" if c.finish_reason in ("stop", "length") else c.finish_reason
        if worker_id in self.missing:
            return "missing"
        if self.finished:
            return "cancelled" if self.cancelled else "no answer"
        return "writing" if worker_id in self.drafts else "waiting"

    def apply(self, event: wire.CoreEvent) -> bool:
        """Fold one event in; False when it is not about this turn."""
        if getattr(event, "request_id", None) != self.request_id or self.settled:
            return False
        match event:
            case wire.RequestStarted(worker_ids=ids, strategy=strategy):
                self.worker_ids = list(ids)
                self.strategy = strategy
            case wire.WorkerStarted(worker_id=wid):
                if wid not in self.worker_ids:
                    self.worker_ids.append(wid)
            case wire.TokenEvent(worker_id=wid, text=text):
                self.drafts[wid] = self.drafts.get(wid, "") + text
            case wire.CandidateDone(candidate=candidate):
                self.candidates.append(candidate)
                self.pool.append(candidate)
                self.drafts[candidate.worker_id] = candidate.text
            case wire.VoteDecided(candidates=cands, decision=decision, degraded=deg, missing=miss):
                self.candidates = list(cands)
                self.decision = decision
                self.degraded = deg
                self.missing = list(miss)
            case wire.RequestFailed(message=message):
                self.error = message
            case wire.WorkerCrashed(worker_id=wid):
                if wid not in self.missing:
                    self.missing.append(wid)
            case _:
                return False
        return True

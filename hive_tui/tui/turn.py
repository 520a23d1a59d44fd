"""One exchange of a conversation (a prompt and the swarm's vote on it), built from core events.

Pure state, no Textual: the bridge feeds ``apply()`` every event of the turn's request; the
chat pane and the vote view render what it holds. The same struct is what a saved
conversation stores, so a reopened conversation still has every past vote.
"""

from __future__ import annotations

import msgspec

from hive_tui import wire


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

    @property
    def finished(self) -> bool:
        return self.decision is not None or self.error is not None or self.cancelled

    @property
    def winner(self) -> wire.Candidate | None:
        if self.decision is None or not 0 <= self.decision.winner < len(self.candidates):
            return None
        return self.candidates[self.decision.winner]

    @property
    def answer(self) -> str:
        winner = self.winner
        return winner.text if winner is not None else ""

    def leading_worker(self) -> str | None:
        """The worker whose draft the chat shows while the vote runs: the first to speak."""
        return next(iter(self.drafts), None)

    def candidate_of(self, worker_id: str) -> wire.Candidate | None:
        return next((c for c in self.candidates if c.worker_id == worker_id), None)

    def worker_state(self, worker_id: str) -> str:
        if (c := self.candidate_of(worker_id)) is not None:
            return "done" if c.finish_reason in ("stop", "length") else c.finish_reason
        if worker_id in self.missing:
            return "missing"
        if self.finished:
            return "cancelled" if self.cancelled else "no answer"
        return "writing" if worker_id in self.drafts else "waiting"

    def apply(self, event: wire.CoreEvent) -> bool:
        """Fold one event in; False when it is not about this turn."""
        if getattr(event, "request_id", None) != self.request_id:
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

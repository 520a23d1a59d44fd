"""Turning a vote into OpenAI-shaped responses (pure functions, no I/O)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hive_tui import wire
from hive_tui.api import schemas
from hive_tui.swarm.swarm import VoteResult

# The winner is streamed in word-sized pieces, so clients render it as they would a model.
_PIECES = re.compile(r"\s*\S+|\s+")


def agreement_text(decision: wire.Decision, voters: int) -> str:
    """What a user reads about a vote: "3 of 5 agree (mean similarity 0.72)"."""
    return (
        f"{decision.agree_count} of {voters} agree (mean similarity {decision.mean_similarity:.2f})"
    )


def hive_vote(result: VoteResult) -> schemas.HiveVote:
    d = result.decision
    return schemas.HiveVote(
        strategy=d.strategy,
        agreement=d.agreement,
        winner=result.winner.worker_id,
        seed=result.seed,
        degraded=result.degraded,
        missing=result.missing,
        groups=d.groups,
        candidates=[
            schemas.CandidateView(
                worker_id=c.worker_id,
                node_id=c.node_id,
                text=c.text,
                score=d.scores[i],
                tokens=c.completion_tokens,
                latency_s=round(c.latency_s, 4),
                finish_reason=c.finish_reason,
                mean_logprob=c.mean_logprob,
                winner=i == d.winner,
            )
            for i, c in enumerate(result.candidates)
        ],
        agree_count=d.agree_count,
        mean_similarity=round(d.mean_similarity, 4),
        agreement_text=agreement_text(d, len(result.candidates)),
    )


def _finish(result: VoteResult) -> str:
    reason = result.winner.finish_reason
    return reason if reason in ("stop", "length") else "stop"


def completion(result: VoteResult, model: str, created: int) -> schemas.ChatCompletion:
    winner = result.winner
    return schemas.ChatCompletion(
        id=f"chatcmpl-{result.request_id}",
        created=created,
        model=model,
        choices=[
            schemas.Choice(0, schemas.AssistantMessage("assistant", winner.text), _finish(result))
        ],
        usage=schemas.Usage(
            prompt_tokens=result.prompt_tokens,
            completion_tokens=winner.completion_tokens,
            total_tokens=result.prompt_tokens + winner.completion_tokens,
        ),
        hive=hive_vote(result),
    )


def stream_chunks(
    result: VoteResult, model: str, created: int
) -> Iterator[schemas.ChatCompletionChunk]:
    cid = f"chatcmpl-{result.request_id}"

    def chunk(delta: schemas.Delta, finish: str | None = None) -> schemas.ChatCompletionChunk:
        return schemas.ChatCompletionChunk(
            cid, created, model, [schemas.ChunkChoice(0, delta, finish)]
        )

    yield chunk(schemas.Delta(role="assistant", content=""))
    for piece in _PIECES.findall(result.winner.text):
        yield chunk(schemas.Delta(content=piece))
    last = chunk(schemas.Delta(), _finish(result))
    yield schemas.ChatCompletionChunk(last.id, created, model, last.choices, hive=hive_vote(result))

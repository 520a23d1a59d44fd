"""Turning a vote into OpenAI-shaped responses (pure functions, no I/O)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hive_tui import consensus
from hive_tui.api import schemas
from hive_tui.federation.vote import HiveResult
from hive_tui.node import VoteResult
from hive_tui.tools.decide import ToolDecision
from hive_tui.wire import Candidate, Decision

# The winner is streamed in word-sized pieces, so clients render it as they would a model.
_PIECES = re.compile(r"\s*\S+|\s+")


def word_pieces(text: str) -> list[str]:
    """``text`` in word-sized pieces that join back into it, for streaming."""
    return _PIECES.findall(text)


def _candidate_views(candidates: list[Candidate], d: Decision) -> list[schemas.CandidateView]:
    return [
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
            stop_sequence=c.stop_sequence,
        )
        for i, c in enumerate(candidates)
    ]


def _node_views(result: HiveResult) -> list[schemas.NodeVoteView]:
    return [
        schemas.NodeVoteView(
            node_id=n.node_id,
            name=n.name,
            state=n.state,
            weight=n.weight,
            agreement=n.decision.agreement if n.decision else 0.0,
            winner=n.winner.worker_id if n.winner else None,
            error=n.error,
            latency_s=round(n.latency_s, 4),
            candidates=_candidate_views(n.candidates, n.decision) if n.decision else [],
        )
        for n in result.nodes
    ]


def hive_vote(result: VoteResult, tools: ToolDecision | None = None) -> schemas.HiveVote:
    d = result.decision
    federated = isinstance(result, HiveResult)
    return schemas.HiveVote(
        strategy=d.strategy,
        agreement=d.agreement,
        winner=result.winner.worker_id,
        seed=result.seed,
        degraded=result.degraded,
        missing=result.missing,
        groups=d.groups,
        candidates=_candidate_views(result.candidates, d),
        winner_node=result.winner.node_id if federated else None,
        nodes=_node_views(result) if isinstance(result, HiveResult) else None,
        tool_vote=None if tools is None else tool_vote_view(tools),
        agree_count=d.agree_count,
        mean_similarity=round(d.mean_similarity, 4),
        agreement_text=consensus.agreement_text(d, len(result.candidates)),
        verdict=consensus.verdict(d, len(result.candidates)),
        context=result.context,
        passages=[
            schemas.PassageView(p.kb, p.path, p.start_line, p.end_line, p.score)
            for p in result.passages
        ] or None,
    )


# --- tools -----------------------------------------------------------------------------
def tool_vote_view(tools: ToolDecision) -> schemas.ToolVoteView:
    v = tools.vote
    return schemas.ToolVoteView(v.outcome, list(v.supporters), v.proposals, v.distinct, v.note)


def tool_calls_out(result: VoteResult, tools: ToolDecision) -> list[schemas.ToolCallOut]:
    return [
        schemas.ToolCallOut(
            id=f"call_{result.request_id.removeprefix('req-')}_{i}",
            function=schemas.FunctionCall(call.name, call.arguments_json()),
        )
        for i, call in enumerate(tools.calls)
    ]


def _answer(result: VoteResult, tools: ToolDecision | None) -> tuple[str | None, int, str]:
    """(content, candidate index that stands, finish_reason) with or without tools."""
    if tools is None:
        return result.winner.text, result.decision.winner, _finish(result)
    if tools.is_call:
        return None, tools.winner, "tool_calls"
    reason = result.candidates[tools.winner].finish_reason
    return tools.text, tools.winner, reason if reason == "length" else "stop"


# --- end tools -----------------------------------------------------------------------


def _finish(result: VoteResult) -> str:
    reason = result.winner.finish_reason
    return reason if reason in ("stop", "length") else "stop"


def completion(
    result: VoteResult, model: str, created: int, tools: ToolDecision | None = None
) -> schemas.ChatCompletion:
    content, index, finish = _answer(result, tools)
    calls = tool_calls_out(result, tools) if tools is not None and tools.is_call else None
    return schemas.ChatCompletion(
        id=f"chatcmpl-{result.request_id}",
        created=created,
        model=model,
        choices=[schemas.Choice(0, schemas.AssistantMessage("assistant", content, calls), finish)],
        usage=_usage(result, index),
        hive=hive_vote(result, tools),
    )


def chunk_usage(result: VoteResult) -> schemas.Usage:
    """The counts of the winner's answer, for ``stream_options.include_usage``."""
    return _usage(result, result.decision.winner)


def _usage(result: VoteResult, winner: int) -> schemas.Usage:
    tokens = result.candidates[winner].completion_tokens
    return schemas.Usage(result.prompt_tokens, tokens, result.prompt_tokens + tokens,
                         schemas.PromptTokensDetails(result.cached_tokens))


def stream_chunks(
    result: VoteResult,
    model: str,
    created: int,
    tools: ToolDecision | None = None,
    include_usage: bool = False,
) -> Iterator[schemas.ChatCompletionChunk]:
    """The answer as chunks; with ``include_usage`` (``stream_options``) one more at the end,
    with no choices and the counts, as OpenAI sends it."""
    cid = f"chatcmpl-{result.request_id}"

    def chunk(delta: schemas.Delta, finish: str | None = None) -> schemas.ChatCompletionChunk:
        return schemas.ChatCompletionChunk(
            cid, created, model, [schemas.ChunkChoice(0, delta, finish)]
        )

    content, index, finish = _answer(result, tools)
    yield chunk(schemas.Delta(role="assistant", content=""))
    for piece in _PIECES.findall(content or ""):
        yield chunk(schemas.Delta(content=piece))
    if tools is not None and tools.is_call:
        deltas = [
            schemas.ToolCallDelta(i, c.id, c.function)
            for i, c in enumerate(tool_calls_out(result, tools))
        ]
        yield chunk(schemas.Delta(tool_calls=deltas))
    last = chunk(schemas.Delta(), finish)
    vote = hive_vote(result, tools)
    yield schemas.ChatCompletionChunk(last.id, created, model, last.choices, hive=vote)
    if include_usage:
        yield schemas.ChatCompletionChunk(cid, created, model, [], usage=_usage(result, index))

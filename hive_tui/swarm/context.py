"""Applying a request's context policy before its vote: ``truncate`` and ``compress``.

The plan is ``context_plan``'s (pure); here the tokens are counted with the model's own
tokenizer (``token_count``) and, for ``compress``, the dropped turns are summarised by the
swarm itself: each summary is a vote like any answer, asked through the caller's ``answer``
(``Node.answer``, so a hive of several nodes votes on it too). Whatever is done is said in a
``wire.ContextReport``; what cannot be made to fit raises ``ContextLengthExceeded`` (the 400),
so no request loses its system prompt or its last user message silently.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence

import msgspec

from hive_tui import wire
from hive_tui.swarm import context_plan as plan
from hive_tui.swarm.swarm import ContextLengthExceeded, SwarmRequest, VoteResult, derive_seed
from hive_tui.swarm.token_count import (
    TEMPLATE_TOKENS_FIXED,
    TEMPLATE_TOKENS_PER_MESSAGE,
    TextCounter,
    message_tokens,
)

Answer = Callable[[SwarmRequest], Awaitable[VoteResult]]

# Tokens a summary vote may write, and the memory's share of the prompt's budget (the rest
# is for the turns kept as they were).
SUMMARY_MAX_TOKENS = 64
MEMORY_SHARE = 3  # a third
SAFETY_TOKENS = 8  # for what a count might miss (a template's trailing newline, a BOS)
SUMMARY_SYSTEM = (
    "You summarise conversations. Keep every fact: names, numbers, codes, dates, places "
    "and what the user asked for. Write short plain sentences."
)
SUMMARY_ASK = "Summarise this part of a conversation, keeping every fact:\n\n{transcript}"
_GAP = "[...]"


def budget_for(n_ctx: int, max_tokens: int) -> int:
    """The prompt's budget: the context less the answer's room (its max_tokens, or half the
    context where max_tokens would leave less) and a safety margin; the chat template's own
    tokens are counted with the messages (``token_count``)."""
    return n_ctx - min(max_tokens, n_ctx // 2) - SAFETY_TOKENS


async def fit_context(
    request: SwarmRequest, n_ctx: int, count: TextCounter, exact: bool, answer: Answer
) -> tuple[SwarmRequest, wire.ContextReport]:
    """The request made to fit its context by its policy, and what was done."""
    messages = list(request.messages)
    counts = message_tokens(messages, count)
    budget = budget_for(n_ctx, request.params.max_tokens)
    room = budget - TEMPLATE_TOKENS_FIXED  # for the messages themselves
    before = sum(counts) + TEMPLATE_TOKENS_FIXED
    report = wire.ContextReport(request.context, "none", budget, before, before, exact)
    if sum(counts) <= room:
        return request, report
    if request.context == "truncate":
        cut = plan.plan_conversation(messages, counts, room)
        if not cut.fits:
            raise _too_long(messages, counts, cut.dropped, n_ctx, exact)
        kept = [m for i, m in enumerate(messages) if i not in set(cut.dropped)]
        gone = sum(counts[i] for i in cut.dropped)
        report = msgspec.structs.replace(
            report, action="truncated", prompt_tokens_after=before - gone,
            dropped_messages=len(cut.dropped), dropped_tokens=gone,
            note=f"{len(cut.dropped)} oldest messages ({gone} tokens) left out to fit the context",
        )
        return dataclasses.replace(request, messages=kept), report
    return await _compress(request, messages, counts, room, n_ctx, count, exact, answer, report)


async def _compress(
    request: SwarmRequest,
    messages: list[wire.ChatMessage],
    counts: list[int],
    room: int,
    n_ctx: int,
    count: TextCounter,
    exact: bool,
    answer: Answer,
    report: wire.ContextReport,
) -> tuple[SwarmRequest, wire.ContextReport]:
    memory_room = room // MEMORY_SHARE
    cut = plan.plan_conversation(messages, counts, room - memory_room)
    if not cut.dropped:  # nothing to drop: the protected messages alone are too long
        cut = plan.plan_conversation(messages, counts, room)
    dropped = [messages[i] for i in cut.dropped]
    question = plan.question_of(_last_user(messages).content)
    notes: list[str] = []
    if dropped:
        recalled, summary, votes = await _memory(
            request, dropped, question, memory_room, n_ctx, count, answer
        )
        memory = plan.memory_message(summary, recalled)
        first = cut.dropped[0]
        kept = [m for i, m in enumerate(messages) if i not in set(cut.dropped)]
        messages = kept[:first] + [memory] + kept[first:]
        gone = sum(counts[i] for i in cut.dropped)
        report = msgspec.structs.replace(
            report, dropped_messages=len(dropped), dropped_tokens=gone,
            summarised_messages=len(dropped), summary=summary, summary_votes=votes,
            recalled_passages=len(recalled), memory=memory.content,
        )
        notes.append(f"{len(dropped)} earlier messages ({gone} tokens) summarised by "
                     f"{votes} vote(s), {len(recalled)} passage(s) recalled")
        counts = message_tokens(messages, count)
    if sum(counts) > room:  # a long last message (a pasted document): keep what it asks about
        messages, kept_n, total_n = _extract(messages, counts, room, count)
        if kept_n:
            report = msgspec.structs.replace(report, passages_kept=kept_n, passages_total=total_n)
            notes.append(f"the last message cut to {kept_n} of its {total_n} passages, "
                         "the most relevant to its question")
        counts = message_tokens(messages, count)
    if sum(counts) > room:
        raise _too_long(messages, counts, (), n_ctx, exact)
    after = sum(counts) + TEMPLATE_TOKENS_FIXED
    report = msgspec.structs.replace(
        report, action="compressed", prompt_tokens_after=after, note="; ".join(notes)
    )
    return dataclasses.replace(request, messages=messages), report


async def _memory(
    request: SwarmRequest,
    dropped: Sequence[wire.ChatMessage],
    question: str,
    memory_room: int,
    n_ctx: int,
    count: TextCounter,
    answer: Answer,
) -> tuple[list[str], str, int]:
    """(recalled passages, summary, summary votes) standing for the dropped messages within
    ``memory_room`` tokens: half for the passages most relevant to the question, the rest
    for the swarm's summary (its sentences most relevant first when it runs long)."""
    passages = plan.split_passages(plan.render_turns(dropped))
    sizes = [count(p) + 2 for p in passages]
    wanted = plan.select_passages(plan.bm25_scores(passages, question), sizes, memory_room // 2)
    recalled = [passages[i] for i in wanted]
    left = memory_room - sum(sizes[i] for i in wanted) - TEMPLATE_TOKENS_PER_MESSAGE - 16
    pieces = _pieces(passages, sizes, _summary_room(n_ctx, count))
    summaries = []
    for n, piece in enumerate(pieces):
        ask = wire.ChatMessage("user", SUMMARY_ASK.format(transcript="\n\n".join(piece)))
        summary_request = dataclasses.replace(
            request,
            messages=[wire.ChatMessage("system", SUMMARY_SYSTEM), ask],
            params=msgspec.structs.replace(
                request.params, max_tokens=SUMMARY_MAX_TOKENS, stop=[]
            ),
            seed=derive_seed(request.seed or 0, 1000 + n),
            tools=(),
            context="error",
            request_id=f"{request.request_id}-summary-{n}",
        )
        result = await answer(summary_request)
        summaries.append(result.winner.text.strip())
    # small models repeat themselves: each sentence once
    sentences = list(dict.fromkeys(plan.split_passages(" ".join(summaries), size=1)))
    sent_sizes = [count(s) + 1 for s in sentences]
    # relevant sentences first, then the rest in order, while they fit
    scores = [s + 1e-6 * (len(sentences) - i) for i, s in
              enumerate(plan.bm25_scores(sentences, question))]
    summary = " ".join(sentences[i] for i in plan.select_passages(scores, sent_sizes, left))
    return recalled, summary, len(pieces)


def _summary_room(n_ctx: int, count: TextCounter) -> int:
    """How much transcript one summary vote can read."""
    fixed = count(SUMMARY_SYSTEM) + count(SUMMARY_ASK) + 2 * TEMPLATE_TOKENS_PER_MESSAGE
    return max(32, budget_for(n_ctx, SUMMARY_MAX_TOKENS) - TEMPLATE_TOKENS_FIXED - fixed)


def _pieces(passages: list[str], sizes: list[int], room: int) -> list[list[str]]:
    """Consecutive passages grouped so each group fits ``room`` (a passage longer than that
    is cut to its first words: a summary of most of it beats none)."""
    pieces: list[list[str]] = []
    current: list[str] = []
    used = 0
    for passage, size in zip(passages, sizes, strict=True):
        if size > room:
            passage = " ".join(passage.split()[: room // 2])
            size = room
        if current and used + size > room:
            pieces.append(current)
            current, used = [], 0
        current.append(passage)
        used += size
    if current:
        pieces.append(current)
    return pieces


def _last_user(messages: Sequence[wire.ChatMessage]) -> wire.ChatMessage:
    users = [m for m in messages if m.role == "user"]
    return users[-1] if users else messages[-1]


def _extract(
    messages: list[wire.ChatMessage], counts: list[int], room: int, count: TextCounter
) -> tuple[list[wire.ChatMessage], int, int]:
    """The last user message cut to its passages most relevant to its question (its last
    passage, always kept), in document order, ``[...]`` where passages were left out."""
    index = max((i for i, m in enumerate(messages) if m.role == "user"), default=-1)
    if index < 0:
        return messages, 0, 0
    text = messages[index].content
    passages = plan.split_passages(text)
    if len(passages) < 2:
        return messages, 0, 0
    sizes = [count(p) + 4 for p in passages]  # + a blank line and a possible [...]
    left = room - (sum(counts) - counts[index]) - TEMPLATE_TOKENS_PER_MESSAGE - count("user")
    scores = plan.bm25_scores(passages, passages[-1])
    keep = plan.select_passages(scores, sizes, left, always=[len(passages) - 1])
    parts: list[str] = []
    for n, i in enumerate(keep):
        if i != (keep[n - 1] + 1 if n else 0):
            parts.append(_GAP)
        parts.append(passages[i])
    cut = wire.ChatMessage(messages[index].role, "\n\n".join(parts))
    return messages[:index] + [cut] + messages[index + 1 :], len(keep), len(passages)


def _too_long(
    messages: Sequence[wire.ChatMessage],
    counts: Sequence[int],
    dropped: Sequence[int],
    n_ctx: int,
    exact: bool,
) -> ContextLengthExceeded:
    """What is left once every droppable message is gone is still too long: the 400."""
    kept = sum(c for i, c in enumerate(counts) if i not in set(dropped))
    return ContextLengthExceeded(kept + TEMPLATE_TOKENS_FIXED, n_ctx, exact)

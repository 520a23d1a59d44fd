"""Applying the context policies (``swarm/context.py``) without a model: tokens counted as
words, the swarm's summary votes answered by a stand-in that records what it was asked.

The property every policy keeps: the system prompt and the last user message reach the vote
as they were, or the request fails with the 400, or (``compress`` cutting a long last message)
the report says so and the message's question is still there."""

from __future__ import annotations

import asyncio
import random

import pytest

from hive_tui import wire
from hive_tui.swarm.context import fit_context
from hive_tui.swarm.request import InvalidRequest, RequestDefaults, resolve_request
from hive_tui.swarm.swarm import ContextLengthExceeded, SwarmRequest, VoteResult

SYSTEM = "You are a careful assistant."


def words(text: str) -> int:
    return len(text.split())


class Summariser:
    def __init__(self) -> None:
        self.asked: list[SwarmRequest] = []

    async def __call__(self, request: SwarmRequest) -> VoteResult:
        self.asked.append(request)
        candidate = wire.Candidate("w0", "The user talked about the weather.")
        decision = wire.Decision(request.strategy, 0, [1.0], [[0]], 1.0, agree_count=1)
        return VoteResult(request.request_id, request.seed or 0, [candidate], decision,
                          False, [], 10)


def long_conversation(turns: int, fact: str = "My locker code is 4817.") -> list[wire.ChatMessage]:
    messages = [wire.ChatMessage("system", SYSTEM), wire.ChatMessage("user", fact),
                wire.ChatMessage("assistant", "Noted.")]
    for i in range(turns):
        messages.append(wire.ChatMessage("user", f"Tell me about topic {i}. " + "blah " * 20))
        messages.append(wire.ChatMessage("assistant", "It is interesting. " + "more " * 20))
    messages.append(wire.ChatMessage("user", "What is my locker code?"))
    return messages


def request(messages: list[wire.ChatMessage], policy: str, max_tokens: int = 64) -> SwarmRequest:
    return resolve_request(messages, RequestDefaults(), context=policy, max_tokens=max_tokens)


def fit(req: SwarmRequest, n_ctx: int = 400, answer: Summariser | None = None):
    return asyncio.run(fit_context(req, n_ctx, words, True, answer or Summariser()))


def test_the_policy_is_resolved_with_the_request_and_checked():
    assert request(long_conversation(1), "truncate").context == "truncate"
    assert resolve_request(long_conversation(1), RequestDefaults()).context == "error"
    assert resolve_request(long_conversation(1), RequestDefaults(context="compress")).context \
        == "compress"
    with pytest.raises(InvalidRequest) as caught:
        request(long_conversation(1), "shorten")
    assert caught.value.param == "hive.context"


def test_a_prompt_that_fits_is_left_as_it_is():
    req = request(long_conversation(1), "compress")
    fitted, report = fit(req, n_ctx=4096)
    assert fitted.messages == req.messages and report.action == "none"


def test_truncate_drops_the_oldest_turns_and_says_how_many():
    req = request(long_conversation(20), "truncate")
    fitted, report = fit(req)
    assert report.action == "truncated" and report.dropped_messages > 0
    assert fitted.messages[0] == req.messages[0] and fitted.messages[-1] == req.messages[-1]
    assert len(fitted.messages) == len(req.messages) - report.dropped_messages
    assert report.prompt_tokens_after <= report.budget_tokens < report.prompt_tokens_before
    assert "4817" not in " ".join(m.content for m in fitted.messages)  # the fact went


def test_compress_summarises_by_votes_and_recalls_the_relevant_passage():
    summariser = Summariser()
    req = request(long_conversation(20), "compress")
    fitted, report = fit(req, answer=summariser)
    assert report.action == "compressed" and report.summary_votes == len(summariser.asked) > 0
    assert all(r.context == "error" and not r.tools for r in summariser.asked)
    assert fitted.messages[0] == req.messages[0] and fitted.messages[-1] == req.messages[-1]
    memory = fitted.messages[1]
    assert memory.role == "system" and "4817" in memory.content  # recalled for the question
    assert report.summarised_messages == report.dropped_messages > 0
    assert report.prompt_tokens_after <= report.budget_tokens


def test_compress_cuts_a_pasted_document_to_what_the_question_asks_about():
    filler = [f"Paragraph {i} is about gardening and the colour of leaves in spring." * 3
              for i in range(40)]
    filler[7] = "The secret harbour of the expedition was Port Veloria."
    doc = "\n\n".join(filler) + "\n\nWhich harbour was the secret harbour of the expedition?"
    req = request([wire.ChatMessage("system", SYSTEM), wire.ChatMessage("user", doc)], "compress")
    fitted, report = fit(req)
    last = fitted.messages[-1].content
    assert "Port Veloria" in last and last.endswith("secret harbour of the expedition?")
    assert 0 < report.passages_kept < report.passages_total
    assert fitted.messages[0] == req.messages[0]
    with pytest.raises(ContextLengthExceeded):  # truncate may not cut the last message
        fit(request(req.messages, "truncate"))


def test_no_policy_loses_the_system_prompt_or_the_last_user_message_silently():
    rng = random.Random(3)
    for trial in range(60):
        messages = [wire.ChatMessage("system", "sys " * rng.randint(1, 30))]
        for _ in range(rng.randint(0, 12)):
            messages.append(wire.ChatMessage("user", "u " * rng.randint(1, 80)))
            messages.append(wire.ChatMessage("assistant", "a " * rng.randint(1, 80)))
        last = wire.ChatMessage("user", "q " * rng.randint(1, 300) + "?")
        messages.append(last)
        for policy in ("truncate", "compress"):
            req = request(messages, policy)
            try:
                fitted, report = fit(req, n_ctx=rng.choice([256, 512, 1024]))
            except ContextLengthExceeded:
                continue  # said, with the counts: not silent
            assert fitted.messages[0] == messages[0], (trial, policy)
            if fitted.messages[-1] != last:
                assert policy == "compress" and report.passages_kept > 0, (trial, policy)
            assert report.prompt_tokens_after <= report.budget_tokens

"""The context planner (pure): which turns go, which passages stay."""

from __future__ import annotations

import random

from hive_tui import wire
from hive_tui.swarm import context_plan as plan


def msg(role: str, text: str) -> wire.ChatMessage:
    return wire.ChatMessage(role, text)


def conversation(turns: int) -> list[wire.ChatMessage]:
    messages = [msg("system", "be brief")]
    for i in range(turns):
        messages += [msg("user", f"question {i}"), msg("assistant", f"answer {i}")]
    return messages + [msg("user", "last question")]


def test_protected_are_the_system_messages_and_the_last_user_message_onwards():
    messages = conversation(2) + [msg("assistant", "calling"), msg("tool", "result")]
    keep = plan.protected(messages)
    assert [i for i, k in enumerate(keep) if k] == [0, 5, 6, 7]


def test_the_oldest_turns_go_first_and_whole():
    messages = conversation(3)  # system, u0 a0 u1 a1 u2 a2, last
    counts = [10] * len(messages)
    cut = plan.plan_conversation(messages, counts, budget=45)
    assert cut.fits
    # 80 tokens, 45 allowed: u0, a0, u1, a1 go (u1 alone would leave a1 without its question)
    assert cut.dropped == (1, 2, 3, 4)


def test_nothing_goes_when_it_fits():
    messages = conversation(2)
    cut = plan.plan_conversation(messages, [5] * len(messages), budget=1000)
    assert cut == plan.TurnPlan((), True)


def test_the_protected_messages_alone_too_long_does_not_fit_and_keeps_them():
    messages = conversation(2)
    counts = [500] + [1] * 4 + [500]
    cut = plan.plan_conversation(messages, counts, budget=100)
    assert not cut.fits
    assert 0 not in cut.dropped and len(messages) - 1 not in cut.dropped


def test_random_conversations_never_lose_the_protected_messages():
    rng = random.Random(7)
    for _ in range(300):
        n = rng.randint(1, 12)
        messages = [msg(rng.choice(["system", "user", "assistant", "tool"]), "x")
                    for _ in range(n)]
        counts = [rng.randint(1, 50) for _ in range(n)]
        budget = rng.randint(0, 300)
        cut = plan.plan_conversation(messages, counts, budget)
        keep = plan.protected(messages)
        assert not any(keep[i] for i in cut.dropped)
        kept = sum(c for i, c in enumerate(counts) if i not in cut.dropped)
        assert cut.fits == (kept <= budget)
        assert list(cut.dropped) == sorted(set(cut.dropped))


def test_bm25_ranks_the_passage_that_shares_the_question_words_first():
    passages = ["The weather was mild all week.", "The vault code is 7319, said Ada.",
                "Lunch was soup and bread."]
    scores = plan.bm25_scores(passages, "What is the vault code?")
    assert scores.index(max(scores)) == 1
    assert scores[0] == scores[2] == 0


def test_selected_passages_fit_and_come_back_in_document_order():
    scores = [0.1, 3.0, 0.0, 2.0, 1.0]
    counts = [10, 10, 10, 30, 10]
    chosen = plan.select_passages(scores, counts, budget=30, always=[4])
    assert chosen == [1, 4] or chosen == [0, 1, 4]
    assert sum(counts[i] for i in chosen) <= 30
    assert chosen == sorted(chosen) and 4 in chosen


def test_split_passages_keeps_every_word_in_order():
    text = ("Alpha beta. " * 50) + "\n\n" + "Gamma delta? Epsilon."
    passages = plan.split_passages(text, size=20)
    assert " ".join(passages).split() == text.split()
    assert all(len(p.split()) <= 20 for p in passages[:-1])
    assert plan.question_of(text) == "Gamma delta? Epsilon."


def test_memory_message_is_a_system_message_with_the_recalled_passages_and_summary():
    memory = plan.memory_message("They talked about boats.", ["user: my code is 42"])
    assert memory.role == "system"
    assert "my code is 42" in memory.content and "boats" in memory.content

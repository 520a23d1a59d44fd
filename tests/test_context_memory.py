"""The app's running summary: a turn the node compressed keeps the memory, and the next turns
are sent with it instead of the messages it replaced, saved and reopened alike."""

from __future__ import annotations

from hive_tui import wire
from hive_tui.client.conversations import Conversation, ConversationStore
from hive_tui.client.turn import Turn
from hive_tui.swarm import context_plan


def answered(prompt: str, answer: str, report: wire.ContextReport | None = None) -> Turn:
    return Turn(request_id=f"r-{prompt}", prompt=prompt, strategy="majority",
                final_text=answer, context=report)


def compressed(dropped: int, memory: str) -> wire.ContextReport:
    return wire.ContextReport("compress", "compressed", 400, 900, 380, True,
                              dropped_messages=dropped, memory=memory)


def test_the_memory_stands_for_the_messages_it_replaced_from_then_on(tmp_path):
    conversation = Conversation.new()
    for i in range(3):
        conversation.add(answered(f"q{i}", f"a{i}"))
    memory = f"{context_plan.MEMORY_MARK}\nSummary: q0 and q1 were asked."
    # turn 3 was sent q0 a0 q1 a1 q2 a2 + q3; the node replaced the first four with the memory
    conversation.add(answered("q3", "a3", compressed(4, memory)))
    conversation.add(answered("q4", "a4"))
    sent = [(m.role, m.content) for m in conversation.messages_for("q5")]
    assert sent == [("system", memory), ("user", "q2"), ("assistant", "a2"), ("user", "q3"),
                    ("assistant", "a3"), ("user", "q4"), ("assistant", "a4"), ("user", "q5")]
    store = ConversationStore(tmp_path)
    store.save(conversation)
    assert store.latest().messages_for("q5") == conversation.messages_for("q5")


def test_a_later_memory_folds_the_earlier_one_in():
    conversation = Conversation.new()
    first = f"{context_plan.MEMORY_MARK}\nSummary: one."
    second = f"{context_plan.MEMORY_MARK}\nSummary: one and two."
    conversation.add(answered("q0", "a0"))
    conversation.add(answered("q1", "a1", compressed(2, first)))  # q0 a0 went
    # turn 2 was sent [first, q1, a1] + q2: the earlier memory and q1 a1 went into the second
    assert context_plan.protected(conversation.messages_for("q2"))[0] is False
    conversation.add(answered("q2", "a2", compressed(3, second)))
    sent = [(m.role, m.content) for m in conversation.messages_for("q3")]
    assert sent == [("system", second), ("user", "q2"), ("assistant", "a2"), ("user", "q3")]

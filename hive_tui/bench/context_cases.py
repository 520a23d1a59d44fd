"""The cases of ``hive bench context``: a fact planted early, asked about at the end.

Two shapes, generated (seeded) to a target length in tokens: a long conversation whose first
user turn states the fact, and one user message pasting long notes with the fact in an early
paragraph and the question after them. The filler has no digits and none of the facts' words,
so an answer that names the fact read it from the prompt.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from hive_tui import wire

SYSTEM = "You are a helpful assistant. Answer briefly."


@dataclass(frozen=True)
class Fact:
    statement: str  # what the user says, early
    question: str  # what the user asks, at the end
    answer: str  # found in a right answer (case-insensitive)


FACTS = (
    Fact("My locker code is 4817.", "What is my locker code?", "4817"),
    Fact("My dog is called Biscuit.", "What is my dog called?", "Biscuit"),
    Fact("My flight number is KL1392.", "What is my flight number?", "1392"),
    Fact("My favourite colour is turquoise.", "What is my favourite colour?", "turquoise"),
    Fact("My hometown is Ravenna.", "What is my hometown?", "Ravenna"),
    Fact("The wifi password is pelican42.", "What is the wifi password?", "pelican42"),
    Fact("My meeting is in room 314.", "Which room is my meeting in?", "314"),
    Fact("My grandmother was born in 1931.", "In which year was my grandmother born?", "1931"),
    Fact("My boat is named Albatross.", "What is my boat named?", "Albatross"),
    Fact("My employee number is 58226.", "What is my employee number?", "58226"),
    Fact("My cat is called Pemberton.", "What is my cat called?", "Pemberton"),
    Fact("My bank branch is on Willow Street.", "Which street is my bank branch on?", "Willow"),
)

TOPICS = (
    "gardening", "baking bread", "river fishing", "chess openings", "woodworking",
    "bird watching", "mountain hiking", "pottery", "sailing knots", "jazz piano",
    "tea ceremonies", "origami", "beekeeping", "astronomy for beginners", "watercolour",
)
_SENTENCES = (
    "{t} has a long history that many people find interesting.",
    "Experts often say that {t} rewards patience and steady practice.",
    "A good way to start with {t} is to learn from someone experienced.",
    "Many beginners in {t} make small mistakes and learn from them quickly.",
    "The tools used in {t} are simple, but choosing them well matters.",
    "Some people enjoy {t} alone, while others prefer to share it with friends.",
    "Books and local clubs are both useful when you want to improve at {t}.",
    "Over time, {t} can become a calm and rewarding habit.",
    "Weather and season change how people approach {t} in many places.",
    "There are regional traditions in {t} that differ in small but charming ways.",
)
_ASKS = (
    "Tell me something about {t}.", "What should a beginner know about {t}?",
    "Why do people like {t}?", "Can you describe {t} a little?",
)

Counter = Callable[[str], int]


def _paragraph(rng: random.Random, topic: str, sentences: int = 4) -> str:
    picked = rng.sample(_SENTENCES, sentences)
    text = " ".join(s.format(t=topic) for s in picked)
    return text[0].upper() + text[1:]


def conversation(fact: Fact, tokens: int, count: Counter, seed: int) -> list[wire.ChatMessage]:
    """A conversation of about ``tokens`` tokens: the fact first, the question last."""
    rng = random.Random(seed)
    messages = [
        wire.ChatMessage("system", SYSTEM),
        wire.ChatMessage("user", f"Please remember this: {fact.statement}"),
        wire.ChatMessage("assistant", f"Sure, I will remember that. {fact.statement}"),
    ]
    used = sum(count(m.content) + 8 for m in messages)
    while used < tokens:
        topic = rng.choice(TOPICS)
        turn = [wire.ChatMessage("user", rng.choice(_ASKS).format(t=topic)),
                wire.ChatMessage("assistant", _paragraph(rng, topic))]
        messages += turn
        used += sum(count(m.content) + 8 for m in turn)
    return messages + [wire.ChatMessage("user", fact.question)]


def document(fact: Fact, tokens: int, count: Counter, seed: int) -> list[wire.ChatMessage]:
    """One user message of about ``tokens`` tokens: notes with the fact in an early paragraph,
    then the question."""
    rng = random.Random(seed)
    paragraphs: list[str] = []
    used = 0
    while used < tokens:
        paragraph = _paragraph(rng, rng.choice(TOPICS), 5)
        paragraphs.append(paragraph)
        used += count(paragraph) + 2
    at = max(1, len(paragraphs) // 8)
    paragraphs[at] = f"{paragraphs[at]} {fact.statement}"
    text = ("Here are my notes.\n\n" + "\n\n".join(paragraphs)
            + f"\n\nQuestion: {fact.question} Answer briefly.")
    return [wire.ChatMessage("system", SYSTEM), wire.ChatMessage("user", text)]


def is_right(answer: str, fact: Fact) -> bool:
    return fact.answer.lower() in answer.lower()

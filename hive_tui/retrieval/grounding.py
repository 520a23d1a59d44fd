"""Passages into the prompt, and how well an answer is supported by them.

The passages go before the question, each under its source (file:first-last line), with an
instruction to answer from them in a short sentence: a 135M model copies a fact it is shown
right next to the question far more reliably than it follows a long system prompt. After the
vote, ``prefer_supported`` weighs each answer by the share of its content words found in the
passages (a cheap check of its claims against the sources), and ``cite`` names the passages an
answer draws on, so every grounded answer carries its sources whatever the model wrote.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import msgspec

from hive_tui import wire
from hive_tui.retrieval.store import STOPWORDS

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
SUPPORT_WEIGHT = 0.5  # of a candidate's vote score given to its support by the passages
PASSAGE_CHARS = 700  # of each passage shown to the model: three fit a 2048-token context


def content_words(text: str) -> list[str]:
    return [w for w in (m.lower() for m in _WORD.findall(text)) if w not in STOPWORDS]


def label(passage: wire.Passage) -> str:
    """The source as the prompt and the citation show it: the file name and its lines."""
    return f"{Path(passage.path).name}:{passage.start_line}-{passage.end_line}"


def grounded_messages(
    messages: Sequence[wire.ChatMessage], passages: Sequence[wire.Passage]
) -> list[wire.ChatMessage]:
    """``messages`` with the last user message prefixed by the passages and their sources."""
    if not passages:
        return list(messages)
    last = max((i for i, m in enumerate(messages) if m.role == "user"), default=None)
    if last is None:
        return list(messages)
    # Best passage last, right before the question: a small model leans on what it read last.
    context = "\n\n".join(
        f"[{label(p)}]\n{p.text[:PASSAGE_CHARS].strip()}" for p in reversed(passages)
    )
    question = messages[last].content
    prompt = (
        f"Sources:\n{context}\n\n"
        f"Answer the question with the exact words of the sources, in one short sentence.\n"
        f"Question: {question}"
    )
    out = list(messages)
    out[last] = msgspec.structs.replace(messages[last], content=prompt)
    return out


def support_share(answer: str, passages: Sequence[str]) -> float:
    """The share of the answer's content words found in the passages, 0..1 (0 for none)."""
    words = content_words(answer)
    if not words:
        return 0.0
    known = {w for text in passages for w in content_words(text)}
    return sum(w in known for w in words) / len(words)


def prefer_supported(
    candidates: Sequence[wire.Candidate],
    decision: wire.Decision,
    passages: Sequence[str],
    weight: float = SUPPORT_WEIGHT,
) -> wire.Decision:
    """The decision with each score blended with its answer's support; the winner re-picked
    among the answers that finished. Unchanged when there are no passages or no winner."""
    if not passages or decision.winner < 0 or len(decision.scores) != len(candidates):
        return decision
    scores = [
        (1 - weight) * score + weight * support_share(c.text, passages)
        for c, score in zip(candidates, decision.scores, strict=True)
    ]
    valid = [i for i, c in enumerate(candidates) if c.finish_reason in ("stop", "length")]
    if not valid:
        return decision
    winner = max(valid, key=lambda i: (scores[i], -i))
    group = next((g for g in decision.groups if winner in g), [winner])
    return msgspec.structs.replace(
        decision, winner=winner, scores=[round(s, 4) for s in scores],
        agree_count=len(group) if decision.agree_count else 0,
    )


def cite(answer: str, passages: Sequence[wire.Passage], most: int = 2) -> list[wire.Passage]:
    """The passages the answer draws on: those sharing the most content words with it, best
    retrieved first among ties; the top passage when none shares any."""
    if not passages:
        return []
    words = set(content_words(answer))
    overlap = [len(words & set(content_words(p.text))) for p in passages]
    ranked = sorted(range(len(passages)), key=lambda i: (-overlap[i], i))
    top = overlap[ranked[0]]
    best = [passages[i] for i in ranked[:most] if overlap[i] > 0 and overlap[i] * 2 >= top]
    return best or [passages[0]]


def with_sources(answer: str, cited: Sequence[wire.Passage]) -> str:
    if not cited:
        return answer
    return f"{answer.strip()}\n\nSources: " + ", ".join(label(p) for p in cited)

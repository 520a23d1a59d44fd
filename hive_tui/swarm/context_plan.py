"""Planning a prompt into the context: which turns to drop or summarise, which passages to keep.

Pure functions over token counts and text, no model: ``swarm/context.py`` counts the tokens,
asks the swarm for summaries and applies the plan. Two things are never dropped, whatever the
policy: the system messages and the last user message (with whatever follows it, a tool step's
results). When those alone do not fit, ``truncate`` refuses the request (the 400, never a silent
cut) and ``compress`` keeps the passages of the last user message most relevant to its question.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from hive_tui import wire

_WORDS = re.compile(r"[a-z0-9]+")
# Words too common to say what a passage is about (scored against the question).
_STOPWORD_TEXT = (
    "a an the and or but of to in on at for by with from is are was were be been it its this "
    "that these those i you he she we they me my your our their what which who whom how when "
    "where why do does did have has had not no yes so if then than as can could will would "
    "should about into over please tell say said"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
MEMORY_MARK = "Earlier in this conversation (compressed):"
# A pasted document is cut into passages of about this many words.
PASSAGE_WORDS = 60
BM25_K1, BM25_B = 1.5, 0.75


def is_memory(message: wire.ChatMessage) -> bool:
    """A memory made by ``compress`` earlier (the app sends it back): a running summary that a
    later ``compress`` folds into the next one, droppable like the turns it stands for."""
    return message.role == "system" and message.content.startswith(MEMORY_MARK)


def protected(messages: Sequence[wire.ChatMessage]) -> list[bool]:
    """Which messages no policy may drop: every system message (but a memory), the last user
    message and everything after it (a tool step's calls and results belong to the question)."""
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=len(messages))
    return [(m.role == "system" and not is_memory(m)) or i >= last_user
            for i, m in enumerate(messages)]


@dataclass(frozen=True)
class TurnPlan:
    dropped: tuple[int, ...]  # indices of the messages left out, oldest first
    fits: bool  # whether what is kept fits the budget


def plan_turns(counts: Sequence[int], keep: Sequence[bool], budget: int) -> TurnPlan:
    """Drop the oldest droppable messages until the rest fits ``budget`` tokens.

    Droppable messages go oldest first; ``plan_conversation`` keeps turns whole."""
    total = sum(counts)
    dropped: list[int] = []
    for i, count in enumerate(counts):
        if total <= budget:
            break
        if not keep[i]:
            dropped.append(i)
            total -= count
    return TurnPlan(tuple(dropped), total <= budget)


def plan_conversation(
    messages: Sequence[wire.ChatMessage], counts: Sequence[int], budget: int
) -> TurnPlan:
    """``plan_turns`` with turns kept whole: the assistant (and tool) messages right after the
    last dropped message go too (an answer without its question would confuse the model)."""
    keep = protected(messages)
    plan = plan_turns(counts, keep, budget)
    dropped = list(plan.dropped)
    gone = set(dropped)
    total = sum(c for i, c in enumerate(counts) if i not in gone)
    j = (dropped[-1] + 1) if dropped else len(messages)
    while dropped and j < len(messages) and not keep[j] and messages[j].role != "user":
        dropped.append(j)
        total -= counts[j]
        j += 1
    return TurnPlan(tuple(dropped), total <= budget)


# --- passages ----------------------------------------------------------------------------
def words(text: str) -> list[str]:
    return [w for w in _WORDS.findall(text.lower()) if w not in _STOPWORDS]


def split_passages(text: str, size: int = PASSAGE_WORDS) -> list[str]:
    """Paragraphs, with long ones cut at sentence ends into pieces of about ``size`` words;
    joined back with blank lines they are the text again (up to whitespace)."""
    passages: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        if not paragraph.strip():
            continue
        piece: list[str] = []
        for sentence in re.split(r"(?<=[.!?])\s+", paragraph.strip()):
            if piece and len(" ".join(piece + [sentence]).split()) > size:
                passages.append(" ".join(piece))
                piece = []
            piece.append(sentence)
        if piece:
            passages.append(" ".join(piece))
    return passages


def bm25_scores(passages: Sequence[str], query: str) -> list[float]:
    """Okapi BM25 of each passage against the query, the passages as the corpus."""
    docs = [Counter(words(p)) for p in passages]
    if not docs:
        return []
    mean_len = max(1e-9, sum(sum(d.values()) for d in docs) / len(docs))
    terms = set(words(query))
    idf = {
        t: math.log(1 + (len(docs) - n + 0.5) / (n + 0.5))
        for t in terms
        for n in [sum(1 for d in docs if t in d)]
    }
    scores = []
    for d in docs:
        length = sum(d.values())
        score = 0.0
        for t in terms:
            f = d.get(t, 0)
            if f:
                norm = f + BM25_K1 * (1 - BM25_B + BM25_B * length / mean_len)
                score += idf[t] * f * (BM25_K1 + 1) / norm
        scores.append(score)
    return scores


def select_passages(
    scores: Sequence[float], counts: Sequence[int], budget: int, always: Sequence[int] = ()
) -> list[int]:
    """The best-scoring passages whose counts fit ``budget`` (``always`` first, whatever they
    cost), in document order. Ties go to the later passage (nearer the question)."""
    chosen = set(always)
    total = sum(counts[i] for i in chosen)
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], -i))
    for i in order:
        if i in chosen or scores[i] <= 0:
            continue
        if total + counts[i] <= budget:
            chosen.add(i)
            total += counts[i]
    return sorted(chosen)


def question_of(text: str) -> str:
    """What a long message asks: its last passage (a pasted document comes first, the question
    after it, in how people paste)."""
    passages = split_passages(text)
    return passages[-1] if passages else text


def render_turns(messages: Sequence[wire.ChatMessage]) -> str:
    """Messages as a transcript, for a summary prompt or for passages to pick from."""
    return "\n\n".join(f"{m.role}: {m.content.strip()}" for m in messages if m.content.strip())


def memory_message(summary: str, passages: Sequence[str]) -> wire.ChatMessage:
    """What stands in for the dropped turns: the swarm's summary and the earlier passages most
    relevant to the question, as a system message (so it is itself never dropped later)."""
    parts = [MEMORY_MARK]
    if passages:
        parts.append("Relevant earlier messages:\n" + "\n".join(f"- {p}" for p in passages))
    if summary.strip():
        parts.append("Summary: " + summary.strip())
    return wire.ChatMessage("system", "\n".join(parts))

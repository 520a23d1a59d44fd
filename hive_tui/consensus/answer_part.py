"""The part of an answer that answers: what it says beyond the question's own wording.

Small models answer "What is the capital of Peru?" with "The capital of Peru is Lima." Five
such answers share most of their words with the question and with each other, so a similarity
over the whole text calls "... is Lima." and "... is Cusco." nearly the same answer, and a mean
log-probability over the whole text mostly measures how sure the model was of the template.

``answer_part`` keeps what differs: the content words of the first sentence that says
something the question did not (question words and function words dropped), and the spans of
those words in the text, so that the model's confidence can be read on the tokens that carry
the answer (``answer_confidence``). A sentence that only repeats the question ("The capital
of Peru is") is skipped; an answer whose every sentence repeats the question has an empty
part. An answer to a question that asks for a number is read by the number it states
(``answer_numbers``), one to a yes/no question or a choice by its verdict or its pick
(``question_kind``), and words written in other forms by ``answer_words``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence, Set
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from hive_tui.consensus.answer_numbers import asks_for_number, offers_numbers, stated_number
from hive_tui.consensus.answer_words import (
    NUMBER,
    WORD,
    acronym_similarity,
    date_days,
    dotted_acronym,
    fraction_value,
    initials,
    scaled,
    spelled_out,
    written_in_capitals,
)
from hive_tui.consensus.question_kind import (
    asks_yes_or_no,
    choice_named,
    offered_choices,
    the_question,
    yes_or_no,
)
from hive_tui.consensus.sentences import (
    awaits_name,
    is_letter,
    letter_answer,
    sentence_ends,
    sentences,
)
from hive_tui.consensus.text import canonical_number, jaccard, normalize

# How many content words of the answering sentence make its part: the answer comes first in
# short sentences; what follows it elaborates ("Lima, a city on the coast ...").
MAX_PART_WORDS = 4

# Function words and answer boilerplate: never the answer on their own.
_STOPWORD_TEXT = (
    "a an the is are was were be been being am it its this that these those there here of in "
    "on at to for and or as by with from so than then also which what who whom whose where "
    "when why how do does did has have had i you we they he she them his her their our your "
    "my me us answer answers called named known name correct right yes no not sure simply "
    "just word one only would will can could should may might but if let lets question "
    "problem classic simple actually indeed really exactly example means mean refers "
    "following given number located situated specifically part"
)
# Words that qualify an answer rather than give it ("is currently located in New York", "is
# often attributed to ..."). Kept in a part they split agreeing answers and, being sampled
# words, pull the part's confidence down to their own ("currently": -2.0 where "New": -0.5).
# Unlike the stopwords they can be the answer: one that ends its sentence ("The opposite of
# rarely is often.") is kept, and so are they all where nothing else is said.
_HEDGE_TEXT = (
    "currently typically usually generally commonly often probably likely possibly perhaps "
    "approximately roughly mainly mostly primarily largely widely famously originally "
    "traditionally historically particularly especially certainly definitely arguably "
    "officially still now today main primary official considered believed regarded thought "
    "attributed associated"
)
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
HEDGES = frozenset(_HEDGE_TEXT.split())


@dataclass(frozen=True, slots=True)
class AnswerPart:
    words: tuple[str, ...]  # normalised, in order, at most MAX_PART_WORDS, no repeats
    spans: tuple[tuple[int, int], ...]  # (start, end) in the raw text, one per word
    # The part is a number the question itself holds, and the question does not offer its
    # numbers as the choices ("7 or 9"): the answer copied it ("7 minus 6 ... gives 7"). A
    # copied token is read with a copy's certainty, which says nothing about the answer.
    echo: bool = False
    # Nothing the answer goes on to say can change this part, so early exit may stop it once
    # the sentence that holds it is complete (``answered``). Not so for a number only named on
    # the way (a later "= 3" or "is 3" takes its place) or one the question holds.
    final: bool = True
    # The words written as acronyms ("US", "U.S."): each may stand for another answer's words.
    acronyms: frozenset[str] = frozenset()
    # The days of full dates ("15" of "April 15, 1912"): words of the part, whose confidence
    # counts, but not its numbers, which the year answers.
    days: frozenset[str] = frozenset()

    @property
    def numbers(self) -> tuple[str, ...]:
        return tuple(
            canonical_number(w) for w in self.words if NUMBER.match(w) and w not in self.days
        )


@lru_cache(maxsize=1024)
def answer_part(text: str, question: str = "") -> AnswerPart:
    asked, asked_initials = _asked(question)
    if question and asks_yes_or_no(question):
        return _yes_no_part(text, asked)
    choices = _word_choices(question)
    if choices:
        # "Is 17 odd or even?" is answered by "odd", not by its number.
        if named := choice_named(text, choices):
            return AnswerPart((named[0],), (named[1],))
    elif question and asks_for_number(question):
        stated = stated_number(text, asked)
        if stated is None:
            return AnswerPart((), ())
        # One of the question's own numbers is never final: a copy ("7 minus 6 ... gives 7"),
        # or a choice among them ("78 or 41"), which counted as given early cost early exit
        # 0.5 points on the dev split at N = 5.
        copied = stated.value in asked
        echo = copied and not offers_numbers(question)
        final = stated.final and not copied
        return AnswerPart((stated.value,), (stated.span,), echo=echo, final=final)
    return _word_part(text, asked, asked_initials)


@lru_cache(maxsize=256)
def _asked(question: str) -> tuple[frozenset[str], str]:
    """The question's words, as its answers' words are read (titles written out, fractions
    by their values), and the initials of its content words ("U.S." for "the United States"):
    once per question, not once per answer."""
    words = [spelled_out(w) for w in normalize(question).split()]
    fractions = (fraction_value(m.group(0)) for m in WORD.finditer(question) if m["fraction"])
    asked = frozenset(words) | {v for v in fractions if v}
    return asked, initials(w for w in words if w not in STOPWORDS)


def _word_part(text: str, asked: Set[str], asked_initials: str) -> AnswerPart:
    """The content words of the first sentence that says something the question did not; an
    answer that says nothing else, the hedges of its first sentence that has any ("The
    opposite of unlikely is likely."), which more text may still replace (not final)."""
    bounds = sentences(text)
    for hedged in (False, True):
        for start, end in bounds:
            found = _new_words(text, start, end, asked, asked_initials, hedged)
            if found.words:
                kept = tuple(found.words[:MAX_PART_WORDS])
                return AnswerPart(
                    kept,
                    tuple(found.spans[:MAX_PART_WORDS]),
                    final=not hedged,
                    acronyms=found.acronyms.intersection(kept),
                    days=found.days.intersection(kept),
                )
    return AnswerPart((), ())


class _NewWords(NamedTuple):
    words: list[str]
    spans: list[tuple[int, int]]
    acronyms: frozenset[str]  # written as acronyms
    days: frozenset[str]  # the days of full dates


def _new_words(
    text: str, start: int, end: int, asked: Set[str], asked_initials: str, hedged: bool
) -> _NewWords:
    """The content words of text[start:end] the question does not hold, their spans, those
    written as acronyms and those that are a full date's day; an acronym of the question's own
    words ("U.S." for "the United States") is the question's too. With ``hedged``, the hedges
    among them too."""
    words: list[str] = []
    spans: list[tuple[int, int]] = []
    acronyms: set[str] = set()
    days: set[str] = set()
    day_starts = date_days(text, start, end)
    # "IT IS PARIS.": capitals across a sentence make no acronyms ("USA" alone does)
    shouted = text[start:end].isupper() and len(text[start:end].split()) > 2
    for m in WORD.finditer(text, start, end):
        token = m.group(0)
        if m.group("dotted"):
            found = [a] if (a := dotted_acronym(text, m.start(), m.end())) else []
        elif m.group("fraction"):
            found = [a] if (a := fraction_value(token)) else []
        else:
            found = [scaled(spelled_out(w), text, m.end()) for w in normalize(token).split()]
        # "US", "U.S.": an acronym, never the pronoun
        acronym = bool(m.group("dotted")) or (written_in_capitals(token) and not shouted)
        for w in found:
            if w in asked or w in words:
                continue
            if m.start() in day_starts:
                days.add(w)
            elif is_letter(w):
                if not letter_answer(text, m.start(), m.end()):
                    continue
            elif acronym:
                if len(w) > 1 and w in asked_initials:
                    continue
                acronyms.add(w)
            elif w in STOPWORDS or (w in HEDGES and not hedged and _qualifies(text, m.end(), end)):
                continue
            words.append(w)
            spans.append((m.start(), m.end()))
    return _NewWords(words, spans, frozenset(acronyms), frozenset(days))


def _qualifies(text: str, after: int, end: int) -> bool:
    """A hedge qualifies what follows it in its sentence ("is currently located in ..."); one
    that ends its sentence qualifies nothing and is the answer ("The antonym of rarely is
    often.", "Today.")."""
    return WORD.search(text, after, end) is not None


def offers_alternatives(question: str) -> bool:
    """The question names the answers to pick from: words ("Damascus or Kabul?") or numbers
    ("Which is bigger: 78 or 41?"), in the sentence that asks."""
    return bool(offered_choices(question)) or offers_numbers(the_question(question))


def _word_choices(question: str) -> tuple[str, ...]:
    """The alternatives a question offers, unless they are all numbers ("78 or 41": read as a
    numeric question)."""
    choices = offered_choices(question) if question else ()
    return () if all(NUMBER.match(c) for c in choices) else choices


def _yes_no_part(text: str, asked: Set[str]) -> AnswerPart:
    """The verdict of the answer's first sentence: the "yes" or "no" it opens with, else "no"
    at a negation ("Paris is not in Spain."), else "yes": a statement that does not negate
    affirms ("Paris is a city in France."), with no token to read a confidence on. Empty
    (no answer) for "I'm not sure"."""
    bounds = sentences(text)
    if not bounds:
        return AnswerPart((), ())
    start, end = bounds[0]
    found = yes_or_no(text[start:end])
    if found is None:
        return AnswerPart(("yes",), ())
    verdict, (a, b) = found
    if not verdict:
        return AnswerPart((), ())
    return AnswerPart((verdict,), ((start + a, start + b),), final=verdict not in asked)


# Two parts that name different numbers disagree, whatever else they share.
NUMBER_MISMATCH = 0.0
# A short part wholly inside another ("lima" in "lima coast") is the same answer, less surely.
# (Sharing only a first word is not: "official thai" and "official khmer" differ.)
CONTAINED = 0.8


def part_similarity(a: AnswerPart, b: AnswerPart) -> float:
    """How much two answers' parts say the same thing, 0..1. Empty parts agree with nothing:
    an answer that only repeats the question has not answered."""
    if not a.words or not b.words:
        return 0.0
    if a.words == b.words:
        return 1.0
    na, nb = a.numbers, b.numbers
    if na and nb:
        return 1.0 if na[0] == nb[0] else NUMBER_MISMATCH
    if (acronym := acronym_similarity(a, b, CONTAINED)) is not None:
        return acronym
    sa, sb = set(a.words), set(b.words)
    if sa <= sb or sb <= sa:
        return max(CONTAINED, jaccard(sa, sb))
    return (jaccard(sa, sb) + jaccard(_grams(a), _grams(b))) / 2


def _grams(p: AnswerPart) -> frozenset[str]:
    padded = f" {' '.join(p.words)} "
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


def part_logprobs(
    part: AnswerPart, token_logprobs: Sequence[float], token_ends: Sequence[int]
) -> list[float]:
    """Log-probabilities of the tokens that spell the part's words, in order (a token counts
    when its text overlaps a word's span). Empty without per-token log-probabilities."""
    if not part.spans or len(token_ends) != len(token_logprobs):
        return []
    out: list[float] = []
    start = 0
    for lp, end in zip(token_logprobs, token_ends, strict=True):
        if math.isfinite(lp) and any(start < b and end > a for a, b in part.spans):
            out.append(lp)
        start = end
    return out


def answer_confidence(
    part: AnswerPart, token_logprobs: Sequence[float], token_ends: Sequence[int]
) -> float | None:
    """How sure the model was of the answer itself: the lowest log-probability among the tokens
    that spell the part (DeepConf's "lowest confidence" read on the answer, not the whole
    text). None when the tokens are not known (no per-token log-probabilities, an empty part).
    """
    lps = part_logprobs(part, token_logprobs, token_ends)
    return min(lps) if lps else None


def answered(text: str, question: str = "") -> str | None:
    """The text up to the end of the sentence that answers, once that sentence is complete
    (a sentence end follows the part's first word); None while the answer is still coming.
    Early exit reads answers as they stream: what follows that sentence cannot change the part.

    A number only named, not stated as the result, is no answer yet: a later "= 3" or "is 3"
    would take its place as the part ("1. Fig 2. Papaya 3. Apricot. The answer is 3.").
    """
    part = answer_part(text, question)
    if not part.spans or not part.final:
        return None  # no answer yet, or one that what follows may still change
    end = next(sentence_ends(text, part.spans[0][1]), None)
    if end is None or awaits_name(text, end):
        return None  # no complete sentence yet, or "J." / "Mt." before the name that follows
    return text[:end]

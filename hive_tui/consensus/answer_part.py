"""The part of an answer that answers: what it says beyond the question's own wording.

Small models answer "What is the capital of Peru?" with "The capital of Peru is Lima." Five
such answers share most of their words with the question and with each other, so a similarity
over the whole text calls "... is Lima." and "... is Cusco." nearly the same answer, and a mean
log-probability over the whole text mostly measures how sure the model was of the template.

``answer_part`` keeps what differs: the content words of the first sentence that says
something the question did not (question words and function words dropped), and the spans of
those words in the text, so that the model's confidence can be read on the tokens that carry
the answer (``part_confidence``). A sentence that only repeats the question ("The capital of
Peru is") is skipped; an answer whose every sentence repeats the question has an empty part.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from hive_tui.consensus.answer_words import (
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
# A question with a number in it, or one asking for a count (a digit inside a word, "H2O",
# "MP3", makes no number); see ``asks_for_number``.
_NUMERIC_QUESTION = re.compile(
    r"(?<![^\W\d_])\d|\bhow (?:many|much|old|long)\b|\bwhich number\b", re.I
)

# A question that asks for a number, not only holds one: a count, a measure, a sum, a choice
# among numbers. Broad on purpose (a review's list of arithmetic phrasings: "5 factorial",
# "the next number in the sequence", "percentage of"), since a question it misses is read by
# the words of its answers; one that holds a number and asks for a word ("Which element has
# atomic number 8?", "Which month has 28 days?") matches none of it.
_ASKS_NUMBER = re.compile(
    r"\bhow (?:many|much|old|long|far|big|tall|high|heavy|often)\b|\b(?:which|what) number\b"
    r"|\bnext number\b|\d\s*[-+*/x\u00d7\u00f7\u2212^%=<>!]|[-+*/\u00d7\u00f7\u2212^=<>]\s*-?\d"
    r"|\bwhat is -?\d[\d.,]*\s*\?|\d+(?:st|nd|rd|th) power\b"
    r"|\b(?:plus|minus|times|divided|multiplied|squared?|cubed?|percent|percentage|sum|product"
    r"|difference|total|average|mean|median|half|double|twice|triple|third|quarter|fraction"
    r"|root|power|factorial|remainder|modulo|mod|gcd|lcm|add|subtract|multiply|divide"
    r"|calculate|compute|solve|round|rounded|count|convert|bigger|smaller|larger|greater|less"
    r"|fewer|more|equal|equals|speed|distance|area|perimeter|volume|weight|mass|age|price|cost"
    r"|rate|probability|sequence|value|digits?|binary|minutes|hours|seconds|celsius"
    r"|fahrenheit|kilometers|kilometres|km|miles|meters|metres|grams|kilograms|kg|pounds"
    r"|inches|feet)\b",
    re.I,
)
# A question that offers numbers to choose from ("Which is bigger: 78 or 41?"): there an answer
# naming one of the question's numbers is no copy but a choice.
_OFFERS_NUMBERS = re.compile(r"\d\s*,?\s+or\s+-?\d", re.I)

# A word: letters with dots ("U.S.", "e.g.": ``answer_words.dotted_acronym`` reads them), a
# fraction ("1/4", not a date's "12/25/2020"), or letters and digits; a number keeps its sign
# ("-5", with a minus sign too, but not the "-" of "3-5") and its decimals.
_SIGN = r"(?:(?<![^\W_])[-\u2212](?=\d))?"
_WORD = re.compile(
    r"(?P<dotted>(?:[^\W\d_]\.){2,})"
    rf"|(?P<fraction>{_SIGN}(?<![\d/])\d+/\d+(?![\d/]))"
    rf"|{_SIGN}[^\W_]+(?:[.,][0-9]+)*",
    re.UNICODE,
)
# "negative 5", as "-5".
_NEGATIVE = re.compile(r"\bnegative\s+$", re.I)
_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)*$")


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
            canonical_number(w) for w in self.words if _NUMBER.match(w) and w not in self.days
        )


@lru_cache(maxsize=1024)
def answer_part(text: str, question: str = "") -> AnswerPart:
    asked_words = [spelled_out(w) for w in normalize(question).split()]
    # and the question's fractions by their values, as its answers' are read
    fractions = (fraction_value(m.group(0)) for m in _WORD.finditer(question) if m["fraction"])
    asked = set(asked_words) | {v for v in fractions if v}
    if question and asks_yes_or_no(question):
        return _yes_no_part(text, asked)
    choices = _word_choices(question)
    if choices:
        # "Is 17 odd or even?" is answered by "odd", not by its number.
        if named := choice_named(text, choices):
            return AnswerPart((named[0],), (named[1],))
    elif question and asks_for_number(question):
        part = _number_part(text, asked)
        # One of the question's own numbers is never final: a copy ("7 minus 6 ... gives 7"),
        # or a choice among them ("78 or 41"), which counted as given early cost early exit
        # 0.5 points on the dev split at N = 5.
        copied = bool(part.words) and part.words[0] in asked
        echo = copied and not _OFFERS_NUMBERS.search(question)
        return AnswerPart(part.words, part.spans, echo=echo, final=part.final and not copied)
    return _word_part(text, asked, initials(w for w in asked_words if w not in STOPWORDS))


def asks_for_number(question: str) -> bool:
    """The question is answered by a number: the part of an answer is then the first number it
    states beyond the question's own. One that holds a number but asks for a word ("Which
    element has atomic number 8?") is read by the words of its answers ("Oxygen."), not by a
    number they name on the way."""
    return bool(_NUMERIC_QUESTION.search(question) and _ASKS_NUMBER.search(question))


def _word_part(text: str, asked: set[str], asked_initials: str = "") -> AnswerPart:
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
    text: str, start: int, end: int, asked: set[str], asked_initials: str, hedged: bool
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
    for m in _WORD.finditer(text, start, end):
        token = m.group(0)
        if m.group("dotted"):
            found = [a] if (a := dotted_acronym(text, m.start(), m.end())) else []
        elif m.group("fraction"):
            found = [a] if (a := fraction_value(token)) else []
        else:
            found = [_scaled(spelled_out(w), text, m.end()) for w in normalize(token).split()]
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


def _scaled(word: str, text: str, end: int) -> str:
    """A number followed by "million" and the like, as the number it names; any other word,
    and any other number, as it is (as the question's own words are compared)."""
    if not _NUMBER.match(word):
        return word
    value = scaled(canonical_number(word), text, end)
    return word if value == canonical_number(word) else value


def _qualifies(text: str, after: int, end: int) -> bool:
    """A hedge qualifies what follows it in its sentence ("is currently located in ..."); one
    that ends its sentence qualifies nothing and is the answer ("The antonym of rarely is
    often.", "Today.")."""
    return _WORD.search(text, after, end) is not None


def offers_alternatives(question: str) -> bool:
    """The question names the answers to pick from: words ("Damascus or Kabul?") or numbers
    ("Which is bigger: 78 or 41?"), in the sentence that asks."""
    return bool(offered_choices(question)) or bool(_OFFERS_NUMBERS.search(the_question(question)))


def _word_choices(question: str) -> tuple[str, ...]:
    """The alternatives a question offers, unless they are all numbers ("78 or 41": read as a
    numeric question)."""
    choices = offered_choices(question) if question else ()
    return () if all(_NUMBER.match(c) for c in choices) else choices


def _yes_no_part(text: str, asked: set[str]) -> AnswerPart:
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


# A number stated as the result: "is 8", "are 3 fruits", "equals 12", "has a total of 8".
_STATED = re.compile(
    r"\b(?:is|are|equals|makes|gives|get|has|have|contains)\s*(?:equal to\s*|a total of\s*)?$",
    re.I,
)


def _number_part(text: str, asked: set[str]) -> AnswerPart:
    """The number the answer states as its result: the first after an "=" ("3 + 4 = 7"), else
    the first stated as a result ("... which is 1"), else the first number (digits or a
    number word) that the question does not hold. Long answers name the question's numbers
    and steps on the way ("subtract 6 from 7, counting 2 at a time, which is 1"); chosen on
    the dev split at the node's answer length (docs/quality.md). Only a number stated as the
    result (after "=" or a result verb) is ``final``: one merely named may give way to it."""
    found: list[tuple[str, tuple[int, int]]] = []
    for m in _WORD.finditer(text):
        w = fraction_value(m.group(0)) if m.group("fraction") else normalize(m.group(0))
        w = NUMBER_WORDS.get(w, w) if w else ""
        if _NUMBER.match(w):
            if _NEGATIVE.search(text, max(0, m.start() - 12), m.start()) and w[0] != "-":
                w = "-" + w
            found.append((scaled(canonical_number(w), text, m.end()), (m.start(), m.end())))
    for value, span in found:
        if "=" in text[max(0, span[0] - 3) : span[0]].rsplit("\n", 1)[-1]:  # just before it
            return AnswerPart((value,), (span,))
    for value, span in found:
        if _STATED.search(text, max(0, span[0] - 30), span[0]):
            return AnswerPart((value,), (span,))
    for value, span in found:
        if value not in asked:
            return AnswerPart((value,), (span,), final=False)
    # The answer is one of the question's numbers ("Which number is bigger: 7 or 9?").
    if found:
        return AnswerPart((found[0][0],), (found[0][1],), final=False)
    return AnswerPart((), ())


_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
)
NUMBER_WORDS = {w: str(i) for i, w in enumerate(_UNITS.split())}


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

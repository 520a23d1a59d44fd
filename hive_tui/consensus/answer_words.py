"""Words that give the same answer in another form: a full date's day, an acronym, a title, a
fraction, a number in millions.

``answer_part`` compares answers on their words, so answers that say the same thing in other
words disagree: "April 15, 1912" and "1912" for "When did the Titanic sink?" (their first
numbers differ), "the US" and "the United States", "Mt. Everest" and "Mount Everest", "1/2"
and "0.5", "8 billion" and "8,000,000,000". None of the benchmark's families has such
answers; they came from reading the vote on kinds of questions it does not ask
(docs/quality.md, change 15).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Protocol

from hive_tui.consensus.text import canonical_number

# A word: letters with dots ("U.S.", "e.g.": ``dotted_acronym`` reads them), a fraction
# ("1/4", not a date's "12/25/2020"), or letters and digits; a number keeps its sign ("-5",
# with a minus sign too, but not the "-" of "3-5") and its decimals.
_SIGN = r"(?:(?<![^\W_])[-\u2212](?=\d))?"
_DOTTED_LETTERS = r"(?:[^\W\d_]\.){2,}"
WORD = re.compile(
    rf"(?P<dotted>{_DOTTED_LETTERS})"
    rf"|(?P<fraction>{_SIGN}(?<![\d/])\d+/\d+(?![\d/]))"
    rf"|{_SIGN}[^\W_]+(?:[.,][0-9]+)*",
    re.UNICODE,
)
# A normalised word that is a number.
NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)*$")

_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
# The day of a full date: "April 15, 1912", "15 April 1912", "15th of April, 1912". The year
# says when; the day only refines it, so "1912" and "April 15, 1912" agree. A date without a
# year keeps its day ("December 25" against "December 24").
_DAY_IN_DATE = re.compile(
    rf"\b(?:{_MONTHS})\s+(?P<after>\d{{1,2}}(?:st|nd|rd|th)?),?\s+\d{{3,4}}\b"
    rf"|\b(?P<before>\d{{1,2}}(?:st|nd|rd|th)?)\s+(?:of\s+)?(?:{_MONTHS}),?\s+\d{{3,4}}\b",
    re.I,
)
# Titles written short, as the same word written out ("Mt. Everest", "Mount Everest").
_SPELLED_OUT = {"mt": "mount", "st": "saint", "ft": "fort"}
# Capitals with dots, "U.S.", "U.S.A.": one word, unless a name follows (initials, "J.R.R.
# Tolkien", which the name answers).
_DOTTED = re.compile(_DOTTED_LETTERS)
_NAME_AFTER = re.compile(r"\s+[A-Z]")

# A fraction's value: "1/4" is "0.25"; read as two numbers, it was "1", as "1/2" was.
_FRACTION = re.compile(r"([-\u2212]?\d+)/(\d+)")
# "8 billion" is 8,000,000,000.
_SCALE_AFTER = re.compile(r"\s+(thousand|million|billion|trillion)\b", re.I)
_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}


class _Part(Protocol):
    """What ``acronym_similarity`` reads of an ``answer_part.AnswerPart``."""

    @property
    def words(self) -> Sequence[str]: ...

    @property
    def acronyms(self) -> frozenset[str]: ...


def date_days(text: str, start: int, end: int) -> frozenset[int]:
    """Where the days of the full dates in ``text[start:end]`` begin."""
    found = set()
    for m in _DAY_IN_DATE.finditer(text, start, end):
        found.add(m.start("after") if m.group("after") else m.start("before"))
    return frozenset(found)


def spelled_out(word: str) -> str:
    """A normalised word, a short title written out: "mt" -> "mount"."""
    return _SPELLED_OUT.get(word, word)


def dotted_acronym(text: str, start: int, end: int) -> str | None:
    """The acronym ``text[start:end]`` writes with dots ("U.S." -> "us"); None for anything
    else, for lowercase abbreviations ("e.g.") and for initials before a name."""
    token = text[start:end]
    if not _DOTTED.fullmatch(token) or not token.isupper():
        return None
    if _NAME_AFTER.match(text, end):
        return None
    return token.replace(".", "").lower()


def written_in_capitals(token: str) -> bool:
    """A word in capitals ("US", "UK") is an acronym, never the pronoun or another function
    word."""
    return len(token) >= 2 and token.isalpha() and token.isupper()


def fraction_value(token: str) -> str | None:
    """The value of a fraction written with a slash, as a number: "1/4" -> "0.25"; None for a
    zero denominator or anything else."""
    m = _FRACTION.fullmatch(token)
    if not m or int(m.group(2)) == 0:
        return None
    return canonical_number(repr(int(m.group(1).replace("\u2212", "-")) / int(m.group(2))))


def scaled(word: str, text: str, end: int) -> str:
    """A number written at ``text[:end]`` and followed by a scale word, as the number it names
    ("8" in "8 billion people" -> "8000000000"); any other word, and any other number, as it
    is."""
    m = _SCALE_AFTER.match(text, end)
    if not m or not NUMBER.match(word):
        return word
    try:
        value = float(canonical_number(word)) * _SCALES[m.group(1).lower()]
    except ValueError:
        return word
    return canonical_number(repr(value))


def initials(words: Iterable[str]) -> str:
    """The first letters of ``words``: "united states america" -> "usa"."""
    return "".join(word[:1] for word in words)


def acronym_similarity(a: _Part, b: _Part, contained: float) -> float | None:
    """1.0 when one part is a single word written as an acronym that the initials of the
    other's words spell ("USA", "united states america"), ``contained`` when it spells the
    initials of a run of them ("US"); None when neither is an acronym of the other. Only a
    word written in capitals counts: "Po" (the river) is no "Pacific Ocean"."""
    for short, long in ((a, b), (b, a)):
        if len(short.words) != 1 or len(long.words) < 2 or short.words[0] not in short.acronyms:
            continue
        spelled = initials(long.words)
        if short.words[0] == spelled:
            return 1.0
        if short.words[0] in spelled:
            return contained
    return None

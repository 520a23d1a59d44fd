"""Is an answer right? Extraction rules that are fixed in advance and independent of the vote.

* Numeric tasks: number words ("eight") count as digits; the answer is the first number after
  an "=", else the first number stated as a result ("is 8", "are 8", "equals 8", "has 8"...),
  else the first number in the text. So "3 + 5 = 8" and "The answer is 8." are 8, "What is 3
  + 5? 3 + 5 = 8" is 8 too, while "8 + 3 = 11" is 11.
* Capitals: the first city of the question set or the distractor list named in the text
  (whole words, case and accents as written in ``capitals.py`` variants, after the same
  normalisation the vote uses) must be one of the accepted spellings.
* Other word answers (continents, languages, opposites, ...): the first word of the family's
  vocabulary (every answer of the family, plus ``facts.VOCABULARY``) named in the text that the
  question does not name itself must be an accepted spelling. So "The opposite of hot is
  cold." is "cold", and "The plural of mouse is mouse." names no answer at all.
* Chemical symbols: the first symbol of the family written as a word of its own, case as
  written ("O", "Au"; not the "O" of "O2" or of "O'Brien") must be the right one.

An empty answer is never right.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from hive_tui.bench.quality.capitals import CAPITALS, DISTRACTORS
from hive_tui.bench.quality.facts import DAYS, ELEMENT_SYMBOLS, MONTHS, VOCABULARY
from hive_tui.bench.quality.tasks import FAMILIES, Question, table_items
from hive_tui.bench.quality.trivia import TRIVIA_VOCABULARY
from hive_tui.consensus.text import normalize

_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
)
_NUMBER_WORDS = {w: str(i) for i, w in enumerate(_UNITS.split(" "))}
_NUMBER_WORDS.update({"thirty": "30", "forty": "40", "fifty": "50", "sixty": "60"})
_NUMBER_WORDS.update({"seventy": "70", "eighty": "80", "ninety": "90"})
_WORD = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)
_EQUALS = re.compile(r"=\s*(-?\d+(?:\.\d+)?)")
_STATED = re.compile(
    r"\b(?:is|are|equals|makes|gives|get|has|have|contains)\b"
    r"\s*(?:equal to\s*|a total of\s*)?(-?\d+(?:\.\d+)?)",
    re.IGNORECASE,
)
_ANY = re.compile(r"-?\d+(?:\.\d+)?")


def extract_number(text: str) -> str | None:
    """The number the answer states as its result, canonical ("8.0" -> "8"); None if none."""
    text = _WORD.sub(lambda m: _NUMBER_WORDS[m.group(1).lower()], text.replace(",", ""))
    m = _EQUALS.search(text) or _STATED.search(text)
    raw = m.group(1) if m else (found.group(0) if (found := _ANY.search(text)) else None)
    if raw is None:
        return None
    value = float(raw)
    return str(int(value)) if value.is_integer() else str(value)


@lru_cache(maxsize=1)
def _city_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    """One regex over every known city spelling (longest first), and spelling -> canonical."""
    owner: dict[str, str] = {}
    for spellings in CAPITALS.values():
        for s in spellings:
            owner[normalize(s)] = normalize(spellings[0])
    for city in DISTRACTORS:
        owner.setdefault(normalize(city), normalize(city))
    alts = sorted(owner, key=len, reverse=True)
    return re.compile(r"(?<!\w)(" + "|".join(map(re.escape, alts)) + r")(?!\w)"), owner


def extract_city(text: str) -> str | None:
    """Canonical (normalised) name of the first known city named in the text."""
    pattern, owner = _city_pattern()
    m = pattern.search(normalize(text))
    return owner[m.group(1)] if m else None


# Every family's wrong answers, the templated families' and the general-knowledge ones'.
_VOCABULARY = {**VOCABULARY, **TRIVIA_VOCABULARY}


@cache
def _family_pattern(task: str) -> re.Pattern[str]:
    terms = {normalize(t) for t in _VOCABULARY.get(task, ())}
    for prompt, accepted in table_items().get(task, {}).items():
        terms.update(normalize(a) for a in accepted)
        if task in ("opposite", "plural"):  # the asked word is an answer of another question
            terms.add(normalize(prompt.rsplit(" ", 1)[-1].rstrip("?")))
    if task == "next":
        terms.update(normalize(t) for t in DAYS + MONTHS)
    alts = sorted(terms, key=len, reverse=True)
    return re.compile(r"(?<!\w)(" + "|".join(map(re.escape, alts)) + r")(?!\w)")


def extract_word(task: str, text: str, question: str = "") -> str | None:
    """The first word of the family's vocabulary in the text that the question does not name."""
    asked = f" {normalize(question)} "
    for m in _family_pattern(task).finditer(normalize(text)):
        if f" {m.group(1)} " not in asked:
            return m.group(1)
    return None


def is_correct(question: Question, text: str) -> bool:
    if not text.strip():
        return False
    if question.task == "capital":
        return extract_city(text) == normalize(question.accepted[0])
    if FAMILIES[question.task][1] == "word":
        found = extract_word(question.task, text, question.prompt)
        return found is not None and found in {normalize(a) for a in question.accepted}
    if question.task == "compare":
        return _compare_correct(question, text)
    if FAMILIES[question.task][1] == "verdict":
        return said_yes_or_no(text) == question.answer
    if FAMILIES[question.task][1] == "choice":
        return _choice_correct(question, text)
    if FAMILIES[question.task][1] == "symbol":
        return extract_symbol(text) == question.answer
    return extract_number(text) == question.answer


# A symbol written as a word of its own, quoted or not: not inside a word, "O2" or "U.S.", nor
# next to an elision ("O'Brien", "d'O").
_SYMBOL = re.compile(
    r"(?<![\w.])(?<!\w['\u2019])("
    + "|".join(sorted(ELEMENT_SYMBOLS.values(), key=len, reverse=True))
    + r")(?!\w|\.\w|['\u2019]\w)"
)


def extract_symbol(text: str) -> str | None:
    """The first chemical symbol of the family the text writes as a word of its own."""
    m = _SYMBOL.search(text)
    return m.group(1) if m else None


def said_yes_or_no(text: str) -> str:
    """The first "yes" or "no" the answer says; without one, "no" when its first sentence says
    "not" ("Kenya is not in Asia."), else "yes" ("Lima is the capital of Peru.")."""
    if m := re.search(r"\b(yes|no)\b", text, re.I):
        return m.group(1).lower()
    first = re.split(r"[.!?\n]", text.strip(), maxsplit=1)[0]
    return "no" if re.search(r"\b(?:not|never)\b|n[’']t\b", first, re.I) else "yes"


_ALTERNATIVES = re.compile(r", (.+) or (.+)\?$")


def _choice_correct(question: Question, text: str) -> bool:
    """"Which ..., a or b?": the first of the two the answer names, after any repeat of "a or
    b" itself, is an accepted spelling of the right one."""
    m = _ALTERNATIVES.search(question.prompt)
    if m is None:
        return False
    a, b = normalize(m.group(1)), normalize(m.group(2))
    said = normalize(text).replace(f"{a} or {b}", " ")
    first = re.search(rf"(?<!\w)({re.escape(a)}|{re.escape(b)})(?!\w)", said)
    return first is not None and first.group(1) in {normalize(x) for x in question.accepted}


def _compare_correct(question: Question, text: str) -> bool:
    """"Which number is bigger: a or b?": the first number named is the bigger one, and the
    smaller one is named only after a "than" (so echoing "a or b" is no answer)."""
    named = _ANY.findall(text.replace(",", ""))
    if not named or extract_number(named[0]) != question.answer:
        return False
    asked = [extract_number(n) for n in _ANY.findall(question.prompt)]
    smaller = next((n for n in asked if n != question.answer), None)
    others = [extract_number(n) for n in named[1:]]
    return smaller not in others or " than " in f" {normalize(text)} "

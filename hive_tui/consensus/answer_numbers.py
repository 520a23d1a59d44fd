"""Which questions a number answers, and which number an answer states as its result.

Small models answer "What is 15 minus 8?" with steps: "Take 8 away from 15, counting 2 at a
time, and the result is 7." The part of such an answer is the number it states as the result,
not the first number it names (docs/quality.md, changes 7, 8 and 13).
"""

from __future__ import annotations

import re
from collections.abc import Set
from typing import NamedTuple

from hive_tui.consensus.answer_words import NUMBER, WORD, fraction_value, scaled
from hive_tui.consensus.text import canonical_number, normalize

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
# "negative 5", as "-5".
_NEGATIVE = re.compile(r"\bnegative\s+$", re.I)
# A number stated as the result: "is 8", "are 3 fruits", "equals 12", "has a total of 8".
_STATED = re.compile(
    r"\b(?:is|are|equals|makes|gives|get|has|have|contains)\s*(?:equal to\s*|a total of\s*)?$",
    re.I,
)
_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
)
NUMBER_WORDS = {w: str(i) for i, w in enumerate(_UNITS.split())}


def asks_for_number(question: str) -> bool:
    """The question is answered by a number: the part of an answer is then the first number it
    states beyond the question's own. One that holds a number but asks for a word ("Which
    element has atomic number 8?") is read by the words of its answers ("Oxygen."), not by a
    number they name on the way."""
    return bool(_NUMERIC_QUESTION.search(question) and _ASKS_NUMBER.search(question))


def offers_numbers(question: str) -> bool:
    """The question offers numbers to choose from ("Which is bigger: 78 or 41?")."""
    return _OFFERS_NUMBERS.search(question) is not None


class StatedNumber(NamedTuple):
    value: str  # canonical ("7", "0.25", "-5")
    span: tuple[int, int]  # in the answer's text
    final: bool  # stated as the result (after "=" or a result verb), not merely named


def stated_number(text: str, asked: Set[str]) -> StatedNumber | None:
    """The number the answer states as its result: the first after an "=" ("3 + 4 = 7"), else
    the first stated as a result ("... which is 1"), else the first number (digits or a
    number word) that the question does not hold. Long answers name the question's numbers
    and steps on the way ("subtract 6 from 7, counting 2 at a time, which is 1"); chosen on
    the dev split at the node's answer length (docs/quality.md). Only a number stated as the
    result (after "=" or a result verb) is ``final``: one merely named may give way to it."""
    found: list[tuple[str, tuple[int, int]]] = []
    for m in WORD.finditer(text):
        w = fraction_value(m.group(0)) if m.group("fraction") else normalize(m.group(0))
        w = NUMBER_WORDS.get(w, w) if w else ""
        if NUMBER.match(w):
            if _NEGATIVE.search(text, max(0, m.start() - 12), m.start()) and w[0] != "-":
                w = "-" + w
            found.append((scaled(canonical_number(w), text, m.end()), (m.start(), m.end())))
    for value, span in found:
        if "=" in text[max(0, span[0] - 3) : span[0]].rsplit("\n", 1)[-1]:  # just before it
            return StatedNumber(value, span, True)
    for value, span in found:
        if _STATED.search(text, max(0, span[0] - 30), span[0]):
            return StatedNumber(value, span, True)
    for value, span in found:
        if value not in asked:
            return StatedNumber(value, span, False)
    # The answer is one of the question's numbers ("Which number is bigger: 7 or 9?").
    if found:
        return StatedNumber(*found[0], False)
    return None

"""Where an answer's sentences end, and which letters standing alone are words of it.

``answer_part`` reads the first sentence that answers, and early exit stops a worker once that
sentence is complete, so a dot taken for a sentence end cuts an answer short: "written by J."
of "J.K. Rowling", "is Mt." of "Mt. Everest". The same notion of an initial decides whether a
lone capital is an answer ("The chemical symbol for oxygen is O.") or part of a name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# A sentence ends at . ! ? or a line break, except before a digit or a letter ("3.14",
# "J.K. Rowling", "U.S."): streamed, "by J." is no sentence end until what follows shows it.
_SENTENCE_END = re.compile(r"[.!?](?![^\W_])|\n")
_AFTER_DOT = re.compile(r"\s*([^\W\d_]+)")
# Titles and the like, whose dot comes before a name: "Mt. Everest", "Dr. Fleming".
_ABBREVIATION_TEXT = "mt mr mrs ms dr st prof sr jr gen gov sen rev capt lt col sgt ft"
_ABBREVIATIONS = frozenset(_ABBREVIATION_TEXT.split())
# ". Kennedy" after an initial; a word that opens sentences is no surname ("Vitamin D. It").
_FOLLOWING_WORD = re.compile(r"\. ([^\W\d_]+)")
_OPENER_TEXT = (
    "it its the this that these those there here he she they we you i a an in on at so but and "
    "also however then thus which what when where while as if or for to"
)
_SENTENCE_OPENERS = frozenset(_OPENER_TEXT.split())
# Initials already written before this one: "J." of "J. K.", "J.R." of "J.R.R. Tolkien".
_INITIALS = re.compile(r"(?:[^\W\d_]\.)+")
_APOSTROPHES = ("'", "\u2019")
_QUOTES = ("'", '"', "\u2018", "\u2019", "\u201c", "\u201d")


def sentence_ends(text: str, pos: int = 0) -> Iterator[int]:
    """Where sentences end from ``pos`` on: after . ! ? or a line break, but not after a title
    before a word ("Mt. Everest") nor after an initial ("John F. Kennedy"; "Vitamin D. It
    helps" ends at "D.")."""
    for m in _SENTENCE_END.finditer(text, pos):
        if m.group(0) == "." and _dot_inside_name(text, m.start()):
            continue
        yield m.end()


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of every sentence of ``text`` that holds more than blanks."""
    out, start = [], 0
    for end in sentence_ends(text):
        out.append((start, end))
        start = end
    out.append((start, len(text)))
    return [(a, b) for a, b in out if text[a:b].strip()]


def awaits_name(text: str, end: int) -> bool:
    """``text[:end]`` ends with a dot that may still begin a name ("J." of "J. K. Rowling",
    "Mt." of "Mt. Everest") and the word after it has not fully arrived: a streamed answer
    cannot be cut there yet."""
    if text[end - 1 : end] != "." or not (
        text[end - 2 : end - 1].isupper() or _title_before(text, end - 1)
    ):
        return False
    following = _AFTER_DOT.match(text, end)
    return following is None or following.end() >= len(text)


def _dot_inside_name(text: str, dot: int) -> bool:
    """The "." at ``dot`` belongs to a title before a word or to an initial."""
    if _title_before(text, dot):
        return _AFTER_DOT.match(text, dot + 1) is not None
    return (
        text[dot - 1 : dot].isupper()
        and (dot < 2 or not text[dot - 2].isalnum())
        and _initial(text, dot - 1, dot)
    )


def _title_before(text: str, dot: int) -> bool:
    """The word before ``text[dot]`` (a ".") is a title: "Mt." of "Mt. Everest"."""
    start = dot
    while start > 0 and text[start - 1].isalpha():
        start -= 1
    return text[start:dot].lower() in _ABBREVIATIONS


def is_letter(word: str) -> bool:
    return len(word) == 1 and not word.isdigit()


def letter_answer(text: str, start: int, end: int) -> bool:
    """A single letter is an answer when written as a capital on its own ("The chemical symbol
    for oxygen is O.", "The letter after C is D."). The lowercase letters that stand alone are
    pieces of "Peru's", "don't" and "e.g."; a capital next to an apostrophe is one too
    ("L'Italia"), and so is one in a dotted abbreviation ("U.S.") or an initial ("P. atrox").
    A letter in quotes is an answer in any case ('The letter after c is "d".')."""
    prev = text[start - 1] if start else " "
    after = text[end : end + 3]
    if prev in _QUOTES and after[:1] in _QUOTES and not after[1:2].isalpha():
        return True
    if not text[start:end].isupper():
        return False
    if prev in _APOSTROPHES or after[:1] in _APOSTROPHES:
        return False
    if text[start:end] in ("A", "I"):
        # The article and the pronoun, unless they end the sentence: "... is A."
        return not after[:1].isspace() and not after[:1].isalnum()
    dotted = (prev == "." and text[start - 2 : start - 1].isalpha()) or (
        after[:1] == "." and after[1:2].isalpha()
    )
    return not (dotted or _initial(text, start, end))


def _initial(text: str, start: int, end: int) -> bool:
    """The capital ``text[start:end]`` and the dot after it are an initial: "P. atrox", "J. K.
    Rowling", "J.R.R. Tolkien", "John F. Kennedy" (a letter and a dot before a lowercase word,
    another initial, or a name after a name or after initials); not "Vitamin D. It helps",
    "Vitamin C. Citrus fruits ...", "is O. Oxygen ..." (the letter follows no name: the
    sentence ends there)."""
    before = text[:start].rstrip().rsplit(None, 1)
    last = before[-1] if before else ""
    initials = last[:1].isupper() and _INITIALS.fullmatch(last) is not None
    named = not before or initials or (
        len(before) == 2
        and last[:1].isupper()
        and last[-1:].isalpha()
        and not before[0].endswith((".", ":"))
    )
    following = _FOLLOWING_WORD.match(text, end)
    next_word = following.group(1) if following else ""
    if next_word[:1].islower() or (len(next_word) == 1 and text[end + 3 : end + 4] == "."):
        return True
    return named and next_word[:1].isupper() and next_word.lower() not in _SENTENCE_OPENERS

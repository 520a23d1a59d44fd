"""What a question offers its answers to choose from: alternatives ("a fruit or a vegetable?"),
or yes and no ("Is Paris in France?").

``answer_part`` compares answers on what they say beyond the question's own words. That fails
where the answer *is* one of the question's words: every answer to "Is a tomato a fruit or a
vegetable?" names only words the question holds, and "yes" and "no" are function words, so all
of them had an empty part and the vote had nothing to count. These two readings of the question
say which words answer it. Pure text functions, no model.
"""

from __future__ import annotations

import re
from functools import lru_cache

from hive_tui.consensus.text import normalize

_CLAUSE_END = re.compile(r"[?.!:;]")
_OR = re.compile(r"\bor\b", re.I)
_QUESTION_WORD_TEXT = "what which who whom whose where when why how"
_QUESTION_WORDS = frozenset(_QUESTION_WORD_TEXT.split())
# Words that open a question answered by yes or no ("Is ...", "Does ...", "Can ...").
_OPENER_TEXT = (
    "is are was were am do does did can could will would shall should has have had may might must"
)
_YES_NO_OPENERS = frozenset(_OPENER_TEXT.split())
# Never an alternative on their own: articles, pronouns, "else" of "or something else".
_NOT_CHOICE_TEXT = (
    "a an the it this that these those one some any something anything else other another "
    "them they he she you i we of to in on at for with by from"
)
_NOT_CHOICES = frozenset(_NOT_CHOICE_TEXT.split())
_NEGATION = re.compile(r"\b(?:not|never|cannot)\b|n[’']t\b", re.I)
_NOT_KNOWN = re.compile(r"(?:\bnot|n[’']t) (?:know|sure)\b", re.I)  # no verdict at all
_YES_NO = re.compile(r"\b(yes|no)\b", re.I)


def _last_word(text: str) -> str | None:
    words = [w for w in normalize(text).split() if w not in _NOT_CHOICES]
    return words[-1] if words else None


@lru_cache(maxsize=512)
def offered_choices(question: str) -> tuple[str, ...]:
    """The alternatives a question offers, normalised, in order: the word before and after its
    "or" ("fruit", "vegetable"), and the earlier items of a list ("red, green or blue"). A
    comma piece with a question word is the question, not an item ("Which is heavier, feathers
    or steel?"). () when it offers none."""
    for clause in _CLAUSE_END.split(question):
        pieces = _OR.split(clause)
        if len(pieces) < 2:
            continue
        left, right = " or ".join(pieces[:-1]), pieces[-1]
        items = left.split(",")
        choices = [_last_word(items[-1]), _last_word(right)]
        for item in reversed(items[:-1]):
            if _QUESTION_WORDS & set(normalize(item).split()):
                break
            choices.insert(0, _last_word(item))
        found = tuple(dict.fromkeys(c for c in choices if c))
        if len(found) >= 2:
            return found
    return ()


@lru_cache(maxsize=512)
def asks_yes_or_no(question: str) -> bool:
    """A question answered by yes or no: it opens with "is", "does", "can" ... (its last
    sentence does), names no question word and offers no alternatives ("Can you tell me what
    the capital is?" asks for the capital)."""
    sentences = [s for s in _CLAUSE_END.split(question) if s.strip()]
    if not sentences or offered_choices(question):
        return False
    words = normalize(sentences[-1]).split()
    return bool(words) and words[0] in _YES_NO_OPENERS and not _QUESTION_WORDS & set(words)


def yes_or_no(sentence: str) -> tuple[str, tuple[int, int]] | None:
    """The verdict a sentence gives and where it says it: its first "yes" or "no", else "no"
    at a negation ("Paris is not in Spain."); None when it says neither."""
    if m := _YES_NO.search(sentence):
        return m.group(1).lower(), m.span(1)
    if _NOT_KNOWN.search(sentence):
        return None
    if m := _NEGATION.search(sentence):
        return "no", m.span()
    return None


def negated(sentence: str) -> bool:
    """Says "not" somewhere ("not", "never", "isn't", "I'm not sure")."""
    return bool(_NEGATION.search(sentence))


# A choice next to "or"/"and" repeats the question's alternatives ("Is it a fruit or a
# vegetable? It is a vegetable."): not the one chosen.
_LISTED = re.compile(r"\s*,?\s*(?:or|and)\b", re.I)
_LISTED_AFTER = re.compile(r"\b(?:or|and)\s+(?:(?:a|an|the)\s+)?$", re.I)


def choice_named(text: str, choices: tuple[str, ...]) -> tuple[str, tuple[int, int]] | None:
    """The first of ``choices`` the text names, and where (whole words, normalised), skipping
    one that only lists the alternatives again."""
    for m in re.finditer(r"[^\W_]+", text):
        word = normalize(m.group(0))
        listed = _LISTED.match(text, m.end()) or _LISTED_AFTER.search(text[: m.start()])
        if word in choices and not listed:
            return word, m.span()
    return None

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
# A question asking who, where, how ... wants something else than one of its "a or b": "Who
# wrote Hamlet or Macbeth?" is answered by an author, "How do I install numpy or scipy?" by steps.
_NOT_A_CHOICE = _QUESTION_WORDS - {"what", "which"}
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
# "not only", "not just" add to a claim ("Paris is not just a French city, but ..."): no "no".
_NEGATION = re.compile(r"\b(?:not|never|cannot)\b(?! (?:only|just|merely)\b)|n[’']t\b", re.I)
_NOT_KNOWN = re.compile(r"(?:\bnot|n[’']t) (?:know|sure)\b", re.I)  # no verdict at all
_YES_NO = re.compile(r"\b(yes|no)\b", re.I)


def _last_words(text: str, n: int) -> str | None:
    words = [w for w in normalize(text).split() if w not in _NOT_CHOICES]
    return " ".join(words[-n:]) if words else None


@lru_cache(maxsize=512)
def offered_choices(question: str) -> tuple[str, ...]:
    """The alternatives a question offers, normalised, in order: the word before and after its
    "or" ("fruit", "vegetable"), and the earlier items of a list ("red, green or blue"). A
    comma piece with a question word is the question, not an item ("Which is heavier, feathers
    or steel?"). () when it offers none, or asks who, where, how ... (``_NOT_A_CHOICE``)."""
    if _NOT_A_CHOICE & set(normalize(question).split()):
        return ()
    for clause in _CLAUSE_END.split(question):
        pieces = _OR.split(clause)
        if len(pieces) < 2:
            continue
        left, right = " or ".join(pieces[:-1]), pieces[-1]
        items = [item for item in left.split(",") if _last_words(item, 1)]  # "b, or c": no ""
        if not items or not _last_words(right, 1):
            continue
        listed = [items[-1], right]
        for item in reversed(items[:-1]):
            if _QUESTION_WORDS & set(normalize(item).split()):
                break
            listed.insert(0, item)
        # One word each, unless that makes two the same ("North America or South America").
        for n in (1, 2):
            found = tuple(dict.fromkeys(c for item in listed if (c := _last_words(item, n))))
            if len(found) == len(listed) >= 2:
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
    """The first of ``choices`` the text names, and where (whole words, any case), skipping
    one that only lists the alternatives again."""
    first: tuple[str, tuple[int, int]] | None = None
    for choice in choices:
        words = r"[\W_]+".join(re.escape(w) for w in choice.split())
        for m in re.finditer(rf"(?<![^\W_]){words}(?![^\W_])", text, re.I):
            if _LISTED.match(text, m.end()) or _LISTED_AFTER.search(text[: m.start()]):
                continue
            if first is None or m.start() < first[1][0]:
                first = choice, m.span()
            break
    return first

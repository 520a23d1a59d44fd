"""What a question offers its answers to choose from: alternatives ("a fruit or a vegetable?"),
or yes and no ("Is Paris in France?").

``answer_part`` compares answers on what they say beyond the question's own words. That fails
where the answer *is* one of the question's words: every answer to "Is a tomato a fruit or a
vegetable?" names only words the question holds, and "yes" and "no" are function words, so all
of them had an empty part and the vote had nothing to count. These two readings of the question
say which words answer it. Only the question itself is read: the last sentence of the message
that asks something (a pasted text before it, "if a or b:" in code, is no choice). Pure text
functions, no model.
"""

from __future__ import annotations

import re
from functools import lru_cache

from hive_tui.consensus.text import normalize

# A sentence ends at ? ! a line break or a '.' before a space (not "9.11", not "e.g.").
_SENTENCE = re.compile(r"[^?!\n]*?(?:[?!\n]|\.(?=\s|$)|$)")
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
# A request put as a question: "Can you name the largest planet?" wants the planet.
_REQUEST = re.compile(r"^\W*(?:(?:can|could|would|will) you|do you know)\b", re.I)
# Never an alternative on their own: articles, pronouns, "else" of "or something else".
_NOT_CHOICE_TEXT = (
    "a an the it this that these those one some any something anything else other another "
    "them they he she you i we of to in on at for with by from"
)
_NOT_CHOICES = frozenset(_NOT_CHOICE_TEXT.split())
# Where the phrase after the last "or" ends: "a fruit or a vegetable in cooking?".
_PHRASE_END = re.compile(r"\b(?:in|on|at|for|if|than|when|during|because|while)\b", re.I)
# "not only", "not just" add to a claim ("Paris is not just a French city, but ..."): no "no".
_NEGATION = re.compile(r"\b(?:not|never|cannot)\b(?! (?:only|just|merely)\b)|n[’']t\b", re.I)
# No verdict at all.
_NOT_KNOWN = re.compile(
    r"(?:\bnot|n[’']t) (?:know|sure)\b|\b(?:unsure|unclear|maybe|perhaps|it depends)\b", re.I
)
# The verdict words, at the start of the sentence ("There is no doubt ..." says no "no").
_VERDICT = re.compile(r"^\W*(yes|yeah|yep|true|correct|no|nope|false|incorrect)\b", re.I)
_SAYS_NO = frozenset({"no", "nope", "false", "incorrect"})


def the_question(message: str) -> str:
    """The sentence that asks: the last one ending in "?", else the last one."""
    found: list[str] = _SENTENCE.findall(message)
    sentences = [s.strip() for s in found if s.strip()]
    asking = [s for s in sentences if s.endswith("?")]
    return (asking or sentences or [""])[-1]


def _choice_words(item: str, n: int) -> str | None:
    """The last n words of an offered item ("a kilogram of feathers" -> "feathers"); None when
    it ends in a word that is no alternative ("is it" of "Is it A"); a lone capital letter is
    kept ("A, B or C")."""
    raw: list[str] = re.findall(r"[^\W_]+", item)
    if raw and len(raw[-1]) == 1 and raw[-1].isupper():
        return raw[-1].lower()
    words = normalize(item).split()
    if not words or words[-1] in _NOT_CHOICES:
        return None
    kept = [w for w in words if w not in _NOT_CHOICES]
    return " ".join(kept[-n:])


@lru_cache(maxsize=512)
def offered_choices(question: str) -> tuple[str, ...]:
    """The alternatives a question offers, normalised, in order: the words before and after its
    "or" ("fruit", "vegetable"), and the earlier items of a list ("red, green or blue", "a or b
    or c"). A comma piece with a question word is the question, not an item ("Which is heavier,
    feathers or steel?"). () when it offers none, asks who, where, how ... (``_NOT_A_CHOICE``),
    or asks "... or not?" (a yes/no question)."""
    asked = the_question(question).rstrip("?!. ")
    if _NOT_A_CHOICE & set(normalize(asked).split()):
        return ()
    for clause in re.split(r"[:;]", asked)[::-1]:
        pieces = _OR.split(clause)
        if len(pieces) < 2:
            continue
        right = _PHRASE_END.split(pieces[-1], maxsplit=1)[0]
        if set(normalize(right).split()) <= {"not", "no"}:
            return ()
        items = [i for piece in pieces[:-1] for i in piece.split(",") if normalize(i).split()]
        if not items:
            continue
        listed = [items[-1], right]
        for item in reversed(items[:-1]):
            if _QUESTION_WORDS & set(normalize(item).split()):
                break
            listed.insert(0, item)
        # One word each, unless that makes two the same ("North America or South America").
        for n in (1, 2):
            found = tuple(dict.fromkeys(c for item in listed if (c := _choice_words(item, n))))
            if len(found) == len(listed) >= 2:
                return found
    return ()


@lru_cache(maxsize=512)
def asks_yes_or_no(question: str) -> bool:
    """A question answered by yes or no: it opens with "is", "does", "can" ..., names no
    question word and offers no alternatives ("Can you tell me what the capital is?" asks for
    the capital), and is no request ("Can you name the largest planet?")."""
    asked = the_question(question)
    words = normalize(asked).split()
    return (
        bool(words)
        and words[0] in _YES_NO_OPENERS
        and not _QUESTION_WORDS & set(words)
        and not _REQUEST.search(asked)
        and not offered_choices(question)
    )


def yes_or_no(sentence: str) -> tuple[str, tuple[int, int]] | None:
    """The verdict a sentence gives and where it says it: the "yes" or "no" it opens with
    ("Yes, ...", "Nope."), else "no" at a negation ("Paris is not in Spain."); "" (and an
    empty span) when it says it does not know ("I'm not sure.", "Maybe."); None when it says
    neither: a statement."""
    if m := _VERDICT.search(sentence):
        return ("no" if m.group(1).lower() in _SAYS_NO else "yes"), m.span(1)
    if _NOT_KNOWN.search(sentence):
        return "", (0, 0)
    if m := _NEGATION.search(sentence):
        return "no", m.span()
    return None


# A choice next to "or"/"and"/"nor" repeats the question's alternatives ("Is it a fruit or a
# vegetable? It is a vegetable.") or denies it ("not a vegetable"): not the one chosen.
_LISTED = re.compile(r"\s*,?\s*(?:or|nor)\b", re.I)
_LISTED_AFTER = re.compile(r"\b(?:or|and|nor|not|neither)\s+(?:(?:a|an|the)\s+)?$", re.I)


def choice_named(text: str, choices: tuple[str, ...]) -> tuple[str, tuple[int, int]] | None:
    """The first of ``choices`` the text names, and where (whole words, any case; a letter
    choice in capitals), skipping one that only lists the alternatives again or is denied."""
    first: tuple[str, tuple[int, int]] | None = None
    for choice in choices:
        words = r"[\W_]+".join(re.escape(w) for w in choice.split())
        letter = len(choice) == 1 and choice.isalpha()
        pattern = rf"(?<![^\W_]){words.upper() if letter else words}(?![^\W_])"
        for m in re.finditer(pattern, text, 0 if letter else re.I):
            if _LISTED.match(text, m.end()) or _LISTED_AFTER.search(text[: m.start()]):
                continue
            if first is None or m.start() < first[1][0]:
                first = choice, m.span()
            break
    return first

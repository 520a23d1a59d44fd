"""Text normalisation and the similarity measures the consensus strategies vote with.

Measures
--------
* ``word_jaccard``: Jaccard index of the sets of normalised words. Blind to word order, so
  "Paris is the capital of France" and "The capital of France is Paris" are identical.
* ``char_jaccard``: Jaccard index of the sets of character 3-grams of the normalised text
  (padded with a space at each end). Tolerant of inflection, typos and glued punctuation.
* ``combined_similarity`` (the default, ``DEFAULT_MEASURE``): the mean of the two above, plus two
  overrides described on the function.

Why these: a benchmark on the real small model found word-Jaccard and char-3-gram similarity
clearly better than exact-text majority. Averaging them asks both views to agree, which damps
each one's failure mode (word sets ignore order and spelling; 3-grams over-reward shared
boilerplate in long answers).

Grouping threshold
------------------
``GROUP_THRESHOLD = 0.5``: two answers are "the same answer" when their similarity is at least
0.5, i.e. what they share is at least as large as what they do not. Hand-checked values with
``combined_similarity`` (pinned in ``tests/test_consensus_text.py``):

* same answer: re-ordered sentence 0.94, one typo 0.71, reworded "100 degrees Celsius" vs
  "100 °C" 0.63, "France's capital city is Paris" vs "The capital of France is Paris" 0.51,
  a looser paraphrase 0.50;
* different answer: "capital of Germany is Berlin" vs "... France is Paris" 0.43, two different
  code snippets 0.21, "42" vs "43" 0.20 (number cap), "London" vs "Paris" 0.0.

No threshold separates those perfectly. 0.5 keeps most paraphrases together while splitting
answers that only share the question's words; raising it splits paraphrases, lowering it merges
different answers. Known blind spot of every bag-of-words measure: a templated sentence that
differs in the one word that matters ("... is Paris." vs "... is Lyon.": 0.71) is grouped. The
strategies limit the damage by picking the group's most central member, not an arbitrary one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

GROUP_THRESHOLD = 0.5

# Similarity granted when a very short answer ("Paris") is wholly contained in a short
# sentence ("The capital of France is Paris."). Jaccard scores that pair ~0.2 though small models
# very often answer either way; 0.6 groups them (>= GROUP_THRESHOLD) without calling them equal.
CONTAINMENT_SIM = 0.6
SHORT_ANSWER_WORDS = 3
CONTAINER_MAX_WORDS = 30

# Two answers whose keys are different numbers disagree on what matters, however many other words
# they share ("The answer is 42" vs "The answer is 43"); cap them well below the threshold.
NUMBER_MISMATCH_CAP = 0.2

# An answer is "essentially a number" when it has one distinct number and at most this many
# other words ("The answer is 42.", "There are 7 days in a week").
NUMERIC_MAX_OTHER_WORDS = 6

# Words that carry no answer on their own; only used to decide whether a short answer has
# any content to look for inside a longer one.
_STOPWORDS = frozenset(
    {"a", "an", "the", "is", "are", "was", "were", "be", "been", "it", "its", "this", "that"}
    | {"of", "in", "on", "at", "to", "for", "and", "or", "as", "by", "with", "from", "so"}
    | {"answer", "yes", "no", "not"}
)
# A first line of at most this many words that ends in a number, or holds an "= number",
# states that number as its answer even when it names others on the way ("3 + 5 = 8").
STATED_MAX_WORDS = 16
_EQUALS_NUMBER = re.compile(r"=\s*(-?\d+(?:[.,]\d+)*)")
_LIST_MARKER = re.compile(r"^\s*(?:[-*+\u2022]|\d+[.)]|#+)\s+")
_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)*$")


class _CharMap(dict[int, str | None]):
    """str.translate table filled lazily, one Unicode lookup per distinct character.

    Letters, digits and combining marks (Devanagari vowel signs, ...) stay; '.', ',' and '-' stay
    for ``_STRAY_MARKS`` to judge in context; every other character becomes a space.
    """

    def __missing__(self, code: int) -> str | None:
        ch = chr(code)
        keep = ch.isalnum() or ch in ".,-" or unicodedata.category(ch).startswith("M")
        value = "-" if ch == "\u2212" else ch if keep else " "
        if len(self) < _CHAR_MAP_MAX:  # bounded: a hostile text cannot grow it without limit
            self[code] = value
        return value


_CHAR_MAP_MAX = 20_000
_CHAR_MAP = _CharMap()
# '.'/',' not between two digits, '-' not directly starting a number: plain punctuation.
_STRAY_MARKS = re.compile(r"(?<!\d)[.,]|[.,](?!\d)|-(?!\d)|(?<=[^\W_])-")


def normalize(text: str) -> str:
    """NFKC, casefold, punctuation and symbols to spaces, whitespace collapsed.

    Apostrophes are punctuation too, so "Germany's" keeps the word "germany" (plus a stray "s")
    and can match "Germany". '.'/',' between digits are kept so that "3.14" stays one token, and
    a '-' directly before a digit at a word start is kept so that "-5" and "5" stay different.
    """
    text = unicodedata.normalize("NFKC", text).casefold().translate(_CHAR_MAP)
    return " ".join(_STRAY_MARKS.sub(" ", text).split())


def _grams(norm: str, n: int = 3) -> frozenset[str]:
    if not norm:
        return frozenset()
    padded = f" {norm} "
    return frozenset(padded[i : i + n] for i in range(len(padded) - n + 1))


def words(text: str) -> list[str]:
    return normalize(text).split()


def char_ngrams(text: str, n: int = 3) -> frozenset[str]:
    """Character n-grams of the normalised text, padded so that short words still yield some."""
    return _grams(normalize(text), n)


def jaccard(a: frozenset[str] | set[str], b: frozenset[str] | set[str]) -> float:
    """|a & b| / |a | b|; two empty sets are identical (1.0), one empty set shares nothing."""
    if not a and not b:
        return 1.0
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def canonical_number(token: str) -> str:
    """'1,000' -> '1000', '42.0' -> '42', '3.50' -> '3.5'; unparseable tokens come back as is."""
    digits = token.replace(",", "")
    try:
        value = float(digits)
    except ValueError:
        return token
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def answer_key(text: str) -> str:
    """A short key for the answer: the number when the answer is essentially a number (one
    distinct number and few other words) or when its short first line states one as a result
    (see ``_stated_number``), otherwise the normalised first non-empty line (list and heading
    markers removed).

    Numeric keys are prefixed with '#' (see ``is_numeric_key``): the similarity measure treats
    two numeric keys specially, and a text key never starts with '#' (normalised away).
    """
    lines = [normalize(_LIST_MARKER.sub("", line)) for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return ""
    tokens = " ".join(lines).split()
    numbers = {canonical_number(t) for t in tokens if _NUMBER.match(t)}
    others = sum(1 for t in tokens if not _NUMBER.match(t))
    if len(numbers) == 1 and others <= NUMERIC_MAX_OTHER_WORDS:
        return "#" + numbers.pop()
    stated = _stated_number(text, lines[0])
    return "#" + stated if stated is not None else lines[0]


def _stated_number(text: str, first_norm: str) -> str | None:
    """The result a short first line states: after its last "=" ("3 + 5 = 8", "x = 2") or,
    when the line ends in a number, that number ("3 times 4 is 12."). None otherwise, and
    for lines longer than ``STATED_MAX_WORDS`` (prose that happens to end in a year)."""
    first_raw = next((ln for ln in text.splitlines() if normalize(ln)), "")
    toks = first_norm.split()
    if not toks or len(toks) > STATED_MAX_WORDS:
        return None
    eq = _EQUALS_NUMBER.findall(first_raw)
    if eq:
        return canonical_number(eq[-1].rstrip(".,"))
    if _NUMBER.match(toks[-1]) and sum(1 for t in toks if _NUMBER.match(t)) >= 2:
        return canonical_number(toks[-1])
    return None


def is_numeric_key(key: str) -> bool:
    return key.startswith("#")


@dataclass(frozen=True, slots=True)
class TextFeatures:
    """Everything the measures need, computed once per text (a strategy compares every pair)."""

    norm: str
    word_set: frozenset[str]
    word_count: int
    grams: frozenset[str]
    key: str


@lru_cache(maxsize=256)
def features(text: str) -> TextFeatures:
    # Cached because decide() over several strategies, and the swarm re-deciding as answers
    # arrive, see the same texts repeatedly.
    norm = normalize(text)
    toks = norm.split()
    return TextFeatures(
        norm=norm,
        word_set=frozenset(toks),
        word_count=len(toks),
        grams=_grams(norm),
        key=answer_key(text),
    )


def word_jaccard(a: str, b: str) -> float:
    return jaccard(features(a).word_set, features(b).word_set)


def char_jaccard(a: str, b: str) -> float:
    return jaccard(features(a).grams, features(b).grams)


def _contained(short: TextFeatures, long: TextFeatures) -> bool:
    """A very short answer whose content words all appear in a sentence-sized answer."""
    if short.word_count > SHORT_ANSWER_WORDS or long.word_count > CONTAINER_MAX_WORDS:
        return False
    content = short.word_set - _STOPWORDS
    return bool(content) and content <= long.word_set


def combined_features(fa: TextFeatures, fb: TextFeatures) -> float:
    if not fa.norm or not fb.norm:
        # Empty answers agree with nothing, not even each other: there is no answer to share.
        return 0.0
    if fa.norm == fb.norm:
        return 1.0
    if is_numeric_key(fa.key) and is_numeric_key(fb.key):
        if fa.key == fb.key:
            return 1.0
        base = (jaccard(fa.word_set, fb.word_set) + jaccard(fa.grams, fb.grams)) / 2
        return min(base, NUMBER_MISMATCH_CAP)
    base = (jaccard(fa.word_set, fb.word_set) + jaccard(fa.grams, fb.grams)) / 2
    short, long = (fa, fb) if fa.word_count <= fb.word_count else (fb, fa)
    if _contained(short, long):
        base = max(base, CONTAINMENT_SIM)
    return base


def word_features(fa: TextFeatures, fb: TextFeatures) -> float:
    """Word-set Jaccard; empty answers agree with nothing."""
    return jaccard(fa.word_set, fb.word_set) if fa.norm and fb.norm else 0.0


def char_features(fa: TextFeatures, fb: TextFeatures) -> float:
    """Character-3-gram Jaccard; empty answers agree with nothing."""
    return jaccard(fa.grams, fb.grams) if fa.norm and fb.norm else 0.0


def key_features(fa: TextFeatures, fb: TextFeatures) -> float:
    """Compare what the answers answer, not how they say it: two numeric keys are equal (1.0) or
    not (0.0); otherwise ``combined_features`` of the keys (the first lines)."""
    if not fa.norm or not fb.norm:
        return 0.0
    if is_numeric_key(fa.key) and is_numeric_key(fb.key):
        return 1.0 if fa.key == fb.key else 0.0
    return combined_features(features(fa.key.lstrip("#")), features(fb.key.lstrip("#")))


def combined_similarity(a: str, b: str) -> float:
    """Mean of word-Jaccard and char-3-gram Jaccard, with two overrides:

    * both answers essentially numbers (see ``answer_key``): equal numbers -> 1.0, different
      numbers -> at most ``NUMBER_MISMATCH_CAP``;
    * a 1-3 word answer whose content words all occur in an answer of <= 30 words -> at least
      ``CONTAINMENT_SIM`` ("Paris" vs "The capital of France is Paris.").

    Empty (after normalisation) answers score 0.0 against everything.
    """
    return combined_features(features(a), features(b))


Measure = Callable[[str, str], float]
DEFAULT_MEASURE: Measure = combined_similarity
# The same measures on precomputed features (what the strategies call, once per pair).
PairMeasure = Callable[[TextFeatures, TextFeatures], float]
DEFAULT_PAIR_MEASURE: PairMeasure = combined_features

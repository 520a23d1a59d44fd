"""Normalisation, answer keys, similarity measures and the quality heuristics."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hive_tui.consensus.quality import (
    FENCE_MALFORMED_FACTOR,
    FENCE_UNBALANCED_FACTOR,
    fence_factor,
    is_degenerate,
    is_valid,
    quality_score,
    quality_scores,
    repetition,
)
from hive_tui.consensus.text import (
    DEFAULT_MEASURE,
    GROUP_THRESHOLD,
    NUMBER_MISMATCH_CAP,
    answer_key,
    char_jaccard,
    char_ngrams,
    combined_similarity,
    jaccard,
    normalize,
    word_jaccard,
)
from hive_tui.wire import Candidate

PROSE = (
    "Python is a high-level, general-purpose programming language. Its design philosophy "
    "emphasizes code readability with the use of significant indentation. Python is dynamically "
    "typed and garbage-collected. It supports multiple programming paradigms, including "
    "structured, object-oriented and functional programming."
)

# --------------------------------------------------------------------------- normalisation


def test_normalize_case_punctuation_whitespace():
    assert normalize("  The  Capital,\tof FRANCE!\n") == "the capital of france"
    assert normalize("Paris.") == normalize("paris") == "paris"


def test_normalize_nfkc_and_casefold():
    # Full-width letters and the 'ﬁ' ligature fold under NFKC; 'ß' casefolds to 'ss'.
    assert normalize("ＰＡＲＩＳ") == "paris"
    assert normalize("ﬁne") == "fine"
    assert normalize("Straße") == "strasse"


def test_normalize_keeps_combining_marks_inside_words():
    # Devanagari vowel signs are combining marks, not punctuation: the words stay whole.
    assert normalize("नमस्ते, दुनिया!").split() == ["नमस्ते", "दुनिया"]


def test_normalize_keeps_numbers_whole():
    assert normalize("It is 3.14, roughly.") == "it is 3.14 roughly"
    assert normalize("-5 degrees") == "-5 degrees"
    assert normalize("well-known 1,000") == "well known 1,000"
    assert normalize("Germany's") == "germany s"


def test_normalize_empty_and_punctuation_only():
    assert normalize("") == ""
    assert normalize(" ...!?  ") == ""


def test_char_ngrams_are_padded_trigrams():
    assert char_ngrams("Ab!") == frozenset({" ab", "ab "})
    assert char_ngrams("   ") == frozenset()


def test_answer_key_numbers():
    assert answer_key("The answer is 42.") == "#42"
    assert answer_key("42") == "#42"
    assert answer_key("1,000") == answer_key("1000") == answer_key("1000.0") == "#1000"
    assert answer_key("There are 7 days in a week.") == "#7"


def test_answer_key_first_line_when_not_a_number():
    assert answer_key("\n  Paris.\nIt has been the capital since 987.") == "paris"
    # A list marker is not a number: two numbered lists do not share the key "#1".
    assert answer_key("1. Install Python\n2. Run it") == "install python"
    assert (
        answer_key("In 1991 and 2000 two versions shipped.")
        == "in 1991 and 2000 two versions shipped"
    )
    assert answer_key("") == answer_key("  \n ") == ""


# --------------------------------------------------------------------------- measures


def test_jaccard_edge_cases():
    assert jaccard(set(), set()) == 1.0
    assert jaccard({"a"}, set()) == 0.0
    assert jaccard({"a", "b"}, {"b", "c"}) == pytest.approx(1 / 3)


def test_word_jaccard_ignores_order_case_punctuation():
    assert word_jaccard("Paris is the capital of France.", "the capital of france is PARIS") == 1.0
    assert word_jaccard("red apple", "green apple") == pytest.approx(1 / 3)


def test_char_jaccard_tolerates_typos_better_than_words():
    a, b = "I recieve the package tomorrow", "I receive the package tomorrow"
    assert char_jaccard(a, b) > word_jaccard(a, b)
    assert char_jaccard("Paris.", "paris") == 1.0


def test_combined_is_mean_of_word_and_char():
    a, b = "Red apples taste sweet.", "Green apples taste sour."
    assert combined_similarity(a, b) == pytest.approx((word_jaccard(a, b) + char_jaccard(a, b)) / 2)
    assert DEFAULT_MEASURE is combined_similarity


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Paris is the capital of France.", "The capital of France is Paris."),
        ("I recieve the package tomorrow", "I receive the package tomorrow"),
        (
            "Water boils at 100 degrees Celsius at sea level.",
            "At sea level, water boils at 100 °C.",
        ),
        ("The capital of France is Paris.", "France's capital city is Paris."),
        ("Paris", "The capital of France is Paris."),  # short answer inside a sentence
        ("42", "The answer is 42."),  # same number
    ],
)
def test_same_answer_reaches_group_threshold(a, b):
    assert combined_similarity(a, b) >= GROUP_THRESHOLD


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("The capital of France is Paris.", "The capital of Germany is Berlin."),
        ("London", "The capital of France is Paris."),
        ("The answer is 42.", "The answer is 43."),
        ("Use a list comprehension: [x*x for x in xs]", "You can use map: list(map(f, xs))"),
    ],
)
def test_different_answers_stay_below_group_threshold(a, b):
    assert combined_similarity(a, b) < GROUP_THRESHOLD


def test_number_mismatch_is_capped_despite_shared_words():
    for a, b in [
        ("The answer is 42.", "The answer is 43."),
        ("Water boils at 100 degrees Celsius.", "Water freezes at 0 degrees Celsius."),
    ]:
        assert word_jaccard(a, b) >= 0.5  # the words alone would group them
        assert combined_similarity(a, b) <= NUMBER_MISMATCH_CAP


def test_containment_needs_content_words():
    # "is it" has only stopwords: nothing to look for in the longer answer.
    assert combined_similarity("is it", "It is what it is, and that is fine.") < GROUP_THRESHOLD


def test_empty_answers_agree_with_nothing():
    assert combined_similarity("", "") == 0.0
    assert combined_similarity("...", "Paris") == 0.0


@given(st.text(max_size=80), st.text(max_size=80))
def test_measures_are_symmetric_and_bounded(a, b):
    for measure in (word_jaccard, char_jaccard, combined_similarity):
        s = measure(a, b)
        assert 0.0 <= s <= 1.0
        assert s == measure(b, a)


# --------------------------------------------------------------------------- quality


def test_repetition_low_for_prose_high_for_loops():
    assert repetition(PROSE) < 0.15
    assert not is_degenerate(PROSE)
    assert is_degenerate("Paris " * 20)
    assert is_degenerate("ha" * 40)
    assert is_degenerate("\n".join(["The answer is four."] * 6))


def test_fence_factor():
    good = "Here:\n```python\nprint(1)\n```\nDone."
    assert fence_factor(good) == 1.0
    assert fence_factor("no code here") == 1.0
    assert fence_factor("```python\nprint(1)\n") == FENCE_UNBALANCED_FACTOR
    assert fence_factor("Run ```print(1)``` now") == FENCE_MALFORMED_FACTOR  # inline, not a block
    assert fence_factor("```python\nx = 1\n```python\n") == FENCE_MALFORMED_FACTOR  # tagged closer


def test_quality_score_ordering():
    base = Candidate("w", "Paris is the capital of France.")
    assert quality_score(base) == 1.0
    assert quality_score(Candidate("w", "   ")) == 0.0
    truncated = Candidate("w", base.text, finish_reason="length")
    assert 0.0 < quality_score(truncated) < quality_score(base)
    errored = Candidate("w", base.text, finish_reason="error")
    assert quality_score(errored) < quality_score(truncated)


def test_quality_never_rewards_length():
    short = Candidate("w", "Paris is the capital of France.")
    padded = Candidate("w", short.text + " " + PROSE)
    assert quality_score(padded) <= quality_score(short)
    # Far longer than the peers' median and over 200 words: mildly penalised.
    peers = [Candidate("w", "Paris is the capital.")] * 3
    huge = Candidate("w", " ".join(f"word{i}" for i in range(400)))
    scores = quality_scores([*peers, huge])
    assert scores[3] < scores[0] == 1.0
    assert scores[3] > 0.5  # mild, not a disqualification


def test_is_valid():
    assert is_valid(Candidate("w", "Paris"))
    assert is_valid(Candidate("w", "Paris", finish_reason="length"))
    assert not is_valid(Candidate("w", " \n"))
    assert not is_valid(Candidate("w", "Paris", finish_reason="error"))
    assert not is_valid(Candidate("w", "Paris", finish_reason="cancelled"))
    assert not is_valid(Candidate("w", "Paris " * 30))


# --------------------------------------------------------------------------- measures on features


def test_answer_key_takes_the_number_a_short_line_states():
    assert answer_key("2 + 4 = 6\n\nThis is a classic example of addition.") == "#6"
    assert answer_key("9 times 9 is 81.") == answer_key("9 x 9 = 81 in decimal.") == "#81"
    assert answer_key("The capital of Italy is Rome.") == "the capital of italy is rome"
    long_line = "one two three four five six seven eight nine ten eleven twelve 13 and 14"
    assert answer_key(long_line + " fifteen sixteen 17") == normalize(
        long_line + " fifteen sixteen 17"
    )


def test_feature_measures():
    from hive_tui.consensus.text import (
        char_features,
        combined_features,
        features,
        key_features,
        word_features,
    )

    a, b = features("Paris is the capital."), features("The capital is Paris!")
    assert word_features(a, b) == 1.0 and char_features(a, b) < 1.0
    assert combined_features(a, b) == pytest.approx((1.0 + char_features(a, b)) / 2)
    empty = features("  ")
    for m in (word_features, char_features, combined_features, key_features):
        assert m(a, empty) == m(empty, empty) == 0.0
    # key: numbers compare as numbers, whatever the words around them.
    eq, stated, wrong = features("3 + 5 = 8"), features("The answer is 8."), features("9")
    assert key_features(eq, stated) == 1.0 and key_features(eq, wrong) == 0.0
    # key: otherwise only the first lines are compared.
    long_a = features("Paris.\nIt is on the Seine and has many museums.")
    long_b = features("Paris.\nFamous for the Eiffel tower.")
    assert key_features(long_a, long_b) == 1.0 > combined_features(long_a, long_b)

"""The consensus strategies and the public API, on hand-written candidates."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hive_tui.consensus import (
    DEFAULT_STRATEGY,
    EARLY_EXIT,
    STRATEGIES,
    UnknownStrategy,
    decide,
    is_valid,
    strategies,
    strategy_names,
)
from hive_tui.consensus.answer_part import answer_part, part_similarity
from hive_tui.wire import Candidate, Decision

ALL = sorted(STRATEGIES)


def cand(text: str, i: int = 0, **kw) -> Candidate:
    return Candidate(worker_id=f"w{i}", text=text, **kw)


def cands(*texts: str, **kw) -> list[Candidate]:
    return [cand(t, i, **kw) for i, t in enumerate(texts)]


def part_sim(a: str, b: str, question: str = "") -> float:
    """What the strategies compare: the answers' parts (see ``answer_part``)."""
    return part_similarity(answer_part(a, question), answer_part(b, question))


PARIS = cands("Paris.", "The capital of France is Paris.", "paris", "London")


# --------------------------------------------------------------------------- API


def test_registry_and_names():
    assert DEFAULT_STRATEGY == "confidence"  # chosen by `hive bench quality`
    assert strategy_names()[0] == DEFAULT_STRATEGY
    assert (
        set(strategy_names())
        == set(STRATEGIES)
        == {
            "similarity",
            "quality",
            "fastest",
            "majority",
            "confidence",
        }
    )
    assert frozenset({"fastest"}) == EARLY_EXIT and set(STRATEGIES) >= EARLY_EXIT


def test_unknown_strategy_raises_with_valid_names():
    with pytest.raises(UnknownStrategy) as info:
        decide("loudest", PARIS)
    assert isinstance(info.value, ValueError)
    for name in STRATEGIES:
        assert name in str(info.value)


@pytest.mark.parametrize("name", ALL)
def test_decide_dispatches_and_names_the_strategy(name):
    d = decide(name, PARIS)
    assert d == STRATEGIES[name](PARIS)
    assert d.strategy == name


# --------------------------------------------------------------------------- shared edge cases


@pytest.mark.parametrize("name", ALL)
def test_zero_candidates(name):
    assert decide(name, []) == Decision(name, -1, [], [], 0.0)


@pytest.mark.parametrize("name", ALL)
def test_one_candidate(name):
    d = decide(name, [cand("Paris", latency_s=2.0, mean_logprob=-1.0)])
    assert (d.winner, d.groups, d.agreement) == (0, [[0]], 1.0)
    assert len(d.scores) == 1 and d.scores[0] > 0


@pytest.mark.parametrize("name", ALL)
def test_all_empty_still_decides(name):
    d = decide(name, cands("", "   ", "\n"))
    assert d.winner == 0  # all equally bad: index order
    assert d.agreement == 0.0  # nobody agreed on an answer
    assert d.scores == [0.0, 0.0, 0.0]
    assert sorted(d.groups) == [[0], [1], [2]]


@pytest.mark.parametrize("name", ALL)
def test_all_invalid_picks_least_bad(name):
    # A cancelled partial answer beats an error, which beats an empty answer.
    c = [
        cand("", 0),
        cand("Paris is", 1, finish_reason="error"),
        cand("Paris is the", 2, finish_reason="cancelled"),
    ]
    d = decide(name, c)
    assert d.winner == 2
    assert d.agreement == 0.0


@pytest.mark.parametrize("name", ALL)
def test_invalid_never_wins_over_valid(name):
    # Three identical errored answers, faster and confident, against one valid answer.
    bad = [
        cand("Lyon", i, finish_reason="error", latency_s=0.1, mean_logprob=-0.01) for i in range(3)
    ]
    good = cand("Paris", 3, latency_s=9.0, mean_logprob=-3.0)
    d = decide(name, [*bad, good])
    assert d.winner == 3
    assert d.scores[:3] == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("name", ALL)
def test_exact_tie_goes_to_lower_index(name):
    d = decide(name, cands("Paris", "London"))
    assert d.winner == 0
    assert d.agreement == 0.5


@pytest.mark.parametrize("name", ALL)
def test_deterministic(name):
    c = [*PARIS, cand("Berlin", 4, latency_s=0.5), cand("", 5)]
    assert decide(name, c) == decide(name, list(c))


# --------------------------------------------------------------------------- similarity


def test_similarity_picks_paris_group():
    d = decide("similarity", PARIS)
    assert d.winner in (0, 2)  # the two short Paris answers are the group's most central
    assert d.agreement == 0.75
    assert sorted(map(sorted, d.groups)) == [[0, 1, 2], [3]]
    assert d.scores[3] == 0.0  # "London" shares nothing with anyone
    # Score is the mean similarity to the other three, recomputed here from the measure.
    expected = [sum(part_sim(a.text, b.text) for b in PARIS if b is not a) / 3 for a in PARIS]
    assert d.scores == pytest.approx(expected)


def test_similarity_tied_group_size_goes_to_tighter_group():
    c = cands(
        "The capital of France is Paris.",
        "The capital of France is Paris!",  # identical after normalisation: a tight pair
        "Berlin is the capital of Germany.",
        "Germany's capital is Berlin.",  # a looser pair
    )
    d = decide("similarity", c)
    assert sorted(map(sorted, d.groups)) == [[0, 1], [2, 3]]
    assert d.winner == 0
    assert d.agreement == 0.5


def test_similarity_winner_is_most_central_member():
    c = cands(
        "The capital of France is Paris.",
        "Paris is the capital of France.",
        "Paris is the capital of France, on the Seine.",
        "London",
    )
    d = decide("similarity", c)
    group = next(g for g in d.groups if d.winner in g)
    assert sorted(group) == [0, 1, 2]

    # The winner's mean similarity to its group-mates is the highest in the group.
    def inner(i):
        return sum(part_sim(c[i].text, c[j].text) for j in group if j != i)

    assert all(inner(d.winner) >= inner(j) for j in group)


# --------------------------------------------------------------------------- majority


def test_majority_normalised_exact_vote():
    d = decide("majority", PARIS)
    assert d.winner == 0
    assert sorted(d.groups) == [[0, 2], [1], [3]]
    assert d.scores == [0.5, 0.25, 0.5, 0.25]
    assert d.agreement == 0.5


def test_majority_tie_broken_by_similarity_to_the_rest():
    # Two buckets of two; the "Paris" bucket is closer to the odd one out.
    c = cands("London", "london.", "Paris", "PARIS", "The capital of France is Paris.")
    d = decide("majority", c)
    assert d.winner == 2
    assert d.agreement == pytest.approx(2 / 5)


# --------------------------------------------------------------------------- quality


def test_quality_degenerate_repetition_loses():
    loop = " ".join(["Paris is the capital."] * 12)
    d = decide("quality", cands(loop, "Paris is the capital of France."))
    assert d.winner == 1
    assert d.scores[0] == 0.0  # degenerate is invalid
    assert not is_valid(cand(loop))


def test_quality_penalises_unbalanced_fence_not_length():
    broken = "Here is the code:\n```python\ndef add(a, b):\n    return a + b\n"
    closed = broken + "```\n"
    d = decide("quality", cands(broken, closed))
    assert d.winner == 1
    assert d.scores[0] < d.scores[1]
    # Being longer earns nothing: a clean long answer and a clean short one score the same.
    short_ok = "Use `a + b`."
    long_ok = short_ok + " " + "It adds the two numbers and returns the sum to the caller."
    d2 = decide("quality", cands(long_ok, short_ok))
    assert d2.scores[0] == d2.scores[1] == 1.0


def test_quality_prefers_finished_over_truncated():
    c = [
        cand("Paris is the capital of France", 0, finish_reason="length"),
        cand("Paris is the capital of France.", 1),
    ]
    d = decide("quality", c)
    assert d.winner == 1 and d.scores[0] < d.scores[1]


def test_quality_tie_broken_by_centrality():
    c = cands("London is big.", "Paris is the capital.", "The capital is Paris.")
    d = decide("quality", c)
    assert d.scores[0] == d.scores[1] == d.scores[2]
    assert d.winner in (1, 2)  # the agreeing pair, not index 0


# --------------------------------------------------------------------------- fastest


def test_fastest_skips_empty_faster_answer():
    c = [
        cand("", 0, latency_s=0.2),
        cand("Paris", 1, latency_s=1.0),
        cand("paris", 2, latency_s=2.0),
        cand("Lyon", 3, latency_s=0.5, finish_reason="cancelled"),
    ]
    d = decide("fastest", c)
    assert d.winner == 1
    assert d.scores[1] == 1.0
    assert d.scores[0] == d.scores[3] == 0.0
    assert 0.0 < d.scores[2] < 1.0  # valid but slower
    assert d.agreement == 0.5  # Paris group: 2 of 4


def test_fastest_scores_decrease_with_latency():
    c = [
        cand(t, i, latency_s=s)
        for i, (t, s) in enumerate([("a b", 3.0), ("c d", 1.0), ("e f", 2.0)])
    ]
    d = decide("fastest", c)
    assert d.winner == 1
    assert d.scores[1] > d.scores[2] > d.scores[0] > 0.0


# --------------------------------------------------------------------------- confidence


def test_confidence_prefers_group_backed_by_higher_logprob():
    c = [
        cand("London", 0, mean_logprob=-2.5),
        cand("london", 1, mean_logprob=-2.4),
        cand("London.", 2, mean_logprob=-2.6),
        cand("Paris", 3, mean_logprob=-0.1),
        cand("paris", 4, mean_logprob=-0.2),
    ]
    assert decide("similarity", c).winner in (0, 1, 2)  # plain similarity: bigger group
    d = decide("confidence", c)
    assert d.winner in (3, 4)
    assert d.agreement == pytest.approx(2 / 5)
    assert all(d.scores[i] > d.scores[j] for i in (3, 4) for j in (0, 1, 2))


def test_confidence_without_logprobs_equals_similarity():
    d = decide("confidence", PARIS)
    s = decide("similarity", PARIS)
    assert (d.winner, d.scores, d.groups, d.agreement) == (
        s.winner,
        s.scores,
        s.groups,
        s.agreement,
    )


def test_confidence_missing_logprob_gets_neutral_weight():
    c = [
        cand("Paris", 0, mean_logprob=-0.5),
        cand("London", 1),
        cand("Berlin", 2, mean_logprob=-0.5),
    ]
    d = decide("confidence", c)
    # All three weights equal -> each scores its own weight, 1/3; tie -> index 0.
    assert d.scores == pytest.approx([1 / 3] * 3)
    assert d.winner == 0


# --------------------------------------------------------------------------- properties

_texts = st.one_of(
    st.sampled_from(["", " ", "Paris", "paris.", "London", "The capital is Paris.", "ha" * 30]),
    st.text(max_size=60),
)
_candidates = st.builds(
    Candidate,
    worker_id=st.just("w"),
    text=_texts,
    finish_reason=st.sampled_from(["stop", "length", "cancelled", "error"]),
    latency_s=st.floats(min_value=0, max_value=100) | st.sampled_from([float("nan"), -1.0]),
    mean_logprob=st.none() | st.floats(min_value=-50, max_value=0) | st.just(float("-inf")),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_candidates, max_size=8), st.sampled_from(ALL))
def test_every_decision_is_well_formed(candidates, name):
    n = len(candidates)
    d = decide(name, candidates)
    assert d.strategy == name
    assert len(d.scores) == n
    assert all(0.0 <= s <= 1.0 for s in d.scores)
    assert 0.0 <= d.agreement <= 1.0
    assert (d.winner == -1) == (n == 0)
    assert -1 <= d.winner < n
    flat = sorted(i for g in d.groups for i in g)
    assert flat == list(range(n))  # a partition: every index exactly once
    assert all(g for g in d.groups)
    if any(is_valid(c) for c in candidates):
        assert is_valid(candidates[d.winner])
    assert d == decide(name, candidates)


# --------------------------------------------------------------------------- what users are shown


@pytest.mark.parametrize("name", ALL)
def test_agree_count_and_mean_similarity_match_the_vote(name):
    d = decide(name, PARIS)
    assert d.agree_count == round(d.agreement * len(PARIS))
    assert d.agree_count == len(next(g for g in d.groups if d.winner in g))
    others = [part_sim(PARIS[d.winner].text, c.text) for c in PARIS if c is not PARIS[d.winner]]
    assert d.mean_similarity == pytest.approx(sum(others) / len(others))


@pytest.mark.parametrize("name", ALL)
def test_nothing_valid_means_nobody_agrees(name):
    d = decide(name, cands("", "  "))
    assert (d.agree_count, d.mean_similarity, d.agreement) == (0, 0.0, 0.0)
    one = decide(name, [cand("Paris")])
    assert (one.agree_count, one.mean_similarity) == (1, 1.0)


def test_mbr_sharpness_moves_from_similarity_to_most_confident():
    from hive_tui.consensus.grouping import analyse
    from hive_tui.consensus.strategies import mbr

    c = [
        cand("London", 0, mean_logprob=-1.2),
        cand("london", 1, mean_logprob=-1.3),
        cand("Paris", 2, mean_logprob=-0.2),
    ]
    a = analyse(c)
    assert mbr("confidence", a, c, 0.0).winner == 0  # uniform weights: the pair of two wins
    assert mbr("confidence", a, c, 20.0).winner == 2  # sharp: the model's surest answer wins
    assert mbr("confidence", a, c, 20.0).agree_count == 1


def test_the_verdict_says_likely_right_only_when_a_strict_majority_agrees():
    from hive_tui.consensus import agreement_text, verdict

    three = decide("confidence", cands("Paris", "Paris.", "It is Paris", "Lyon", "Nice"))
    assert three.agree_count == 3 and verdict(three, 5) == "likely right"
    assert agreement_text(three, 5).startswith("3 of 5 agree, likely right (mean similarity")
    split = decide("confidence", cands("Paris", "Paris.", "Lyon", "Lyon.", "Nice"))
    assert split.agree_count == 2 and verdict(split, 5) == "uncertain"
    assert verdict(decide("confidence", cands("", " ")), 2) == "no answer"
    assert verdict(decide("confidence", cands("Paris")), 1) == "uncertain"  # one is no vote


def test_an_answer_cut_off_at_its_token_limit_counts_for_less():
    # Two sure answers, one cut off at its limit: the whole one wins the weighted vote.
    sure = [-0.1]
    whole = cand("Lima.", 0, token_logprobs=sure, token_ends=[5])
    cut = cand("Cusco, which", 1, finish_reason="length", token_logprobs=sure, token_ends=[5])
    assert decide("confidence", [cut, whole], "What is the capital of Peru?").winner == 1
    assert decide("confidence", [whole, cut], "What is the capital of Peru?").winner == 0


def test_an_answer_that_rambles_past_the_long_answer_limit_counts_as_cut_off():
    # Equally sure of their answers; the one that went on for 49 tokens counts as cut off.
    q = "What is the capital of Peru?"
    sure = [-0.1]
    short = cand("Lima.", 0, token_logprobs=sure, token_ends=[5], completion_tokens=12)
    long = cand(
        "Cusco.", 1, token_logprobs=sure, token_ends=[6],
        completion_tokens=strategies.LONG_ANSWER_TOKENS + 1,
    )
    assert decide("confidence", [long, short], q).winner == 1
    at_limit = msgspec.structs.replace(long, completion_tokens=strategies.LONG_ANSWER_TOKENS)
    assert decide("confidence", [at_limit, short], q).winner == 0  # a tie: the first


def test_an_answer_that_copies_a_question_number_counts_for_less():
    # "gives 7" copies the question's 7 with a copy's certainty; the less sure "1" wins.
    q = "What is 7 minus 6?"
    copy = cand(
        "It gives 7.", 0, token_logprobs=[-0.5, -0.5, -0.05, -0.1], token_ends=[2, 8, 10, 11]
    )
    one = cand("It is 1.", 1, token_logprobs=[-0.5, -0.5, -1.2, -0.1], token_ends=[2, 5, 7, 8])
    assert decide("confidence", [copy, one], q).winner == 1
    # Where the question offers its numbers as the choices, naming one is no copy.
    q = "Which number is bigger: 7 or 1?"
    assert decide("confidence", [copy, one], q).winner == 0


def test_a_lone_winner_over_a_pair_is_told_apart_from_no_agreement():
    from hive_tui.consensus import agreement_text

    # The model was far surer of the lone "zero" than of the pair's "empty": it wins alone,
    # and the user reads that two other workers agreed on something else.
    sure = [("zero", -0.2), ("empty", -2.6), ("empty", -2.7), ("negative", -3.0)]
    lone = decide("confidence", [cand(t, i, mean_logprob=lp) for i, (t, lp) in enumerate(sure)])
    assert lone.winner == 0 and lone.agree_count == 1
    text = agreement_text(lone, 4)
    assert text.startswith("stands alone, uncertain; 2 of 4 agree on another answer (")
    scattered = decide("confidence", cands("zero", "empty", "negative"))
    assert agreement_text(scattered, 3).startswith("no two answers agree, uncertain")
    assert agreement_text(decide("confidence", cands("Paris")), 1) == "one worker, no vote"
    assert agreement_text(decide("confidence", cands("")), 1) == "one worker, no usable answer"


def test_picks_among_the_questions_own_alternatives_are_counted_not_weighed():
    # "Damascus" copied in the question's own order is read with a copy's certainty; two
    # workers picked "Kabul" less easily. Counted plainly, the two win; on an open question
    # the same certainty would carry the lone answer.
    def said(text: str, i: int, lp: float) -> Candidate:
        return cand(text, i, token_logprobs=[-0.5, lp, -0.1], token_ends=[4, len(text) - 1,
                                                                          len(text)])

    answers = [said("The Damascus.", 0, -0.05), said("The Kabul.", 1, -1.5),
               said("The Kabul.", 2, -1.6)]
    d = decide("confidence", answers, "Which is the capital of Afghanistan, Damascus or Kabul?")
    assert answers[d.winner].text == "The Kabul." and d.agree_count == 2
    d = decide("confidence", answers, "What is the capital of Afghanistan?")
    assert d.winner == 0
    two = [said("It is 78.", 0, -0.05), said("It is 41.", 1, -1.5), said("It is 41.", 2, -1.6)]
    assert decide("confidence", two, "Which number is bigger: 78 or 41?").agree_count == 2


def test_workers_that_name_the_same_letter_agree():
    # A chemical symbol or a letter of the alphabet is the whole answer: five workers naming
    # "O" are a unanimous vote, not five answers with nothing to compare.
    q = "What is the chemical symbol for oxygen?"
    texts = ["O", "The chemical symbol for oxygen is O.", "O.", "It is O.", "The symbol is H."]
    for name in ("confidence", "similarity", "majority"):
        d = decide(name, cands(*texts), q)
        assert texts[d.winner] != texts[4] and d.agree_count == 4, name
    # A question that holds a number and asks for a word is voted on the word.
    q = "Which element has atomic number 8?"
    texts = ["Oxygen has atomic number 8.", "Oxygen.", "Nitrogen has atomic number 8.", "Oxygen"]
    d = decide("confidence", cands(*texts), q)
    assert "Oxygen" in texts[d.winner] and d.agree_count == 3

"""Speculative decoding's pure parts, without a model: the n-gram lookup, the processed
distribution, and the acceptance rule that keeps sampled output distributed as without drafts."""

from __future__ import annotations

import numpy as np

from hive_tui.backends.speculative import judge, lookup_draft, processed_probs, sample


def test_lookup_continues_the_latest_earlier_occurrence_of_the_tail() -> None:
    tokens = [1, 2, 3, 4, 9, 9, 1, 2, 3, 5, 6, 7, 8, 1, 2, 3]
    # The tail 1 2 3 occurred twice before; the latest one was followed by 5 6 7.
    assert lookup_draft(tokens, 3) == [5, 6, 7]
    assert lookup_draft(tokens, 10) == [5, 6, 7, 8, 1, 2, 3]


def test_lookup_prefers_the_longest_matching_ngram() -> None:
    # The trigram 0 8 3 recurs (followed by 6 0); the unigram 3 alone would give 4 0 first.
    tokens = [7, 3, 4, 0, 8, 3, 6, 0, 8, 3]
    assert lookup_draft(tokens, 2) == [6, 0]
    assert lookup_draft([7, 3, 4, 0, 5, 3], 2, ngram_min=1) == [4, 0]
    assert lookup_draft([7, 3, 4, 0, 5, 3], 2) == []  # one token of context is too little


def test_lookup_without_a_match_or_room_drafts_nothing() -> None:
    assert lookup_draft([1, 2, 3, 4], 5) == []
    assert lookup_draft([1, 2, 1, 2], 0) == []
    assert lookup_draft([], 4) == []
    assert lookup_draft([5], 4) == []


def test_processed_probs_applies_top_k_top_p_and_temperature() -> None:
    logits = np.log(np.array([0.5, 0.3, 0.15, 0.05]))
    assert np.allclose(processed_probs(logits, 1.0, 0, 1.0), [0.5, 0.3, 0.15, 0.05])
    two = processed_probs(logits, 1.0, 2, 1.0)
    assert np.allclose(two, [0.5 / 0.8, 0.3 / 0.8, 0, 0])
    # top-p 0.7: the smallest prefix reaching 0.7 is {0.5, 0.3}.
    assert np.allclose(processed_probs(logits, 1.0, 0, 0.7), two)
    cold = processed_probs(logits, 0.5, 0, 1.0)
    expected = np.array([0.5, 0.3, 0.15, 0.05]) ** 2
    assert np.allclose(cold, expected / expected.sum())
    # min-p 0.25 (on the untempered softmax, as llama.cpp): tokens under 0.25 x 0.5 go.
    three = np.array([0.5, 0.3, 0.15, 0.0]) / 0.95
    assert np.allclose(processed_probs(logits, 1.0, 0, 1.0, 0.25), three)
    assert np.allclose(processed_probs(logits, 1.0, 0, 1.0, 0.5), two)


def _chi_square(counts: np.ndarray, probs: np.ndarray) -> float:
    expected = probs * counts.sum()
    mask = expected > 0
    assert counts[~mask].sum() == 0, "a token outside the distribution's support came out"
    return float((((counts - expected) ** 2)[mask] / expected[mask]).sum())


def test_judge_keeps_the_target_distribution_for_any_draft() -> None:
    rng = np.random.default_rng(1234)
    probs = processed_probs(np.log(np.array([0.4, 0.25, 0.2, 0.1, 0.05])), 0.8, 4, 0.95)
    n = 40_000
    # Critical chi-square value at 0.1% for 4 degrees of freedom is 18.47; with fixed seeds the
    # test is deterministic, the threshold only says how far off a broken rule would be.
    for draft in range(5):  # likely, unlikely and impossible (outside top-k) drafts
        counts = np.zeros(5)
        accepted = 0
        for _ in range(n):
            token, ok = judge(probs, draft, rng)
            counts[token] += 1
            accepted += ok
            assert ok == (token == draft)
        assert _chi_square(counts, probs) < 18.47, (draft, counts / n, probs)
        # The draft is accepted exactly as often as the target would pick it.
        assert abs(accepted / n - probs[draft]) < 0.02


def test_a_rule_that_always_accepts_fails_the_same_check() -> None:
    """The statistical check has teeth: accepting the draft blindly is caught."""
    rng = np.random.default_rng(7)
    probs = np.array([0.5, 0.3, 0.2])
    counts = np.zeros(3)
    for _ in range(20_000):
        token, _ = judge(probs, 2, rng)
        counts[token if rng.random() < 0.5 else 2] += 1  # half the time: blind acceptance
    assert _chi_square(counts, probs) > 18.47


def test_sample_follows_the_distribution() -> None:
    rng = np.random.default_rng(5)
    probs = np.array([0.0, 0.7, 0.0, 0.3])
    counts = np.bincount([sample(probs, rng) for _ in range(20_000)], minlength=4)
    assert _chi_square(counts.astype(float), probs) < 16.27  # 0.1% at 3 degrees of freedom


def test_the_engine_refuses_a_bad_speculative_setting_before_loading() -> None:
    import pytest

    from hive_tui import wire
    from hive_tui.backends.llama_engine import LlamaEngine

    with pytest.raises(ValueError, match="speculative must be one of"):
        LlamaEngine().load(wire.Load(model_path="/nonexistent.gguf", speculative="guess"))
    with pytest.raises(ValueError, match="needs a draft model"):
        LlamaEngine().load(wire.Load(model_path="/nonexistent.gguf", speculative="draft"))

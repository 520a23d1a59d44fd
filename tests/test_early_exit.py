"""Early exit: when a running vote is settled, and what the stopped workers leave in it."""

from __future__ import annotations

from hive_tui.bench.quality.early_exit import replay
from hive_tui.consensus import Tally, decide, settled
from hive_tui.consensus.early_exit import GRACE_PIECES
from hive_tui.wire import Candidate, CandidateDone

Q = "What is the capital of Peru?"


def cand(text: str, i: int = 0, **kw) -> Candidate:
    return Candidate(worker_id=f"w{i}", text=text, **kw)


def streamed(text: str, i: int) -> Candidate:
    """An answer streamed a word per token, each word as sure as the next."""
    words = text.split(" ")
    ends, pos = [], 0
    for k, w in enumerate(words):
        pos += len(w) + (k > 0)
        ends.append(pos)
    return cand(text, i, completion_tokens=len(words), token_ends=ends,
                token_logprobs=[-0.1] * len(words))


def test_a_strict_majority_of_all_workers_settles_a_vote() -> None:
    lima = [cand("Lima.", 0), cand("The capital of Peru is Lima.", 1)]
    assert not settled("confidence", lima, 5, Q)  # 2 of 5 can still be outvoted
    assert settled("confidence", [*lima, cand("It is Lima", 2)], 5, Q)
    assert not settled("confidence", [*lima, cand("Cusco.", 2)], 5, Q)
    assert settled("confidence", lima, 3, Q)  # 2 of 3
    assert settled("confidence", [cand("Cusco."), cand("Lima.")], 2, Q)  # everyone answered
    # `fastest` only waits for the first usable answer.
    assert settled("fastest", [cand("Cusco.")], 5, Q)
    assert not settled("fastest", [cand("")], 5, Q)


def test_a_tally_counts_answers_given_by_workers_still_generating() -> None:
    tally = Tally("confidence", 3, Q)
    assert not tally.text(0, "The capital of Peru is Lima")  # the sentence may go on
    assert not tally.text(0, ".")  # "Lima." may still become "Lima.5": wait for more
    assert not tally.text(0, " It")  # now the answer is given: one of three
    assert tally.given == {0: "The capital of Peru is Lima."}
    assert not tally.finished(1, cand("Lima.", 1))  # two of three agree, but w2 just began
    for _ in range(GRACE_PIECES - 1):
        assert not tally.text(2, " um")
    assert tally.text(2, " um")  # w2 had its grace without answering: settled
    stopped = cand("The capital of Peru is Lima. It", 0, finish_reason="cancelled")
    kept = tally.final(0, stopped)
    assert (kept.finish_reason, kept.text) == ("answered", "The capital of Peru is Lima.")
    # A worker stopped before it answered stays cancelled.
    assert tally.final(2, cand("The capital", 2, finish_reason="cancelled")).finish_reason == (
        "cancelled"
    )


def test_a_vote_is_settled_at_once_when_everyone_has_answered() -> None:
    tally = Tally("confidence", 3, Q)
    tally.text(0, "Lima. It")
    tally.text(1, "Cusco. It")
    assert tally.text(2, "Arequipa. It")  # no majority, but nothing is left to come
    assert tally.keeper() == 0  # the first of the (tied) biggest groups finishes its answer


def test_a_question_number_is_not_an_answer_while_the_text_streams() -> None:
    tally = Tally("confidence", 3, "What is 4 + 1?")
    tally.text(0, "We think of 4 + 1 as a sum. ")
    assert tally.given == {}
    tally.text(0, "It is 5. So")
    assert tally.given == {0: "We think of 4 + 1 as a sum. It is 5."}


def test_a_number_only_named_is_no_answer_until_one_is_stated_as_the_result() -> None:
    # The whole answer's part is the 3 it states ("The answer is 3"): had the "1." of the list
    # counted as the answer, early exit would have stopped it there and voted for 1.
    question = "How many fruits are in this list: fig, papaya, apricot? Answer with a number."
    tally = Tally("confidence", 3, question)
    for piece in ["1.", " Fig", "\n2.", " Papaya", "\n3.", " Apricot", "\n\nThe", " answer"]:
        tally.text(0, piece)
    assert tally.given == {}
    tally.text(0, " is 3.")
    tally.text(0, " There")
    assert tally.given == {0: "1. Fig\n2. Papaya\n3. Apricot\n\nThe answer is 3."}
    # A result after "=" is stated too.
    tally.text(1, "2 + 1 = 3.")
    tally.text(1, " So")
    assert tally.given[1] == "2 + 1 = 3."


def test_the_replay_stops_where_the_swarm_would_and_counts_what_it_saved() -> None:
    ramble = " and so on" * 20
    cands = [
        streamed("Lima.", 0),
        streamed("Lima is the capital." + ramble, 1),
        streamed("Cusco" + ramble, 2),
    ]
    r = replay("confidence", cands, Q)
    assert r.tokens < r.tokens_all and r.steps < r.steps_all
    assert [c.finish_reason for c in r.candidates] == ["stop", "answered", "cancelled"]
    assert r.candidates[1].text == "Lima is the capital."
    assert "Lima" in r.candidates[r.decision.winner].text
    assert r.decision == decide("confidence", r.candidates, Q)


def test_one_worker_of_the_majority_goes_on_so_the_answer_arrives_whole() -> None:
    tally = Tally("confidence", 3, Q)
    tally.text(0, "The capital of Peru is Lima. It")
    assert not tally.text(2, "Cusco. It")
    assert tally.text(1, "Lima. It")  # everyone answered: settled, all still generating
    assert tally.keeper() == 0  # the first of the majority finishes its answer
    # Once a member of the majority has finished, its answer is whole: nobody goes on.
    done = Tally("confidence", 3, Q)
    done.text(0, "The capital of Peru is Lima. It")
    done.text(2, "Cusco. It")
    assert done.finished(1, cand("Lima.", 1))
    assert done.keeper() is None


def test_the_replay_lets_the_kept_worker_finish_and_counts_its_tokens() -> None:
    ramble = " and so on" * 20
    more = " ".join(f"It has fact number {i}." for i in range(12))
    cands = [
        streamed("Lima is the capital. " + more, 0),
        streamed("It is Lima." + ramble, 1),
        streamed("Cusco" + ramble, 2),
    ]
    r = replay("confidence", cands, Q)
    assert r.kept == 0
    assert [c.finish_reason for c in r.candidates] == ["stop", "answered", "cancelled"]
    winner = r.candidates[r.decision.winner]
    assert winner.text == cands[0].text  # whole, not cut after its first sentence
    assert r.tokens == cands[0].completion_tokens + 2 * r.steps_stopped
    assert r.tokens < r.tokens_all


def test_the_app_says_stopped_for_a_worker_early_exit_cancelled() -> None:
    from hive_tui.client.turn import Turn

    turn = Turn(request_id="r", prompt=Q, strategy="confidence", worker_ids=["w0", "w1", "w2"])
    for c in (cand("Lima.", 0), cand("Lima.", 1, finish_reason="answered"),
              cand("The", 2, finish_reason="cancelled")):
        turn.apply(CandidateDone("r", c))
    assert [turn.worker_state(w) for w in ("w0", "w1", "w2")] == ["done", "answered", "stopped"]
    turn.cancelled = True  # the user stopped the vote: then it was cancelled
    assert turn.worker_state("w2") == "cancelled"

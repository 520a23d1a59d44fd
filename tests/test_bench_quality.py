"""``hive bench quality``: questions, scoring, resampling statistics, and a tiny scripted run."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hive_tui.backends.scripted_engine import write_script
from hive_tui.bench.quality.capitals import CAPITALS
from hive_tui.bench.quality.evaluate import evaluate, oracle_rate, paired_ci
from hive_tui.bench.quality.report import choose_default, summary, table
from hive_tui.bench.quality.scoring import extract_city, extract_number, is_correct
from hive_tui.bench.quality.store import Answers, AnswerStore, Sample
from hive_tui.bench.quality.tasks import TASKS, Question, questions, split_of
from hive_tui.cli import main
from hive_tui.consensus import STRATEGIES


def test_questions_are_seeded_and_cover_every_task():
    qs = questions(5, seed=3)
    assert qs == questions(5, seed=3) and qs != questions(5, seed=4)
    assert [sum(q.task == t for q in qs) for t in TASKS] == [5] * len(TASKS)
    assert len(TASKS) >= 8
    # Every question is in one split, by its text alone, and both splits get questions.
    assert {q.split for q in qs} == {"dev", "test"}
    assert [q.split for q in qs] == [split_of(q.prompt) for q in questions(5, seed=3)]
    assert questions(5, seed=3, split="dev") == [q for q in qs if q.split == "dev"]
    assert len({q.qid for q in qs}) == len(qs)
    for q in qs:
        if q.task == "add":
            a, b = (int(x) for x in q.prompt.removeprefix("What is ").split("?")[0].split(" + "))
            assert q.answer == str(a + b)
        if q.task == "count":
            assert q.answer == str(len(q.prompt.split(": ", 1)[1].split("?")[0].split(", ")))
        if q.task == "capital":
            country = q.prompt.removeprefix("What is the capital of ").rstrip("?")
            assert q.accepted == CAPITALS[country]
    caps = questions(len(CAPITALS) + 5)
    assert len({q.prompt for q in caps if q.task == "capital"}) == len(CAPITALS)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("8", "8"),
        ("The answer is 8.", "8"),
        ("3 + 5 = 8", "8"),
        ("What is 3 + 5? 3 + 5 = 8", "8"),
        ("8 + 3 = 11", "11"),
        ("There are seven fruits in the list.", "7"),
        ("The list has 5 items: apple, pear", "5"),
        ("12 times 3 is equal to 36", "36"),
        ("8.0", "8"),
        ("no idea", None),
    ],
)
def test_extract_number(text, number):
    assert extract_number(text) == number


def test_extract_city_takes_the_first_known_city_and_accepts_variants():
    assert extract_city("The capital of the United States is Washington, D.C.") == "washington d c"
    assert extract_city("washington dc") == extract_city("Washington") == "washington d c"
    assert extract_city("Sydney is larger, but Canberra is the capital.") == "sydney"
    assert extract_city("Ulan Bator") == "ulaanbaatar"
    assert extract_city("I do not know.") is None
    aus = Question("c", "capital", "What is the capital of Australia?", "Canberra", ("Canberra",))
    assert is_correct(aus, "CANBERRA!") and not is_correct(aus, "Sydney, then Canberra")
    add = Question("a", "add", "What is 3 + 5?", "8", ("8",))
    assert is_correct(add, "3 + 5 = 8") and not is_correct(add, "") and not is_correct(add, "9")


def test_yes_no_and_choice_answers_are_scored_on_what_they_choose():
    no = Question("y", "yesno", "Is Kenya in Asia?", "no", ("no",))
    assert is_correct(no, "No, Kenya is in Africa.") and is_correct(no, "Kenya is not in Asia.")
    assert not is_correct(no, "Yes.") and not is_correct(no, "Kenya is in Asia.")
    yes = Question("y", "yesno", "Is Lima the capital of Peru?", "yes", ("yes",))
    assert is_correct(yes, "Lima is the capital of Peru.") and not is_correct(yes, "It isn't.")
    pick = Question(
        "c", "choice", "Which is the capital of Peru, Cusco or Lima?", "Lima", ("Lima",)
    )
    assert is_correct(pick, "Lima.") and is_correct(pick, "Cusco or Lima? It is Lima.")
    assert not is_correct(pick, "Cusco, not Lima.") and not is_correct(pick, "Quito.")


def test_oracle_rate_is_hypergeometric():
    assert oracle_rate(8, 0, 5) == 0.0
    assert oracle_rate(8, 8, 1) == 1.0
    assert oracle_rate(8, 1, 1) == pytest.approx(1 / 8)
    assert oracle_rate(8, 1, 3) == pytest.approx(3 / 8)
    assert oracle_rate(8, 4, 5) == 1.0  # 5 of 8 must include one of the 4 right ones


def test_paired_ci_brackets_the_mean_difference():
    rng = np.random.default_rng(1)
    a = rng.random(200)
    shifted = paired_ci(a + 0.1, a)
    assert shifted.diff == pytest.approx(0.1) and shifted.lo == pytest.approx(0.1)
    noisy = paired_ci(a, rng.random(200))
    assert noisy.lo < noisy.diff < noisy.hi and not noisy.above_zero


def _sample(text: str, lp: float = -0.5, finish: str = "stop") -> Sample:
    return Sample(0, text, finish, len(text.split()), 0.1, lp)


def _store(rows: list[tuple[Question, list[Sample]]]) -> AnswerStore:
    answers = [
        Answers(q.qid, q.task, q.prompt, q.answer, list(q.accepted), samples[0], samples)
        for q, samples in rows
    ]
    return AnswerStore("hand", 0.7, 0.95, 64, 5, 0, 1, 1, 0.0, answers)


def test_evaluation_on_hand_written_answers_shows_the_vote_helping():
    # Per question: the right answer 3 times in differing words, 2 different wrong answers.
    rows = []
    for i, (a, b) in enumerate([(2, 3), (4, 4), (1, 6), (5, 2)]):
        right = str(a + b)
        q = Question(f"add-{i}", "add", f"What is {a} + {b}?", right, (right,))
        texts = [right, f"The answer is {right}.", f"{a} + {b} = {right}", "11", "It is 12."]
        rows.append((q, [_sample(t) for t in texts]))
    store = _store(rows)
    ev = evaluate(store, dict(STRATEGIES), ns=(1, 3, 5), reps=6)
    assert ev.single.mean() == pytest.approx(0.6)
    assert ev.results["similarity"][5].acc.mean() == 1.0  # 3 of 5 agree on the right number
    assert ev.results["similarity"][5].agree == [3] * len(ev.results["similarity"][5].agree)
    s = summary(store, ev, choose_default(ev) or "similarity")
    assert s["strategies"]["similarity"]["by_n"]["5"]["vs_single"]["diff"] == pytest.approx(0.4)
    assert s["oracle"]["3"] == 1.0
    printed = table(s)
    assert "similarity" in printed and "3 of 5" in printed


def test_a_strategy_that_loses_somewhere_is_marked_and_says_where():
    # The two wrong answers come fastest, so `fastest` always picks one: 0 against 0.6.
    rows = []
    for i in range(6):
        q = Question(f"add-{i}", "add", f"What is {i} + 1?", str(i + 1), (str(i + 1),))
        right = [Sample(0, f"{i} + 1 = {i + 1}", "stop", 5, 1.0, -0.5)] * 3
        wrong = [Sample(0, "It is 99.", "stop", 3, 0.1, -0.5),
                 Sample(0, "7", "stop", 1, 0.1, -0.5)]
        rows.append((q, right + wrong))
    ev = evaluate(_store(rows), dict(STRATEGIES), ns=(1, 3, 5), reps=6)
    assert choose_default(ev) != "fastest"
    printed = table(summary(_store(rows), ev, choose_default(ev)))
    assert "! fastest loses to a single sample on add at N=3: " in printed
    assert "; add at N=5: -60.0 [-60.0, -60.0]" in printed
    assert "-60.0!" in printed  # the table's mark agrees with the line under it
    assert "6 questions are too few to choose a default from" in printed


def test_quick_command_with_scripted_workers(tmp_path, capsys):
    script = write_script(str(tmp_path / "s.json"), answers=["8", "The answer is 8.", "Paris"])
    out = tmp_path / "out"
    argv = ["bench", "quality", "--quick", "--backend", "scripted", "--model", script]
    argv += ["--questions", "1", "--samples", "3", "--out", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "single sample" in printed and "logprob collection" in printed
    assert "chosen on the dev split" in printed and "early exit" in printed
    doc = json.loads((out / "quality.json").read_text())
    report = doc["test"]
    assert doc["dev"]["questions"] + report["questions"] == len(TASKS)
    assert report["k_samples"] == 3 and report["split"] == "test"
    assert set(STRATEGIES) <= set(report["strategies"])
    assert 0.0 <= report["early_exit"]["tokens_saved"] <= 1.0
    stored = AnswerStore.load(out / "answers.json")
    assert all(len(a.samples) == 3 for a in stored.questions)
    # Scored again from the stored answers alone: the same numbers.
    rescore = ["bench", "quality", "--quick", "--answers", str(out / "answers.json")]
    assert main([*rescore, "--out", str(out)]) == 0
    again = json.loads((out / "quality.json").read_text())
    assert again["test"]["strategies"] == report["strategies"]
    # Early exit measured on answers finished at a longer limit (none was cut here).
    assert main([*rescore, "--out", str(out), "--full-length", "64"]) == 0
    assert AnswerStore.load(out / "answers.json").full_max_tokens == 64
    printed = capsys.readouterr().out
    assert "answers up to 64 tokens" in printed and "at the node's 64 tokens" in printed
    full = json.loads((out / "quality.json").read_text())["test"]["full_length"]
    assert full["max_tokens"] == 64 and 0.0 <= full["vote"] <= 1.0


@pytest.mark.model
async def test_logprobs_can_be_switched_off_without_changing_the_answer():
    from hive_tui import wire
    from hive_tui.backends.process import WorkerProcess
    from hive_tui.bench.quality.collect import _ask
    from hive_tui.embedded_model import embedded_model_path

    proc = WorkerProcess("llama", 0)
    await proc.start(wire.Load(model_path=str(embedded_model_path()), n_ctx=512, n_threads=1))
    try:
        params = wire.SamplingParams(temperature=0.0, max_tokens=8)
        q = Question("a", "add", "What is 2 + 3? Answer with a number.", "5", ("5",))
        on = await _ask(proc, "on", q, params)
        off = await _ask(proc, "off", q, params, False)
    finally:
        await proc.stop()
    assert on.text == off.text and on.completion_tokens == off.completion_tokens > 0
    assert on.mean_logprob is not None and on.mean_logprob < 0
    assert off.mean_logprob is None
    # One log-probability per token, and where each token ends in the text.
    assert len(on.token_logprobs) == len(on.token_ends) == on.completion_tokens
    assert on.mean_logprob == pytest.approx(sum(on.token_logprobs) / on.completion_tokens)
    assert on.token_ends[-1] >= len(on.text) and off.token_logprobs == []
    assert 0.0 < on.logprob_s < on.gen_s and off.logprob_s == 0.0


def test_variants_pick_by_their_own_rule():
    from hive_tui.bench.quality.variants import highest_logprob, similarity_with
    from hive_tui.consensus.text import key_features, word_features
    from hive_tui.wire import Candidate

    c = [
        Candidate("a", "The answer is 8.", mean_logprob=-1.5),
        Candidate("b", "3 + 5 = 8", mean_logprob=-1.2),
        Candidate("c", "It is 9", mean_logprob=-0.1),
        Candidate("d", "", mean_logprob=0.0),  # empty: never wins, however sure
    ]
    assert highest_logprob(c).winner == 2
    # Numbers compared as numbers group "8" and "8"; word overlap alone does not.
    assert similarity_with(key_features)(c).agree_count == 2
    assert similarity_with(word_features)(c).agree_count == 1


def test_help_states_the_question_counts_the_run_uses(capsys):
    from hive_tui.bench.quality.run import FULL, QUICK

    with pytest.raises(SystemExit):
        main(["bench", "quality", "--help"])
    helptext = " ".join(capsys.readouterr().out.split())
    assert f"default: {QUICK.per_task} with --quick, else {FULL.per_task}" in helptext


@pytest.mark.model
async def test_cut_answers_are_finished_with_their_own_seed_at_the_nodes_limit():
    from hive_tui import wire
    from hive_tui.backends.process import WorkerProcess
    from hive_tui.bench.quality.collect import _ask
    from hive_tui.bench.quality.extend import extend
    from hive_tui.embedded_model import embedded_model_path

    q = Question("c", "capital", "What is the capital of Peru?", "Lima", ("Lima",))
    model = str(embedded_model_path())
    proc = WorkerProcess("llama", 0)
    await proc.start(wire.Load(model_path=model, n_ctx=512, n_threads=1, prompt_cache=False))
    try:
        samples = [
            await _ask(proc, f"s{i}", q, wire.SamplingParams(
                temperature=0.4, top_p=0.95, max_tokens=limit, seed=100 + i))
            for i, limit in enumerate((6, 64))
        ]
    finally:
        await proc.stop()
    assert samples[0].finish_reason == "length"
    store = AnswerStore("m", 0.4, 0.95, 6, 2, 0, 1, 1, 0.0, [
        Answers(q.qid, q.task, q.prompt, q.answer, list(q.accepted), samples[1], samples, q.system)
    ])
    longer = await extend(store, model, max_tokens=40, workers=1)
    assert longer.full_max_tokens == 40
    ans = longer.questions[0]
    short, full = ans.samples[0], ans.full_sample(0)
    # The same seed replays the same first tokens, then goes on.
    assert full.text.startswith(short.text) and full.completion_tokens > short.completion_tokens
    assert full.token_logprobs[: len(short.token_logprobs)] == short.token_logprobs
    # An answer that ended by itself (or at a limit above the node's) is kept as it was.
    assert ans.full[1] is None and ans.full_sample(1) == ans.samples[1]


def test_symbols_are_scored_as_written_and_ordinal_months_by_their_word():
    gold = Question("s", "symbol", "What is the chemical symbol for gold?", "Au", ("Au",))
    assert is_correct(gold, "The chemical symbol for gold is Au.") and is_correct(gold, '"Au"')
    assert not is_correct(gold, "Gold is gold.") and not is_correct(gold, "Ag, not Au.")
    oxygen = Question("s", "symbol", "What is the chemical symbol for oxygen?", "O", ("O",))
    assert is_correct(oxygen, "O") and is_correct(oxygen, "It's O.")
    assert is_correct(oxygen, "'O'") and is_correct(gold, "The symbol is \u2018Au\u2019.")
    # The molecule, an elided "O'", a lowercase "o" are not the symbol.
    assert not is_correct(oxygen, "O2") and not is_correct(oxygen, "O'Brien")
    assert not is_correct(oxygen, "it is o")
    month = next(q for q in questions(12) if q.task == "month" and q.answer == "March")
    assert month.prompt == "What is the 3rd month of the year?" and month.system
    assert is_correct(month, "The third month of the year is March.")
    assert not is_correct(month, "April.")


def test_general_knowledge_families_read_the_first_answer_the_question_does_not_name():
    asked = {q.prompt: q for q in questions(30) if q.task in ("science", "people", "world")}
    planet = asked["Which planet is closest to the Sun?"]
    assert planet.system and planet.split in ("dev", "test")
    assert is_correct(planet, "The planet closest to the Sun is Mercury.")  # "Sun" is asked
    assert not is_correct(planet, "The closest planet to the Sun is Venus, not Mercury.")
    painter = asked["Who painted the Mona Lisa?"]
    assert is_correct(painter, "The Mona Lisa was painted by Leonardo da Vinci.")
    assert not is_correct(painter, "Michelangelo painted it.")
    president = asked["Who was the first president of the United States?"]
    # A name the vocabulary holds counts as the answer, right or wrong, where it comes first.
    assert not is_correct(president, "It was John F. Kennedy, not George Washington.")
    assert is_correct(president, "George Washington.")
    money = asked["What is the currency of the United States?"]
    assert is_correct(money, "The currency of the United States is the US dollar.")
    assert not is_correct(money, "The United States.")  # the question's own words
    colosseum = asked["In which country is the Colosseum?"]
    assert is_correct(colosseum, "The Colosseum is located in Rome, Italy.")

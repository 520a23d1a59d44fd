"""Answers that say the same thing in other words agree; a sign is part of its number."""

from __future__ import annotations

from hive_tui.consensus import strategies
from hive_tui.consensus.answer_part import answer_part, part_similarity
from hive_tui.consensus.answer_words import acronym_similarity, date_days, dotted_acronym
from hive_tui.consensus.text import normalize
from hive_tui.wire import Candidate

Q_FRANCE = "What is the capital of France?"


def _agree(question: str, a: str, b: str) -> float:
    return part_similarity(answer_part(a, question), answer_part(b, question))


def test_a_negative_number_keeps_its_sign() -> None:
    q = "What is 3 minus 8?"
    for text in ("3 - 8 = -5", "The answer is -5.", "It is \u22125.", "The result is negative 5."):
        assert answer_part(text, q).numbers == ("-5",), text
    # The wrong "5" was the same answer as "-5" before: a vote counted them together.
    assert _agree(q, "3 - 8 = -5", "3 minus 8 is 5.") == 0.0
    # The "-" of a subtraction or a range is no sign.
    assert answer_part("10-5=5", "What is 10 minus 5?").numbers == ("5",)
    assert answer_part("17 - 8 = 9", "What is 17 minus 8?").numbers == ("9",)
    # In a word question too, and with the typographic minus sign.
    zero = "What is absolute zero in Celsius?"
    assert _agree(zero, "Absolute zero is -273.15 degrees.", "It is \u2212273.15 \u00b0C.") == 1.0
    assert _agree(zero, "Absolute zero is -273.15 degrees.", "273.15 degrees.") == 0.0
    assert normalize("\u22125") == "-5"


def test_a_full_date_is_read_by_its_year() -> None:
    q = "When did the Titanic sink?"
    year = "1912"
    for text in (
        "The Titanic sank on April 15, 1912.",
        "It sank on 15 April 1912.",
        "On the 15th of April, 1912.",
        "On May 8, 1912.",  # "May", the month, not the verb
    ):
        assert answer_part(text, q).numbers == (year,), text
        assert _agree(q, text, year) == 1.0
    assert _agree(q, "The Titanic sank on April 15, 1912.", "It sank in 1915.") == 0.0
    # Without a year the day is the answer.
    christmas = "On what date is Christmas?"
    assert _agree(christmas, "Christmas is on December 25.", "December 24.") == 0.0
    assert _agree(christmas, "Christmas is on December 25.", "25 December") == 1.0
    text = "It sank on April 15, 1912."
    assert date_days(text, 0, len(text)) == {text.index("15")}
    # The day stays a word of the part (its confidence counts, and no later word takes its
    # place); only the part's number is the year.
    moon = "In which year did humans first land on the Moon?"
    landed = answer_part("Humans first landed on the Moon on July 20, 1969, but the exact", moon)
    assert landed.words == ("landed", "july", "20", "1969")
    assert landed.numbers == ("1969",)


def test_an_acronym_is_the_words_it_stands_for() -> None:
    q = "Which country is the Statue of Liberty in?"
    assert answer_part("The US.", q).words == ("us",)  # not the pronoun
    assert answer_part("The U.S.", q).words == ("us",)
    assert answer_part("U.S.A.", q).words == ("usa",)
    assert _agree(q, "USA", "The United States of America.") == 1.0
    assert _agree(q, "The U.S.", "The United States.") == 1.0
    assert _agree(q, "The US.", "The United States of America.") == 0.8  # a run of them
    assert _agree(q, "USA", "France.") == 0.0
    assert _agree("Which country is London in?", "The UK.", "The United Kingdom.") == 1.0
    # Initials before a name are no acronym, lowercase abbreviations neither, and capitals
    # shouted across a sentence are not acronyms.
    assert answer_part("J.R.R. Tolkien wrote it.", "Who wrote The Lord of the Rings?").words == (
        "tolkien",
    )
    assert dotted_acronym("e.g. Paris", 0, 4) is None
    assert "it" not in answer_part("IT IS PARIS.", "What is the capital of France?").words
    # An acronym of the question's own words is the question's, like those words.
    lincoln = "Who was the 16th president of the United States?"
    said = "Abraham Lincoln was the 16th president of the U.S."
    assert answer_part(said, lincoln).words == ("abraham", "lincoln")
    # Only a word written in capitals stands for initials: "Po", the river, is no "Pacific
    # Ocean".
    turin = "Which river flows through Turin?"
    assert _agree(turin, "The Po.", "The Pacific Ocean.") < 0.5
    paris, lima = answer_part("Paris", Q_FRANCE), answer_part("Lima", Q_FRANCE)
    assert acronym_similarity(paris, lima, 0.8) is None


def test_a_title_written_short_is_the_word_written_out() -> None:
    q = "What is the tallest mountain in the world?"
    assert _agree(q, "Mt. Everest.", "Mount Everest is the tallest.") == 1.0
    # The question's own title is discounted either way.
    fuji = "Where is Mt. Fuji?"
    assert answer_part("Mount Fuji is in Japan.", fuji).words == ("japan",)


def test_the_vote_counts_a_date_and_its_year_together() -> None:
    q = "When did the Titanic sink?"
    texts = [
        "The Titanic sank on April 15, 1912.",
        "It sank in 1915.",
        "1912",
        "It sank in 1915.",
        "It sank on 15 April 1912.",
    ]
    candidates = [Candidate(worker_id=f"w{i}", text=t) for i, t in enumerate(texts)]
    decision = strategies.confidence(candidates, q)
    assert "1912" in texts[decision.winner]
    assert decision.agree_count == 3


def test_a_fraction_is_its_value() -> None:
    q = "What is 25% as a fraction?"
    assert answer_part("25% is 1/4.", q).numbers == ("0.25",)
    assert _agree(q, "1/4", "0.25") == 1.0
    # Read as two numbers, "1/4" and "1/2" were both "1": the same answer.
    assert _agree(q, "1/4", "1/2") == 0.0
    assert _agree("What is half of 1?", "It is 1/2.", "0.5") == 1.0
    # A date written with slashes is no fraction, and a fraction the question holds is a copy.
    assert answer_part("12/25/2020", "When?").numbers == ("12", "25", "2020")
    assert answer_part("It is 3/4.", "What is 3/4 of 8?").echo


def test_a_number_in_millions_is_that_number() -> None:
    q = "How many people live in Tokyo?"
    assert answer_part("About 14 million people live in Tokyo.", q).numbers == ("14000000",)
    assert _agree(q, "About 14 million people live in Tokyo.", "14,000,000") == 1.0
    assert _agree(q, "14 million", "13 million") == 0.0
    earth = "What is the population of Earth?"
    assert _agree(earth, "About 8 billion people.", "8,000,000,000") == 1.0
    # A number the question holds is still the question's when no scale follows it.
    event = "Which event had 1,000 guests?"
    assert "1,000" not in answer_part("The gala had 1,000 guests.", event).words

"""The part of an answer that answers: question wording and boilerplate discounted."""

from __future__ import annotations

import pytest

from hive_tui.consensus.answer_part import (
    answer_part,
    answered,
    part_logprobs,
    part_similarity,
)

Q = "What is the capital of Peru?"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("The capital of Peru is Lima.", ("lima",)),
        ("Lima", ("lima",)),
        ("Peru's capital is Lima, a city on the coast.", ("lima", "city", "coast")),
        # A sentence that only repeats the question is skipped for the next one.
        ("The capital of Peru is the capital. It is Lima.", ("lima",)),
        ("What is the capital of Peru?", ()),
        ("", ()),
    ],
)
def test_the_part_is_what_the_question_does_not_say(text: str, words: tuple[str, ...]) -> None:
    assert answer_part(text, Q).words == words


def test_numbers_in_the_question_are_not_the_answer_but_the_result_is() -> None:
    q = "What is 15 minus 8?"
    assert answer_part("15 minus 8 is 7.", q).words == ("7",)
    assert answer_part("15 - 8 = 7", q).numbers == ("7",)
    assert answer_part("The answer is 7.0", q).numbers == ("7",)
    # A number stated as the result wins over the steps named on the way to it.
    steps = "Take 8 away from 15, counting 2 at a time, and the result is 7."
    assert answer_part(steps, q).numbers == ("7",)
    assert answer_part("There are 3 fruits: 1 banana, 2 kiwis.", "How many fruits?").numbers == (
        "3",
    )
    # The answer may be one of the question's own numbers, when it is stated as the result.
    compared = "We compare 31 and 65. The bigger number is 65."
    bigger = answer_part(compared, "Which is bigger: 31 or 65?")
    assert bigger.numbers == ("65",)


def test_spans_point_at_the_words_in_the_raw_text() -> None:
    text = "The capital of Peru is Lima."
    part = answer_part(text, Q)
    (start, end), = part.spans
    assert text[start:end] == "Lima"


def test_templated_answers_that_differ_in_the_answer_do_not_agree() -> None:
    lima = answer_part("The capital of Peru is Lima.", Q)
    cusco = answer_part("The capital of Peru is Cusco.", Q)
    assert part_similarity(lima, cusco) < 0.5
    assert part_similarity(lima, answer_part("Lima.", Q)) == 1.0
    assert part_similarity(lima, answer_part("It is Lima, on the coast.", Q)) >= 0.8


def test_different_numbers_disagree_and_an_empty_part_agrees_with_nothing() -> None:
    q = "What is 15 minus 8?"
    assert part_similarity(answer_part("It is 7", q), answer_part("The result: 7", q)) == 1.0
    assert part_similarity(answer_part("It is 7", q), answer_part("It is 6", q)) == 0.0
    empty = answer_part("I do not know.", q)
    assert empty.words == ()
    assert part_similarity(empty, empty) == 0.0
    # Only the question's own numbers: the first one stands as the answer ("Which is bigger,
    # 7 or 9?" is answered by one of them), but a stream is not answered by it yet.
    assert answer_part("15 minus 8", q).words == ("15",)
    assert answered("15 minus 8. So", q) is None
    assert answered("15 minus 8 is 7. So", q) == "15 minus 8 is 7."
    # A new number only named is the part, but not yet an answer: one stated later wins.
    assert answer_part("Take 8 away, 7 left. So", q).words == ("7",)
    assert answered("Take 8 away, 7 left. So", q) is None
    assert answer_part("Take 8 away, 6 left. So it is 7.", q).words == ("7",)


def test_part_logprobs_are_the_tokens_that_spell_the_answer() -> None:
    text = "The capital of Peru is Lima."
    # tokens: "The", " capital", " of", " Peru", " is", " Li", "ma", "."
    ends = [3, 11, 14, 19, 22, 25, 27, 28]
    lps = [-0.1, -0.2, -0.1, -0.1, -0.3, -2.0, -0.05, -0.4]
    assert part_logprobs(answer_part(text, Q), lps, ends) == [-2.0, -0.05]
    assert part_logprobs(answer_part(text, Q), [], []) == []


def test_a_part_that_copies_a_question_number_is_marked_unless_the_numbers_are_choices() -> None:
    assert answer_part("Subtract 7 from 6, which gives 7.", "What is 7 minus 6?").echo
    assert not answer_part("7 minus 6 is 1.", "What is 7 minus 6?").echo
    assert not answer_part("The bigger one is 65.", "Which is bigger: 31 or 65?").echo
    assert not answer_part("The capital of Peru is Lima.", Q).echo


def test_a_question_offers_alternatives_in_words_or_numbers_in_the_sentence_that_asks():
    from hive_tui.consensus.answer_part import offers_alternatives

    assert offers_alternatives("Which is the capital of Afghanistan, Damascus or Kabul?")
    assert offers_alternatives("Which number is bigger: 78 or 41?")
    assert offers_alternatives("Is 17 odd or even?")
    assert not offers_alternatives("What is the capital of Afghanistan?")
    assert not offers_alternatives("Is Paris in France?")
    # Numbers offered in a pasted text before the question are no choice.
    assert not offers_alternatives("We had 3 or 4 apples. How many pears are left?")


def test_a_capital_letter_standing_alone_is_an_answer() -> None:
    oxygen = "What is the chemical symbol for oxygen?"
    assert answer_part("O", oxygen).words == ("o",)
    assert answer_part("The chemical symbol for oxygen is O.", oxygen).words == ("o",)
    assert answer_part('The letter after C is "D".', "Which letter comes after C?").words == (
        "d",
    )
    assert answer_part("It is 'd'.", "Which letter comes after c?").words == ("d",)
    # Five answers naming the same letter agree; before, each had an empty part.
    assert part_similarity(answer_part("O.", oxygen), answer_part("It is O.", oxygen)) == 1.0
    assert part_similarity(answer_part("O.", oxygen), answer_part("It is H.", oxygen)) == 0.0
    # The letters that are pieces of other words stay out: "Peru's", "I'd", "don't", an
    # elided "L'", a dotted "U.S." (one word, the acronym) and an initial "T. rex".
    assert answer_part("Peru's capital is Lima.", Q).words == ("lima",)
    assert answer_part("I'd say Lima, don't you", Q).words == ("say", "lima", "don")
    assert answer_part("L'Italia", "What is the capital of Italy?").words == ("italia",)
    assert answer_part("In the U.S. capital", "Where is it?").words == ("us", "capital")
    t_rex = answer_part("Tyrannosaurus (T. rex)", "Which dinosaur?")
    assert t_rex.words == ("tyrannosaurus", "rex")
    who = "Who was the first president?"
    assert answer_part("The first president was John F. Kennedy.", who).words == ("john", "kennedy")
    assert answer_part("J. K. Rowling wrote it.", "Who wrote it?").words == ("rowling",)
    assert answer_part("J. Rowling wrote it.", "Who wrote it?").words == ("rowling",)
    # A letter closing a sentence after a capitalised word is still a letter.
    bones = "Which vitamin helps bones?"
    assert answer_part("The answer is Vitamin D. It helps bones.", bones).words == ("d",)
    symbol = "What is the symbol of potassium?"
    assert answer_part("For Potassium, K. It comes from kalium.", symbol).words == ("k",)
    # While it streams, a letter's sentence is not settled until what follows shows it is no
    # initial.
    author = "Who wrote Harry Potter?"
    assert answered("J.", author) is None and answered("J. K", author) is None
    assert answered("J. K. Rowling wrote it. More", author) == "J. K. Rowling wrote it."
    oxygen_q = "What is the chemical symbol for oxygen?"
    assert answered("It is O.", oxygen_q) is None and answered("It is O. It", oxygen_q) is None
    assert answered("It is O. It is", oxygen_q) == "It is O."
    # "A" and "I" are the article and the pronoun, unless quoted or closing the sentence.
    first = "What is the first letter of the alphabet?"
    assert answer_part("The first letter of the alphabet is 'A'.", first).words == ("a",)
    assert answer_part("It is A.", first).words == ("a",)
    assert answer_part("A hexagon.", first).words == ("hexagon",)


def test_a_question_that_holds_a_number_but_asks_for_a_word() -> None:
    q = "Which element has atomic number 8?"
    assert answer_part("Oxygen.", q).words == ("oxygen",)
    # Restating the question's number is no answer; the word is.
    assert answer_part("Oxygen has atomic number 8.", q).words == ("oxygen",)
    assert part_similarity(answer_part("Oxygen.", q), answer_part("It is oxygen.", q)) == 1.0
    assert answer_part("The third month is March.", "What is the 3rd month?").words == (
        "third",
        "march",
    )
    # A digit inside a word ("H2O") makes no numeric question.
    water = "H2O is a compound often found as water, 1 part oxygen."
    assert answer_part(water, "What is H2O commonly called?").words[:2] == ("compound", "found")
    # Nor is a number named on the way, or the question's own.
    planet = "What is the 5th planet from the sun?"
    assert answer_part("The fifth planet is Jupiter, 5.2 AU away.", planet).words[:2] == (
        "fifth",
        "jupiter",
    )
    days = "Which month has 28 days?"
    assert answer_part("The month with 28 days is the month of March.", days).words == ("march",)
    # Questions that ask for a number in words other than "how many" are still read for it.
    train = "A train travels 60 miles in 1 hour. What is its speed?"
    assert answer_part("Its speed is 60 miles per hour.", train).words == ("60",)
    seq = "What is the next number in the sequence 2, 4, 6, 8?"
    assert answer_part("It adds 2 each time. So the next number is 10.", seq).words == ("10",)
    for asks in ("What is 5 factorial?", "What percentage of 50 is 10?", "What is 9 \u2212 3?",
                 "What is 2 to the power of 10?", "What is 3 hours in minutes?"):
        assert answer_part("I think 7.", asks).words == ("7",), asks
    # A question that asks for a number still wants one: no number is no answer.
    assert answer_part("I do not know.", "What is 15 minus 8?").words == ()
    assert answer_part("Spiders have legs.", "How many legs does a spider have?").words == ()
    assert answer_part("Atomic number 8 has 8 protons.", "How many protons has atom 8?").words == (
        "8",
    )


def test_words_that_qualify_an_answer_are_not_part_of_it() -> None:
    q = "In which city is the Statue of Liberty?"
    hedged = "The Statue of Liberty is currently located in New York."
    assert answer_part(hedged, q).words == ("new", "york")
    assert answer_part("It is in New York.", q).words == ("new", "york")
    # So the hedge's own (sampled, unlikely) token does not set the answer's confidence.
    # tokens: "The", " Statue", " of", " Liberty", " is", " currently", " located", " in",
    # " New", " York", "."
    ends = [3, 10, 13, 21, 24, 34, 42, 45, 49, 54, 55]
    lps = [-0.1, -0.1, -0.0, -0.0, -0.2, -2.0, -0.3, -0.1, -0.5, -0.0, -0.2]
    assert part_logprobs(answer_part(hedged, q), lps, ends) == [-0.5, -0.0]
    assert answer_part("Mumbai is often attributed as the capital.", Q).words == ("mumbai",)
    # Where the qualifier is all the sentence says, it is the answer.
    unlikely = "What is the opposite of unlikely?"
    assert answer_part("The opposite of unlikely is likely.", unlikely).words == ("likely",)


def test_initials_written_without_spaces_do_not_end_the_answer() -> None:
    q = "Who wrote the Harry Potter books?"
    text = "The Harry Potter books were originally written by J.K. Rowling. She is British."
    assert answer_part(text, q).words == ("written", "rowling")
    # Streamed: neither "by J." nor "by J.K" is the answer yet, whatever follows.
    for cut in ("by J.", "by J.K", "by J.K. "):
        assert answered(text[: text.index(cut) + len(cut)], q) is None
    assert answered(text, q) == "The Harry Potter books were originally written by J.K. Rowling."
    ohio = "Where is Ohio?"
    # (the acronym is a word of its own, see test_answer_words.py)
    assert answer_part("It is in the U.S. near Canada.", ohio).words == ("us", "near", "canada")


def test_a_letter_after_a_word_that_is_no_name_ends_its_sentence() -> None:
    scurvy = "Which vitamin prevents scurvy?"
    one = answer_part("Vitamin C. Citrus fruits are a good source.", scurvy)
    other = answer_part("Vitamin C. Many fruits contain it.", scurvy)
    assert one.words == other.words == ("c",)
    oxygen = "What is the chemical symbol for oxygen?"
    assert answer_part("It is O. Oxygen has atomic number 8.", oxygen).words == ("o",)


def test_a_hedge_that_ends_its_sentence_is_the_answer() -> None:
    rarely = "What is the opposite of rarely?"
    often = answer_part("The antonym of rarely is often.", rarely)
    never = answer_part("The antonym of rarely is never.", rarely)
    assert often.words == ("antonym", "often") and often.final
    assert part_similarity(often, never) < 0.5
    assert answer_part("Today. Tomorrow comes after today.", "What day is it?").words == ("today",)


def test_a_title_before_a_name_does_not_end_the_answer() -> None:
    q = "What is the tallest mountain in the world?"
    text = "The tallest mountain in the world is Mt. Everest. It is in Nepal."
    assert answer_part(text, q).words == ("mount", "everest")  # written out: "Mount Everest"
    assert answered("The tallest mountain in the world is Mt.", q) is None
    assert answered("The tallest mountain in the world is Mt. ", q) is None
    assert answered(text, q) == "The tallest mountain in the world is Mt. Everest."
    found = "Who found penicillin?"
    assert answer_part("Penicillin was found by Dr. Fleming.", found).words == ("dr", "fleming")


def test_a_run_of_initials_before_a_name_does_not_end_the_answer() -> None:
    q = "Who wrote The Lord of the Rings?"
    said = "The Lord of the Rings is a classic fantasy novel by J.R.R. Tolkien."
    text = f"{said} It was published."
    assert answered(text, q) == said
    assert answered(text[: text.index("Tolkien") + 3], q) is None

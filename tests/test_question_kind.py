"""Questions whose answer is one of their own words: offered alternatives, yes or no."""

from __future__ import annotations

from hive_tui.consensus import decide
from hive_tui.consensus.answer_part import answer_part, answered
from hive_tui.consensus.question_kind import asks_yes_or_no, offered_choices
from hive_tui.wire import Candidate

TOMATO = "Is a tomato a fruit or a vegetable?"
PARIS = "Is Paris in France?"


def test_the_alternatives_a_question_offers() -> None:
    assert offered_choices(TOMATO) == ("fruit", "vegetable")
    assert offered_choices("Is a whale a fish, a mammal or a bird?") == ("fish", "mammal", "bird")
    assert offered_choices("Is it red, green, or blue?") == ("red", "green", "blue")
    # The comma piece with the question word is the question, not an item.
    heavier = "Which is heavier, a kilogram of feathers or a kilogram of steel?"
    assert offered_choices(heavier) == ("feathers", "steel")
    assert offered_choices("Which number is bigger: 78 or 41?") == ("78", "41")
    assert offered_choices("What is the capital of Peru?") == ()
    assert offered_choices("What do you prefer, tea or coffee?") == ("tea", "coffee")
    americas = "Which continent is Peru in, North America or South America?"
    assert offered_choices(americas) == ("north america", "south america")
    assert answer_part("Peru is in South America.", americas).words == ("south america",)
    # Asking who, where or how, the "or" is no choice to answer with.
    assert offered_choices("Who wrote Hamlet or Macbeth?") == ()
    assert offered_choices("How do I install numpy or scipy?") == ()


def test_which_questions_ask_yes_or_no() -> None:
    assert asks_yes_or_no(PARIS)
    assert asks_yes_or_no("Does a spider have eight legs?")
    assert not asks_yes_or_no(TOMATO)  # it offers alternatives
    assert not asks_yes_or_no("Can you tell me what the capital of Peru is?")
    assert not asks_yes_or_no("What is the capital of Peru?")


def test_an_answer_to_a_choice_is_the_alternative_it_names() -> None:
    fruit = answer_part("A tomato is a fruit.", TOMATO)
    assert fruit.words == ("fruit",)
    assert answer_part("Fruit.", TOMATO).words == ("fruit",)
    assert answer_part("It is a vegetable.", TOMATO).words == ("vegetable",)
    # Repeating the alternatives is no choice; the one chosen after it is.
    echo = "Is it a fruit or a vegetable? A tomato is a vegetable."
    assert answer_part(echo, TOMATO).words == ("vegetable",)
    # Naming none, it is read as any answer.
    assert answer_part("It is neither.", TOMATO).words == ("neither",)
    # Streaming: the choice answers, though the question holds the word.
    assert answered("A tomato is a fruit. Botanically", TOMATO) == "A tomato is a fruit."


def test_an_answer_to_a_yes_or_no_question_is_its_verdict() -> None:
    assert answer_part("Yes, Paris is in France.", PARIS).words == ("yes",)
    assert answer_part("No.", PARIS).words == ("no",)
    assert answer_part("Paris is not in France.", PARIS).words == ("no",)
    assert answer_part("It isn't.", PARIS).words == ("no",)
    assert answer_part("Paris is not just a French city, but a legend.", PARIS).words == ("yes",)
    # A statement that does not negate affirms, with no token that says so.
    restated = answer_part("Paris is in France.", PARIS)
    assert (restated.words, restated.spans) == (("yes",), ())
    assert answer_part("Paris is a city in northern France.", PARIS).words == ("yes",)
    # "I'm not sure" is no verdict.
    assert answer_part("I'm not sure.", PARIS).words == ()
    assert answered("Yes, it is. Paris", PARIS) == "Yes, it is."


def test_the_vote_counts_choices_and_verdicts_that_agree() -> None:
    def vote(question: str, *texts: str):
        return decide("confidence", [Candidate(f"w{i}", t) for i, t in enumerate(texts)], question)

    tomato = vote(TOMATO, "A tomato is a vegetable.", "It is a fruit.", "Fruit.", "A fruit.")
    assert tomato.winner != 0 and tomato.agree_count == 3
    paris = vote(PARIS, "No.", "Yes.", "Yes, Paris is in France.", "Paris is in France.")
    assert paris.winner != 0 and paris.agree_count == 3


def test_only_the_sentence_that_asks_is_read() -> None:
    # A pasted sentence with an "or" before the question offers nothing to choose.
    assert asks_yes_or_no("I read it is in Belgium or Switzerland. Is Paris in France?")
    assert offered_choices("if a or b:\nWhich is heavier, feathers or steel?") == (
        "feathers",
        "steel",
    )
    # "9.11" is no sentence end; "... or not?" asks yes or no; a request is no yes/no question.
    assert offered_choices("Which is larger: 9.11 or 9.9?") == ("9.11", "9.9")
    assert offered_choices("Should I use Python or not?") == ()
    assert asks_yes_or_no("Should I use Python or not?")
    assert not asks_yes_or_no("Can you name the largest planet?")
    assert not asks_yes_or_no("Do you know the capital of Peru?")


def test_lists_phrases_and_letters_as_alternatives() -> None:
    assert offered_choices("Is it a cat or a dog or a bird?") == ("cat", "dog", "bird")
    assert offered_choices("Is a tomato a fruit or a vegetable in cooking?") == (
        "fruit",
        "vegetable",
    )
    assert offered_choices("Is it A, B, or C?") == ("a", "b", "c")
    assert answer_part("The answer is A.", "Is it A, B, or C?").words == ("a",)
    assert answer_part("It is a letter, B.", "Is it A, B, or C?").words == ("b",)


def test_a_choice_among_words_is_read_before_the_question_s_numbers() -> None:
    assert answer_part("17 is odd.", "Is 17 odd or even?").words == ("odd",)
    assert answer_part("Yes, 7 is prime. It", "Is 7 a prime number?").words == ("yes",)
    assert answered("Yes, 7 is prime. It", "Is 7 a prime number?") == "Yes, 7 is prime."


def test_denied_choices_and_verdict_words_only_at_the_start() -> None:
    assert answer_part("A tomato is not a vegetable; it is a fruit.", TOMATO).words == ("fruit",)
    assert answer_part("It's a fruit and it grows on vines.", TOMATO).words == ("fruit",)
    assert answer_part("There is no doubt that Paris is in France.", PARIS).words == ("yes",)
    assert answer_part("Nope.", PARIS).words == answer_part("False.", PARIS).words == ("no",)
    # Not knowing is no answer, not the words "don know".
    assert answer_part("I don't know.", PARIS).words == ()
    assert answer_part("Maybe.", PARIS).words == ()

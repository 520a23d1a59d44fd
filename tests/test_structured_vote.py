"""The structured-output vote: canonical JSON, schema validation, majority pick."""

import json

import pytest

from hive_tui.consensus.structured import NoValidJson, canonical_json, parse_valid, vote_json

PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
    "additionalProperties": False,
}


def test_canonical_json_sorts_keys_and_normalises_numbers():
    assert canonical_json({"b": 2.0, "a": [1.0, 1.5]}) == '{"a":[1,1.5],"b":2}'
    assert canonical_json({"a": 1, "b": 2}) == canonical_json(json.loads('{"b": 2.0, "a": 1}'))


def test_parse_valid_checks_the_schema():
    assert parse_valid('{"name": "Ada", "age": 36}', PERSON) == {"name": "Ada", "age": 36}
    assert parse_valid('{"name": "Ada", "age": "36"}', PERSON) is None
    assert parse_valid('{"name": "Ada"', PERSON) is None
    assert parse_valid("[1, 2]", None) is None  # json_object: an object only
    assert parse_valid('{"x": 1}', None) == {"x": 1}


def test_majority_of_equal_objects_wins_in_any_key_order():
    texts = [
        '{"name": "Bob", "age": 40}',
        '{"age": 36, "name": "Ada"}',
        '{"name": "Ada", "age": 36.0}',
        '{"name":"Ada","age":36}',
    ]
    vote = vote_json(texts, PERSON)
    assert vote.supporters == [1, 2, 3]
    assert vote.winner == 1
    assert json.loads(vote.canonical) == {"age": 36, "name": "Ada"}


def test_invalid_answers_never_win_even_when_they_agree():
    texts = ['{"name": "Ada"}', '{"name": "Ada"}', '{"name": "Ada"}', '{"name": "Bo", "age": 3}']
    vote = vote_json(texts, PERSON)
    assert vote.winner == 3 and vote.valid == 1


def test_tie_goes_to_the_first_given():
    vote = vote_json(['{"a": 1}', '{"a": 2}', '{"a": 2}', '{"a": 1}'], None)
    assert vote.winner == 0 and vote.supporters == [0, 3]


def test_no_valid_answer_is_an_error():
    with pytest.raises(NoValidJson):
        vote_json(["not json", '{"name": 1, "age": 2}'], PERSON)


def test_decide_json_makes_the_winner_canonical_and_counts_groups():
    from hive_tui.consensus.structured import decide_json
    from hive_tui.wire import Candidate

    texts = ['{"name": "Bo", "age": 3}', '{ "age": 36, "name": "Ada" }', "oops",
             '{"name":"Ada","age":36.0}']
    candidates = [Candidate(f"w{i}", t) for i, t in enumerate(texts)]
    decision, out = decide_json(candidates, PERSON)
    assert decision.winner == 1 and decision.agree_count == 2 and decision.strategy == "json"
    assert out[1].text == '{"age":36,"name":"Ada"}' and out[0] == candidates[0]
    assert decision.scores == [0.25, 0.5, 0.0, 0.5]
    assert sorted(decision.groups) == [[0], [1, 3], [2]]


def test_no_valid_answer_says_when_max_tokens_cut_them():
    from hive_tui.consensus.structured import decide_json
    from hive_tui.wire import Candidate

    cut = [Candidate("w0", '{"name": "Ad', finish_reason="length"), Candidate("w1", "x")]
    with pytest.raises(NoValidJson, match="1 cut off at max_tokens"):
        decide_json(cut, PERSON)


def test_the_grammar_is_llama_cpps_and_bounded():
    pytest.importorskip("llama_cpp")
    from hive_tui.swarm.json_format import InvalidFormat, json_format

    person = json_format(PERSON)
    assert person.schema == PERSON and "root ::=" in person.grammar
    assert '\\"age\\"' in person.grammar  # the converter's own rule for the key
    assert "root" in json_format(None).grammar and json_format(None).schema is None
    for bad in ({"type": "string", "maxLength": 10**9}, {"type": "frob"},
                {"type": "array", "items": {"type": "object", "minProperties": 5000}}):
        with pytest.raises(InvalidFormat):
            json_format(bad)

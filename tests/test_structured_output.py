"""Structured output on `hive --node`, read by the `openai` client: `json_schema` and
`json_object` answers constrained by a grammar on every worker (the embedded model, one thread),
and the vote over canonical objects (scripted workers, whose answers the test chooses)."""

from __future__ import annotations

import json

import jsonschema
import openai
import pytest

from hive_tui.backends.scripted_engine import write_script

PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string", "maxLength": 20}, "age": {"type": "integer"}},
    "required": ["name", "age"],
    "additionalProperties": False,
}
PERSON_FORMAT = {
    "type": "json_schema",
    "json_schema": {"name": "person", "schema": PERSON, "strict": True},
}
ASK_PERSON = [{"role": "user", "content": "Give a person's name and age as JSON."}]
# The suite runs 10 seeded requests; benchmarks/structured_output.py runs the 50 of the
# acceptance line (its measured rate is in the README).
SEEDS = range(10)
CAPITAL = 'Give the capital of France as a JSON object with one key, "capital".'
MAX_TOKENS = 48


def _client(node) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{node.url}/v1", api_key="unused", max_retries=0, timeout=300)


def _canonical(text: str) -> str:
    return json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))


@pytest.fixture(scope="module")
def model_node():
    from tests.conftest import NodeProcess

    node = NodeProcess(["--workers", "3", "--threads", "1"])
    node.wait_ready(3)
    yield node
    assert node.stop() == 0


@pytest.mark.model
def test_json_schema_answers_always_validate_and_the_vote_counts_equal_objects(model_node):
    client = _client(model_node)
    for seed in SEEDS:
        r = client.chat.completions.create(
            model="hive",
            messages=ASK_PERSON,
            seed=seed,
            max_tokens=MAX_TOKENS,
            response_format=PERSON_FORMAT,
        )
        content = r.choices[0].message.content
        jsonschema.validate(json.loads(content), PERSON)
        assert content == _canonical(content)  # the winner's canonical JSON
        vote = r.model_extra["hive"]
        assert vote["strategy"] == "json"
        # "k of N agree" counts the candidates that gave the winner's object, in any form.
        equal = [c for c in vote["candidates"] if _is_json(c["text"])
                 and _canonical(c["text"]) == content]
        assert vote["agree_count"] == len(equal) >= 1


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


@pytest.mark.model
def test_greedy_workers_agree_on_one_object_and_json_object_gives_an_object(model_node):
    client = _client(model_node)
    r = client.chat.completions.create(
        model="hive",
        messages=ASK_PERSON,
        temperature=0,
        max_tokens=MAX_TOKENS,
        response_format=PERSON_FORMAT,
    )
    assert r.model_extra["hive"]["agree_count"] == 3  # same prompt, greedy: one object
    jsonschema.validate(json.loads(r.choices[0].message.content), PERSON)

    for seed in (1, 2):
        r = client.chat.completions.create(
            model="hive",
            messages=[{"role": "user", "content": CAPITAL}],
            seed=seed,
            max_tokens=128,  # any object: the grammar bounds its form, not its length
            response_format={"type": "json_object"},
        )
        assert isinstance(json.loads(r.choices[0].message.content), dict)


@pytest.mark.model
def test_a_schema_that_is_not_one_is_a_400_before_any_vote(model_node):
    client = _client(model_node)
    bad = [
        {"type": "json_schema", "json_schema": {"name": "p", "schema": {"type": "frob"}}},
        {"type": "json_schema", "json_schema": {"name": "p", "schema": {"type": "obj"}}},
        {"type": "json_schema"},  # no json_schema
        {"type": "xml"},
    ]
    for fmt in bad:
        with pytest.raises(openai.BadRequestError) as raised:
            client.chat.completions.create(model="hive", messages=ASK_PERSON, response_format=fmt)
        assert "response_format" in str(raised.value)


@pytest.mark.model
def test_the_one_sequence_engine_follows_the_grammar_too():
    from tests.conftest import NodeProcess

    node = NodeProcess(["--workers", "2", "--threads", "1", "--slots", "1"])
    try:
        node.wait_ready(2)
        client = _client(node)
        for seed in (3, 4, 5):
            r = client.chat.completions.create(
                model="hive",
                messages=ASK_PERSON,
                seed=seed,
                max_tokens=MAX_TOKENS,
                response_format=PERSON_FORMAT,
            )
            for candidate in r.model_extra["hive"]["candidates"]:
                jsonschema.validate(json.loads(candidate["text"]), PERSON)
    finally:
        assert node.stop() == 0


# ------------------------------------------------------------ the vote, scripted answers


def _scripted(tmp_path, answers: list[str]):
    from tests.conftest import NodeProcess

    script = write_script(str(tmp_path / "s.json"), answers=answers)
    node = NodeProcess(["--backend", "scripted", "--model", script, "--workers", str(len(answers))])
    node.wait_ready(len(answers))
    return node


def test_the_majority_object_wins_whole_and_streamed(tmp_path):
    answers = ['{"name": "Bob", "age": 40}', '{ "age": 36, "name": "Ada" }',
               '{"name":"Ada","age":36.0}', '{"name": "Ada"}']
    node = _scripted(tmp_path, answers)
    try:
        client = _client(node)
        r = client.chat.completions.create(
            model="hive", messages=ASK_PERSON, response_format=PERSON_FORMAT
        )
        assert r.choices[0].message.content == '{"age":36,"name":"Ada"}'
        vote = r.model_extra["hive"]
        assert vote["agree_count"] == 2 and vote["agreement_text"].startswith("2 of 4 agree")
        stream = client.chat.completions.create(
            model="hive", messages=ASK_PERSON, response_format=PERSON_FORMAT, stream=True
        )
        text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        assert text == '{"age":36,"name":"Ada"}'
    finally:
        assert node.stop() == 0


def test_no_valid_answer_is_an_error_never_an_invalid_object(tmp_path):
    node = _scripted(tmp_path, ['{"name": "Ada"}', "not json at all"])
    try:
        client = _client(node)
        with pytest.raises(openai.APIStatusError) as raised:
            client.chat.completions.create(
                model="hive", messages=ASK_PERSON, response_format=PERSON_FORMAT
            )
        assert raised.value.status_code == 503 and "valid JSON" in str(raised.value)
        # Streamed, the status line is sent before the vote: the error is the last event.
        stream = client.chat.completions.create(
            model="hive", messages=ASK_PERSON, response_format=PERSON_FORMAT, stream=True
        )
        with pytest.raises(openai.APIError, match="valid JSON"):
            list(stream)
        # Without response_format the same answers are voted on as text.
        node_text = client.chat.completions.create(model="hive", messages=ASK_PERSON)
        assert node_text.choices[0].message.content in ('{"name": "Ada"}', "not json at all")
    finally:
        assert node.stop() == 0


@pytest.mark.model
def test_ollamas_format_takes_a_schema_or_json(model_node):
    import ollama

    client = ollama.Client(host=model_node.url, timeout=300)
    r = client.chat(model="hive", messages=ASK_PERSON, format=PERSON,
                    options={"seed": 7, "num_predict": MAX_TOKENS}, stream=False)
    jsonschema.validate(json.loads(r.message.content), PERSON)
    r = client.chat(model="hive", messages=[{"role": "user", "content": CAPITAL}], format="json",
                    options={"seed": 1, "num_predict": 128}, stream=False)
    assert isinstance(json.loads(r.message.content), dict)

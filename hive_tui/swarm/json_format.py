"""Structured output, resolved: what a request's ``response_format`` asks of the workers.

``JsonFormat`` rides on the resolved request (the vote reads its schema); the GBNF grammar the
workers sample under is built here, in the node, by llama-cpp-python's own converter (its JSON
grammar for ``json_object``), so a worker only parses a grammar and a bad schema is refused
before any worker starts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs on the index

from hive_tui.errors import HiveError

# Bounds on a schema and on its grammar. The converter spells a repetition out (maxLength
# 1000000 is an 8 MB grammar that every worker would parse), so the counts it repeats are
# bounded before it runs, and the grammar it made is bounded after.
MAX_SCHEMA_BYTES = 64 * 1024
MAX_REPEAT = 1024
MAX_GRAMMAR_BYTES = 256 * 1024
_COUNTS = ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties")


class InvalidFormat(HiveError, ValueError):
    """The response_format cannot be honoured (a bad schema, no grammar support here)."""


@dataclass(frozen=True)
class JsonFormat:
    """Every answer must be a JSON object; with a schema, one that validates against it."""

    schema: dict[str, Any] | None = None
    grammar: str = ""  # GBNF for the workers


def json_format(schema: dict[str, Any] | None) -> JsonFormat:
    """The format for ``json_object`` (``schema`` None) or ``json_schema``; raises
    ``InvalidFormat`` for a schema that is not a JSON Schema or that llama.cpp cannot turn
    into a grammar."""
    try:
        from llama_cpp import llama_grammar
    except ImportError as exc:  # an MLX-only install
        raise InvalidFormat("structured output needs llama-cpp-python's grammars") from exc
    if schema is None:
        return JsonFormat(None, llama_grammar.JSON_GBNF)
    text = json.dumps(schema)
    if len(text) > MAX_SCHEMA_BYTES:
        raise InvalidFormat(f"the schema is over {MAX_SCHEMA_BYTES} bytes")
    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise InvalidFormat(f"not a valid JSON Schema: {exc.message}") from exc
    _check_counts(schema)
    try:
        grammar = llama_grammar.json_schema_to_gbnf(text)
    except (AssertionError, ValueError, KeyError, TypeError, RecursionError) as exc:
        # The converter asserts on what it does not know ("Unrecognized schema: ...").
        raise InvalidFormat(f"llama.cpp cannot turn this schema into a grammar: {exc}") from exc
    if len(grammar) > MAX_GRAMMAR_BYTES:
        raise InvalidFormat(
            f"the grammar for this schema is {len(grammar)} bytes, over {MAX_GRAMMAR_BYTES}"
        )
    return JsonFormat(schema, grammar)


def _check_counts(node: object) -> None:
    """Refuse a length or item count over ``MAX_REPEAT`` anywhere in the schema."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key in _COUNTS:
                count = item.get(key)
                if isinstance(count, int | float) and count > MAX_REPEAT:
                    raise InvalidFormat(f"{key} {count} is over {MAX_REPEAT}")
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)

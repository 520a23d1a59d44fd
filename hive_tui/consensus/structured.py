"""Structured-output consensus: candidates' JSON answers compared as canonical JSON.

A pure helper, tested without a model. A candidate's text is parsed as JSON and validated
against the request's schema (``None``: any JSON object, OpenAI's ``json_object``); an answer
that does not validate never wins. The valid ones are compared in canonical form (keys sorted,
integral floats as ints), so ``{"a": 1.0, "b": 2}`` and ``{"b":2,"a":1}`` are one answer and a
majority of equal objects wins.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs on the index

from hive_tui.errors import HiveError


class NoValidJson(HiveError):
    """No candidate gave JSON that validates against the requested schema."""


def _normalised(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, list):
        return [_normalised(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalised(v) for k, v in value.items()}
    return value


def canonical_json(value: Any) -> str:
    """One text per JSON value: keys sorted, no spaces, integral numbers as ints."""
    return json.dumps(_normalised(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def parse_valid(text: str, schema: dict[str, Any] | None) -> Any | None:
    """The candidate's JSON if it parses and validates (``None`` schema: any object), else None."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if schema is None:
        return value if isinstance(value, dict) else None
    try:
        jsonschema.validate(value, schema)
    except jsonschema.ValidationError:
        return None
    return value


@dataclass(frozen=True)
class JsonVote:
    winner: int  # index of the winning candidate (the first of the majority object)
    supporters: list[int]  # candidates whose answer equals the winner's in canonical form
    valid: int  # how many candidates validated
    canonical: str  # the winning object, canonical


def vote_json(texts: Sequence[str], schema: dict[str, Any] | None) -> JsonVote:
    """The canonical object most candidates gave (ties: the one given first); invalid answers
    are not counted. Raises ``NoValidJson`` when none validates."""
    groups: dict[str, list[int]] = {}
    for index, text in enumerate(texts):
        value = parse_valid(text, schema)
        if value is not None:
            groups.setdefault(canonical_json(value), []).append(index)
    if not groups:
        raise NoValidJson(f"none of {len(texts)} answers is valid JSON for the requested schema")
    canonical, supporters = max(groups.items(), key=lambda kv: (len(kv[1]), -kv[1][0]))
    valid = sum(len(v) for v in groups.values())
    return JsonVote(supporters[0], supporters, valid, canonical)

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
import msgspec

from hive_tui.errors import HiveError
from hive_tui.wire import Candidate, Decision

STRATEGY = "json"  # the name a structured vote's Decision carries


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


def decide_json(
    candidates: Sequence[Candidate], schema: dict[str, Any] | None
) -> tuple[Decision, list[Candidate]]:
    """The structured vote as a ``Decision`` (one group per distinct valid object, each invalid
    answer alone with score 0), and the candidates with the winner's text made its canonical
    JSON, which is what the response carries. Raises ``NoValidJson`` when none validates."""
    try:
        vote = vote_json([c.text for c in candidates], schema)
    except NoValidJson as exc:
        cut = sum(c.finish_reason == "length" for c in candidates)
        if cut:  # the grammar bounds what is written, not how long: say what to change
            raise NoValidJson(f"{exc} ({cut} cut off at max_tokens: raise it)") from None
        raise
    n = len(candidates)
    groups: dict[str, list[int]] = {}
    for index, candidate in enumerate(candidates):
        value = parse_valid(candidate.text, schema)
        key = canonical_json(value) if value is not None else f"invalid:{index}"
        groups.setdefault(key, []).append(index)
    scores = [0.0] * n
    for key, members in groups.items():
        for index in members:
            scores[index] = 0.0 if key.startswith("invalid:") else len(members) / n
    agree = len(vote.supporters)
    decision = Decision(
        strategy=STRATEGY,
        winner=vote.winner,
        scores=scores,
        groups=list(groups.values()),
        agreement=agree / n,
        agree_count=agree,
        # Equal objects are identical and the others differ: the share that gave the
        # winner's object among the other candidates.
        mean_similarity=(agree - 1) / (n - 1) if n > 1 else 1.0,
    )
    out = list(candidates)
    # The token offsets described the text as generated; they do not fit the canonical form.
    out[vote.winner] = msgspec.structs.replace(
        out[vote.winner], text=vote.canonical, token_ends=[], token_logprobs=[]
    )
    return decision, out

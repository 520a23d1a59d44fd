"""A prompt longer than the context is refused before any worker runs, with the counts."""

from __future__ import annotations

import pytest

from hive_tui import wire
from hive_tui.config import load_settings
from hive_tui.embedded_model import embedded_model_path
from hive_tui.models.gguf_header import longest_token_bytes
from hive_tui.node import ContextLengthExceeded, Node, SwarmError
from hive_tui.node_plan import make_plan
from hive_tui.swarm.prompt_size import (
    FALLBACK_TOKEN_BYTES,
    check_prompt_fits,
    prompt_tokens_at_least,
    token_bytes_bound,
)
from hive_tui.swarm.swarm import from_worker_errors

pytestmark = pytest.mark.pure

HI = wire.ChatMessage("user", "hi")


def test_the_embedded_vocabulary_bounds_a_token_and_the_bound_is_cached() -> None:
    longest = longest_token_bytes(embedded_model_path())
    assert longest is not None and 8 <= longest < 1024
    assert token_bytes_bound(str(embedded_model_path())) == longest
    assert token_bytes_bound("/no/such/model.gguf") == FALLBACK_TOKEN_BYTES
    assert token_bytes_bound("script.json") == FALLBACK_TOKEN_BYTES


def test_the_count_is_a_lower_bound_of_bytes_and_template_markers() -> None:
    assert prompt_tokens_at_least([HI], token_bytes=1) == 2 + 2
    big = wire.ChatMessage("user", "x" * 3 * 1024 * 1024)
    assert prompt_tokens_at_least([big], token_bytes=256) == 12288 + 2
    tool = wire.ToolSpec("f", "d" * 99, "{}")
    assert prompt_tokens_at_least([HI], [tool], token_bytes=1) == 2 + 102 + 2


def test_what_cannot_fit_raises_with_the_counts_and_what_may_fit_passes() -> None:
    check_prompt_fits([HI] * 10, 2048)
    with pytest.raises(ContextLengthExceeded) as caught:
        check_prompt_fits([HI] * 1024, 2048)
    assert caught.value.prompt_tokens >= 2048 and caught.value.n_ctx == 2048
    assert isinstance(caught.value, SwarmError)  # every front end already handles it
    assert "at least" in str(caught.value) and "2048" in str(caught.value)


def test_workers_that_all_refuse_a_long_prompt_give_the_exact_counts() -> None:
    says = "prompt of 5000 tokens does not fit the context of 2048"
    exc = from_worker_errors([says, says])
    assert exc is not None and (exc.prompt_tokens, exc.n_ctx) == (5000, 2048)
    assert "at least" not in str(exc)
    assert from_worker_errors([says, "worker w1 crashed"]) is None
    assert from_worker_errors([]) is None


async def test_the_node_refuses_before_any_worker_runs(tmp_path) -> None:
    settings = load_settings(
        {"backend": "scripted", "model": str(tmp_path / "s.json"), "workers": 2},
        environ={},
        path=tmp_path / "none.toml",
    )
    node = Node(settings, make_plan(settings), node_id="node-ctx")  # never started
    with pytest.raises(ContextLengthExceeded):
        node.request([HI] * 1024)
    request = node.request([HI])
    long = type(request)([wire.ChatMessage("user", "x" * 1_000_000)], seed=1)
    with node.bus.subscribe() as events, pytest.raises(ContextLengthExceeded):
        await node.answer(long)  # the app's path: requests built without Node.request
    assert events.get_nowait() is None

"""`GET /metrics` of a real `hive --node` (scripted workers), read with prometheus-client's
own parser: behind the API key, and its counters move with real requests."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import httpx
import openai
import pytest
from prometheus_client.parser import text_string_to_metric_families

from hive_tui.backends.scripted_engine import write_script

KEY = "metrics-test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
ANSWERS = ["Paris is the capital.", "Paris.", "Paris is the capital."]


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = httpx.get(f"{url}/metrics", headers=AUTH, timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def node(node_process, tmp_path):
    script = write_script(str(tmp_path / "s.json"), answers=ANSWERS, token_delay_s=0.01)
    n = node_process(
        "--backend", "scripted", "--model", script, "--workers", "3", env={"HIVE_API_KEY": KEY}
    )
    n.wait_ready(3)
    return n


def test_metrics_need_the_key_and_move_with_a_request(node):
    assert httpx.get(f"{node.url}/metrics", timeout=10).status_code == 401
    before = scrape(node.url)
    assert value(before, "hive_workers", state="idle") == 3
    assert value(before, "hive_queue_depth") == 0 and value(before, "hive_queue_limit") == 64
    chat = ("hive_http_requests_total", {"route": "/v1/chat/completions", "status": "200"})
    assert value(before, chat[0], **chat[1]) == 0
    # The refused scrape above was counted too: the counter sits outside the guard.
    assert value(before, "hive_http_requests_total", route="/metrics", status="401") == 1

    client = openai.OpenAI(base_url=f"{node.url}/v1", api_key=KEY, max_retries=0)
    reply = client.chat.completions.create(
        model="hive", messages=[{"role": "user", "content": "capital of France?"}]
    )
    vote = reply.model_extra["hive"]
    after = scrape(node.url)
    assert value(after, chat[0], **chat[1]) == 1
    assert value(after, "hive_votes_total", outcome="decided") == 1
    assert value(after, "hive_vote_duration_seconds_count") == 1
    assert value(after, "hive_vote_duration_seconds_sum") > 0
    assert value(after, "hive_vote_agreement_count") == 1
    assert value(after, "hive_vote_agreement_sum") == pytest.approx(vote["agreement"])
    tokens = sum(c["tokens"] for c in vote["candidates"])
    assert value(after, "hive_tokens_generated_total") == tokens > 0
    assert value(after, "hive_time_to_first_token_seconds_count") == 3
    assert value(after, "hive_peers", state="connected") == 0
    assert value(after, "hive_worker_restarts_total", worker="w0") == 0
    # Every metric the example Grafana dashboard plots is one the node exports.
    dashboard = (Path(__file__).parent.parent / "docs" / "grafana-hive.json").read_text()
    plotted = set(re.findall(r"\bhive_[a-z_]+", dashboard))
    assert plotted and plotted <= {name for name, _labels in after}
    # A path no route serves is one label, whatever the path.
    httpx.get(f"{node.url}/no/such/path", headers=AUTH, timeout=10)
    assert value(scrape(node.url), "hive_http_requests_total", route="other", status="404") == 1


def test_a_full_queue_shows_as_depth_then_as_refusals(node_process, tmp_path):
    script = write_script(str(tmp_path / "slow.json"), answers=["word " * 200], token_delay_s=0.05)
    node = node_process(
        "--backend", "scripted", "--model", script, "--workers", "1", "--max-queue", "1",
        env={"HIVE_API_KEY": KEY},
    )  # fmt: skip
    node.wait_ready(1)
    body = {"messages": [{"role": "user", "content": "talk"}], "max_tokens": 200}
    slow = threading.Thread(
        target=lambda: httpx.post(
            f"{node.url}/v1/chat/completions", json=body, headers=AUTH, timeout=120
        )
    )
    slow.start()
    try:
        deadline = time.monotonic() + 60
        while value(scrape(node.url), "hive_queue_depth") < 1:
            assert time.monotonic() < deadline, "the first request was never admitted"
            time.sleep(0.05)
        refused = httpx.post(f"{node.url}/api/chat", json={"model": "hive", "messages": [
            {"role": "user", "content": "me too"}]}, headers=AUTH, timeout=30)  # fmt: skip
        assert refused.status_code == 503
        after = scrape(node.url)
        assert value(after, "hive_admissions_refused_total") == 1
        assert value(after, "hive_http_requests_total", route="/api/chat", status="503") == 1
    finally:
        slow.join(120)

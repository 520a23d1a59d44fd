"""The app end to end on the real embedded model: three workers (one thread each) answer,
the vote decides, the chat shows the winner."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from hive_tui.client.core import LocalCore
from hive_tui.config import load_settings
from hive_tui.node import Node
from hive_tui.node_plan import make_plan
from hive_tui.tui.app import HiveApp
from hive_tui.tui.chat import AnswerMessage
from tests.tui.support import (
    RECORDED_HARDWARE,
    ask,
    wait_ready,
    wait_vote,
)

pytestmark = pytest.mark.model


async def test_three_real_workers_answer_and_the_vote_decides(isolated_dirs):
    settings = load_settings({"workers": 3, "threads": 1, "max_tokens": 24, "n_ctx": 512,
                              "node_name": "testbox"}, environ={})
    core = LocalCore(Node(settings, make_plan(settings), node_id="test-node"))
    app = HiveApp(core, hardware_source=lambda: RECORDED_HARDWARE, hardware_refresh_s=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        assert {s.model for s in app.statuses.values()} != {""}
        await ask(pilot, "What is the capital of France? Answer in one word.")
        await wait_vote(pilot, timeout_s=120)
        turn = app.conversation.turns[-1]
        assert turn.error is None and turn.decision is not None
        assert len(turn.candidates) == 3
        assert {c.worker_id for c in turn.candidates} == {"w0", "w1", "w2"}
        assert all(c.completion_tokens > 0 for c in turn.candidates)
        assert turn.answer.strip()
        assert app.query_one(AnswerMessage).answer_source == turn.answer
        await pilot.press("f2")
        assert app.query_one("#vote-table", DataTable).row_count == 3

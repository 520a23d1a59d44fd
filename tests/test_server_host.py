"""The server host as the app runs it: closing the app answers the API clients it cuts off, as
`hive --node` does after its grace period, instead of dropping their connections."""

from __future__ import annotations

import asyncio

import httpx
import msgspec

from hive_tui.api.host import ServerHost


async def test_closing_the_app_answers_a_request_still_running(make_scripted_node):
    node = make_scripted_node(workers=2, answers=["word " * 500], token_delay_s=0.01)
    node.settings = msgspec.structs.replace(node.settings, port=0, federation=False)
    await node.start()
    server = ServerHost(node)
    try:
        state = await server.start()
        assert state.url is not None, state.problem
        async with httpx.AsyncClient(base_url=state.url, timeout=30) as client:
            body = {"model": "hive", "messages": [{"role": "user", "content": "Hi"}]}
            asked = asyncio.create_task(client.post("/v1/chat/completions", json=body))
            for _ in range(200):  # until the workers are generating its answer
                if any(s.state == "generating" for s in node.swarm.statuses()):
                    break
                await asyncio.sleep(0.02)
            assert not asked.done()
            await server.stop()  # what the app does when it closes
            answer = await asked
        assert answer.status_code == 503
        assert answer.json()["error"]["message"] == "the node is shutting down"
    finally:
        await server.stop()
        await node.stop()

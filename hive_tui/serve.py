"""``hive --node``: a node with the HTTP API in front of it, and nothing else (no UI)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys

from hive_tui.api.host import ServerHost, listen, listen_ollama, unsafe_bind
from hive_tui.config import Settings
from hive_tui.node import Node
from hive_tui.node_plan import make_plan


async def serve_node(settings: Settings) -> int:
    # Bound before the node is planned, so a refused bind or a busy port is one clear line at
    # once. Printed, not logged: run_node's logging goes to the same stderr, so both would
    # show the refusal twice.
    if (refused := unsafe_bind(settings)) is not None:
        print(f"hive: {refused}", file=sys.stderr, flush=True)
        return 2
    listener, problem = listen(settings)
    if listener is None:
        print(f"hive: {problem}", file=sys.stderr, flush=True)
        return 1
    ollama, problem = listen_ollama(settings)
    if problem is not None:
        listener.close()
        print(f"hive: {problem}", file=sys.stderr, flush=True)
        return 1
    node = Node(settings, make_plan(settings))
    host = ServerHost(node, signals=True)
    # Bind first so /health can report workers as they load; requests wait for them.
    starting = asyncio.create_task(node.start())
    try:
        state = await host.start(listener, ollama)
        if state.url is not None:
            print(f"hive node {node.node_id} listening on {state.url}", flush=True)
            if state.ollama_url is not None:
                print(f"hive API for Ollama clients also on {state.ollama_url}", flush=True)
            if state.pairing_code:
                print(
                    f"hive pairing code: {state.pairing_code}  (new hive secret; "
                    "give it to other machines with --secret or HIVE_SECRET)",
                    flush=True,
                )
        await host.wait()
    finally:
        if not starting.done():
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
        await node.stop()
    return 0 if state.url is not None else 1


def run_node(settings: Settings) -> int:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    return asyncio.run(serve_node(settings))

"""``hive --node``: a node with the HTTP API in front of it, and nothing else (no UI)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import signal
import socket
import sys
from collections.abc import Iterator

import uvicorn

from hive_tui.api.app import create_app
from hive_tui.api.guard import is_loopback
from hive_tui.config import Settings
from hive_tui.node import Node, make_plan
from hive_tui.swarm.swarm import CANCEL_GRACE_S


class NodeServer(uvicorn.Server):
    """uvicorn re-raises SIGTERM/SIGINT after its graceful shutdown, so the process would die
    by the signal before the workers are stopped. Here a signal only asks the server to
    exit; ``serve_node`` then stops every worker and returns 0.

    When the grace period is over, the node ends the requests still running itself
    (``Node.end_requests``): each is answered with a 503 error body, or its stream with an
    error event. uvicorn's own timeout, which would cancel them and so leave the client a
    bare ``Internal Server Error`` and the log a traceback, only stands behind that."""

    def __init__(self, config: uvicorn.Config, node: Node, grace_s: float) -> None:
        super().__init__(config)
        self.node = node
        self.grace_s = grace_s

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._ask_exit)
        try:
            yield
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)

    def _ask_exit(self) -> None:
        if self.should_exit:  # a second signal: end the requests now, stop waiting for them
            self.node.end_requests()
            self.force_exit = True
        self.should_exit = True

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        cut = asyncio.get_running_loop().call_later(self.grace_s, self.node.end_requests)
        try:
            await super().shutdown(sockets)
        finally:
            cut.cancel()


def bind_listener(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    listener = socket.socket(family, kind, proto)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.set_inheritable(True)
    except OSError:
        listener.close()
        raise
    return listener


def unsafe_bind(settings: Settings) -> str | None:
    """Why this bind is refused, or None (issue 6: no key, no listening beyond this machine)."""
    if settings.api_key or is_loopback(settings.host):
        return None
    return (
        f"refusing to listen on {settings.host} without an API key: anyone on the network "
        "could use this node. Set one with --api-key or HIVE_API_KEY, or bind 127.0.0.1."
    )


async def serve_node(settings: Settings) -> int:
    if (problem := unsafe_bind(settings)) is not None:
        # Printed, not logged: run_node's logging goes to the same stderr, so both would
        # show the refusal twice (as for a busy port below).
        print(f"hive: {problem}", file=sys.stderr, flush=True)
        return 2
    try:
        # Bound here rather than by uvicorn, so a busy port is one clear line, not a traceback
        # (uvicorn leaves with SystemExit from inside its task).
        listener = bind_listener(settings.host, settings.port)
    except OSError as exc:
        print(
            f"hive: cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}. "
            "Is another hive running there? --port N picks another port, --port 0 any free one.",
            file=sys.stderr,
        )
        return 1
    plan = make_plan(settings)
    node = Node(settings, plan)
    config = uvicorn.Config(
        create_app(node),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        lifespan="off",
        access_log=False,
        # SIGTERM: stop accepting, give in-flight requests shutdown_grace_s, then end them
        # (NodeServer.shutdown), which cancels their votes and so every worker's generation.
        # Past this (the swarm waits up to CANCEL_GRACE_S for workers), uvicorn cancels.
        timeout_graceful_shutdown=math.ceil(settings.shutdown_grace_s + CANCEL_GRACE_S + 1),
    )
    server = NodeServer(config, node, settings.shutdown_grace_s)
    # Bind first so /health can report workers as they load; requests wait for them.
    starting = asyncio.create_task(node.start())
    try:
        serving = asyncio.create_task(server.serve(sockets=[listener]))
        while not server.started and not serving.done():
            await asyncio.sleep(0.05)
        if server.started:
            host, port = server.servers[0].sockets[0].getsockname()[:2]
            print(f"hive node {node.node_id} listening on http://{host}:{port}", flush=True)
            if settings.federation:
                federation = await node.join_federation(settings.host, port)
                if federation.new_pairing_code:
                    print(
                        f"hive pairing code: {federation.new_pairing_code}  (new hive secret; "
                        "give it to other machines with --secret or HIVE_SECRET)",
                        flush=True,
                    )
        await serving
    finally:
        if not starting.done():
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
        await node.stop()
    return 0 if server.started else 1


def run_node(settings: Settings) -> int:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    return asyncio.run(serve_node(settings))

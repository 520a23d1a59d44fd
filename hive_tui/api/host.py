"""The app's node serves like ``hive --node``: the HTTP API, and so federation, in process.

Other machines can then join the hive of the box in front of you, and ``hive --connect`` or an
OpenAI client can use it. Differences from ``hive_tui.serve``, all because the terminal belongs
to the app: uvicorn gets no logging config and no signal handlers (Textual owns the terminal
and ctrl+c), the port is bound here first (uvicorn would ``sys.exit`` on a busy port, which no
task may do under a running app), and what a user must know (where it listens, a busy port, a
new pairing code) is kept in ``ServeState`` for the app to show instead of printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass

import uvicorn

from hive_tui.api.app import create_app
from hive_tui.node import Node
from hive_tui.serve import bind_listener, unsafe_bind

log = logging.getLogger("hive.tui.serve")

# How long a closing app waits for the API to answer the requests it ended.
ANSWER_WAIT_S = 2.0


@dataclass
class ServeState:
    url: str | None = None  # where the API listens, once bound
    problem: str | None = None  # why it does not (the app carries on without serving)
    pairing_code: str | None = None  # set when this node made the hive secret just now
    federation: bool = False


class QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the app handles ctrl+c; the server is stopped with the app


class EmbeddedServer:
    def __init__(self, node: Node) -> None:
        self.node = node
        self.state = ServeState()
        self._server: QuietServer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> ServeState:
        """Bind and start serving in the background; never raises for a busy port."""
        settings = self.node.settings
        if (problem := unsafe_bind(settings)) is not None:
            self.state.problem = f"not serving: {problem}"
            return self.state
        try:
            sock = bind_listener(settings.host, settings.port)
        except OSError as exc:
            self.state.problem = (
                f"not serving: cannot listen on {settings.host}:{settings.port} "
                f"({exc.strerror or exc})"
                "; is another hive running? Start with --port N (0 picks a free one)."
            )
            return self.state
        host, port = sock.getsockname()[:2]
        config = uvicorn.Config(
            create_app(self.node),
            log_config=None,
            lifespan="off",
            access_log=False,
            timeout_graceful_shutdown=max(1, round(settings.shutdown_grace_s)),
        )
        self._server = QuietServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        shown = f"[{host}]" if ":" in host else host
        self.state.url = f"http://{shown}:{port}"
        if settings.federation:
            federation = await self.node.join_federation(settings.host, port)
            self.state.pairing_code = federation.new_pairing_code
            self.state.federation = True
        return self.state

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        # The app is closing: the API's other clients get the node's own answer to a request
        # still running (a 503 "shutting down", a stream's error event) as `hive --node`
        # gives them after its grace, not a cut connection. Those answers take milliseconds.
        self.node.end_requests()
        self._server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(self._task), ANSWER_WAIT_S)
        except (TimeoutError, asyncio.CancelledError, Exception):
            self._server.force_exit = True  # do not wait longer for slow clients
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._task, 5)

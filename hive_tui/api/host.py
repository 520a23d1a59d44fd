"""The one server host: a node's HTTP API (and so federation) served by uvicorn, for
``hive --node`` (``hive_tui.serve``) and for the app's embedded node alike.

The port is bound here first, so a busy port is one clear line and not a ``sys.exit`` from
inside uvicorn's task (which no task may do under a running app). Two ways to run it:

* ``hive --node`` (``signals=True``): uvicorn logs, and SIGTERM/SIGINT only ask the server to
  exit; the caller then stops every worker and returns 0 (uvicorn would re-raise the signal
  after its graceful shutdown, so the process would die before the workers are stopped).
* the app (``signals=False``): the terminal belongs to Textual, so no logging config and no
  signal handlers; what the user must know is kept in ``ServeState`` for the app to show.

Either way, when the grace period is over the node ends the requests still running itself
(``Node.end_requests``): each is answered with a 503 error body, or its stream with an error
event. uvicorn's own timeout, which would cancel them and so leave the client a bare
``Internal Server Error`` and the log a traceback, only stands behind that.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import signal
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import uvicorn

from hive_tui.api.app import create_app
from hive_tui.api.guard import is_loopback
from hive_tui.api.protocol import deadline_protocol
from hive_tui.config import Settings
from hive_tui.node import CANCEL_GRACE_S, Node

# How long a closing app waits for the API to answer the requests it ended.
ANSWER_WAIT_S = 2.0
STARTED_POLL_S = 0.05
KEEP_ALIVE_S = 5  # an idle keep-alive connection is closed after this
MAX_HEADER_BYTES = 16 * 1024  # a request line and headers longer than this get 400


@dataclass
class ServeState:
    url: str | None = None  # where the API listens, once bound
    ollama_url: str | None = None  # the same API on the ollama_port, when one is set
    problem: str | None = None  # why it does not (the app carries on without serving)
    pairing_code: str | None = None  # set when this node made the hive secret just now
    federation: bool = False


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


def listen(settings: Settings) -> tuple[socket.socket | None, str | None]:
    """The listening socket for the settings' host and port, or None and why not."""
    if (problem := unsafe_bind(settings)) is not None:
        return None, problem
    try:
        return bind_listener(settings.host, settings.port), None
    except OSError as exc:
        return None, (
            f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}. "
            "Is another hive running there? --port N picks another port, --port 0 any "
            "free one."
        )


def listen_ollama(settings: Settings) -> tuple[socket.socket | None, str | None]:
    """The second listening socket (``ollama_port``), or None and why not (None, None: no
    such port is set)."""
    if settings.ollama_port is None:
        return None, None
    try:
        return bind_listener(settings.host, settings.ollama_port), None
    except OSError as exc:
        return None, (
            f"cannot listen on {settings.host}:{settings.ollama_port} for Ollama clients: "
            f"{exc.strerror or exc}. Is Ollama itself running there? --ollama-port N picks "
            "another port."
        )


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class HostedServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, node: Node, signals: bool) -> None:
        super().__init__(config)
        self.node = node
        self.signals = signals

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if not self.signals:  # the app handles ctrl+c; the server is stopped with the app
            yield
            return
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
        grace_s = self.node.settings.shutdown_grace_s
        cut = asyncio.get_running_loop().call_later(grace_s, self.node.end_requests)
        try:
            await super().shutdown(sockets)
        finally:
            cut.cancel()


class ServerHost:
    """Serve one node's API on its configured host and port, and join the hive once bound."""

    def __init__(self, node: Node, *, signals: bool = False) -> None:
        self.node = node
        self.signals = signals
        self.state = ServeState()
        self._server: HostedServer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(
        self, listener: socket.socket | None = None, ollama: socket.socket | None = None
    ) -> ServeState:
        """Serve in the background; returns once serving (or with ``state.problem`` set),
        never raising for a busy port. With ``ollama_port`` set, the same app (guard, limits
        and all) listens on that port as well."""
        settings = self.node.settings
        sock, self.state.problem = (listener, None) if listener else listen(settings)
        if sock is None:
            return self.state
        if ollama is None and settings.ollama_port is not None:
            ollama, self.state.problem = listen_ollama(settings)
            if ollama is None:
                sock.close()
                return self.state
        sockets = [sock] if ollama is None else [sock, ollama]
        config = uvicorn.Config(
            create_app(self.node),
            lifespan="off",
            access_log=False,
            # Hostile clients (README "A node you can leave running"): h11, whose framing rules
            # refuse a malformed request, with a deadline on each request's headers; at most
            # max_connections open (503 past it); header blocks up to 16 KiB.
            http=deadline_protocol(settings.header_timeout_s),
            limit_concurrency=settings.max_connections,
            timeout_keep_alive=KEEP_ALIVE_S,
            h11_max_incomplete_event_size=MAX_HEADER_BYTES,
            # SIGTERM: stop accepting, give in-flight requests shutdown_grace_s, then end them
            # (HostedServer.shutdown), which cancels their votes and so every worker's
            # generation. Past this (the swarm waits up to CANCEL_GRACE_S), uvicorn cancels.
            timeout_graceful_shutdown=math.ceil(settings.shutdown_grace_s + CANCEL_GRACE_S + 1),
            **({"log_level": settings.log_level} if self.signals else {"log_config": None}),
        )
        self._server = HostedServer(config, self.node, self.signals)
        self._task = asyncio.create_task(self._server.serve(sockets=sockets))
        while not self._server.started and not self._task.done():
            await asyncio.sleep(STARTED_POLL_S)
        if not self._server.started:
            self.state.problem = "the API server did not start (see the log)"
            return self.state
        self.state.url = _url(sock)
        self.state.ollama_url = _url(ollama) if ollama is not None else None
        port = sock.getsockname()[1]
        if settings.federation:
            federation = await self.node.join_federation(settings.host, port)
            self.state.pairing_code = federation.new_pairing_code
            self.state.federation = True
        return self.state

    async def wait(self) -> None:
        """Until the server exits (``hive --node``: a signal asked it to)."""
        if self._task is not None:
            await self._task

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

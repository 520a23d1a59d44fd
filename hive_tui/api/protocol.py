"""uvicorn's h11 protocol with a deadline on each request's headers (issue 16).

uvicorn closes a keep-alive connection that stays idle (``timeout_keep_alive``), but a new
connection that sends nothing, or a few header bytes now and then, is kept for ever: any
byte resets the idle timer, and no timer runs before the first request. Here every request's
headers must be complete within ``header_timeout_s`` of the connection opening (or of the
previous response ending); otherwise the connection is closed without an answer. The body
has its own deadline in the guard (``body_timeout_s``, 408), so a connection can never be
held longer than the two together, however slowly a client writes. Everything else, h11's
framing rules (one framing per message, a header block of at most
``h11_max_incomplete_event_size`` bytes) included, is uvicorn's and h11's own.
"""

from __future__ import annotations

import asyncio
import logging

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("hive.api")


class DeadlineH11Protocol(H11Protocol):
    header_timeout_s: float = 10.0
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()  # the next request's headers have the same time

    def handle_websocket_upgrade(self, event: h11.Request) -> None:
        self._disarm()
        super().handle_websocket_upgrade(event)

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._overdue)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _overdue(self) -> None:
        self._header_timer = None
        # IDLE: no complete request line and headers yet (a request being answered is past it).
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            log.debug("closed a connection: no request headers in %gs", self.header_timeout_s)
            self.transport.close()


def deadline_protocol(timeout_s: float) -> type[DeadlineH11Protocol]:
    """The protocol class for one server (uvicorn builds one instance per connection)."""
    return type("DeadlineH11Protocol", (DeadlineH11Protocol,), {"header_timeout_s": timeout_s})

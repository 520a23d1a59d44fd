"""Lending this node's memory to the hive (``hive --node --lend``).

A ggml RPC server runs in a child process (``backends/rpc_server_child``, crash-isolated like a
worker and restarted when it dies) bound to 127.0.0.1 only: it has no authentication at all
(CVE-2024-42479). Peers reach it only through the ``TunnelExit`` on the node's own address,
which runs the federation's handshake before a single byte reaches the server. The exit's port
and the memory offered travel in this node's ``PeerStatus`` (``lend_port``, ``lend_bytes``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time

from hive_tui.backends.rpc_server_child import command as rpc_server_command
from hive_tui.federation.rpc_tunnel import LOOPBACK, TunnelExit

log = logging.getLogger("hive.federation.lend")

START_TIMEOUT_S = 30.0
RESTART_DELAY_S = 1.0


def free_loopback_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


async def wait_listening(port: int, timeout_s: float) -> bool:
    """True once something accepts on 127.0.0.1:port (the server takes the next client)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.open_connection(LOOPBACK, port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
        return True
    return False


class Lender:
    def __init__(
        self, key: bytes, node_id: str, host: str, port: int = 0, threads: int = 1,
        offer_bytes: int = 0,
    ) -> None:
        self.key = key
        self.node_id = node_id
        self.host = host
        self.requested_port = port
        self.threads = threads
        self.offer_bytes = offer_bytes
        self.rpc_port = 0
        self.exit: TunnelExit | None = None
        self._child: asyncio.subprocess.Process | None = None
        self._watch: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def port(self) -> int:
        """The tunnel exit's port (0 until started)."""
        return self.exit.port if self.exit is not None else 0

    async def start(self) -> int:
        self.rpc_port = free_loopback_port()
        await self._spawn()
        self.exit = TunnelExit(self.key, self.node_id, self.rpc_port, self.host,
                               self.requested_port)
        port = await self.exit.start()
        self._watch = asyncio.create_task(self._supervise())
        log.info("lending: ggml RPC server on %s:%d, tunnel exit on %s:%d",
                 LOOPBACK, self.rpc_port, self.host, port)
        return port

    async def _spawn(self) -> None:
        self._child = await asyncio.create_subprocess_exec(
            *rpc_server_command(self.rpc_port, self.threads),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        if not await wait_listening(self.rpc_port, START_TIMEOUT_S):
            raise OSError(f"the ggml RPC server did not start on {LOOPBACK}:{self.rpc_port}")

    async def _supervise(self) -> None:
        """A crash in ggml ends the child, not the node: start another on the same port."""
        while not self._stopping and self._child is not None:
            code = await self._child.wait()
            if self._stopping:
                return
            log.warning("the ggml RPC server exited (%s); restarting it", code)
            await asyncio.sleep(RESTART_DELAY_S)
            try:
                await self._spawn()
            except OSError as exc:
                log.error("lending stopped: %s", exc)
                return

    async def stop(self) -> None:
        self._stopping = True
        if self.exit is not None:
            await self.exit.close()
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        child = self._child
        if child is not None and child.returncode is None:
            if child.stdin is not None:
                child.stdin.close()  # the child ends when its stdin does
            try:
                await asyncio.wait_for(child.wait(), 3.0)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    child.kill()
                await child.wait()

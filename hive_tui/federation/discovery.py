"""mDNS discovery with zeroconf: advertise this node as ``_hive._tcp.local.`` and browse for
others. Discovery only *proposes* addresses to the peer manager; every connection must still
pass the handshake before anything else is said.

Only a node bound to a non-loopback address takes part (advertising 127.0.0.1 to a LAN is
meaningless, and a node on loopback must send nothing to the network). Of two nodes that see
each other, the one with the smaller node id dials, so mDNS alone never makes duplicate links.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
from typing import TYPE_CHECKING

import ifaddr
import psutil
from zeroconf import InterfaceChoice, IPVersion, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from hive_tui import wire

if TYPE_CHECKING:
    from hive_tui.federation.local import LocalNode
    from hive_tui.federation.peers import PeerManager

log = logging.getLogger("hive.federation")

SERVICE_TYPE = "_hive._tcp.local."
RESOLVE_TIMEOUT_MS = 3000


def discovery_allowed(host: str) -> bool:
    if host in ("localhost", ""):
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True  # a hostname that is not localhost


def advertised_addresses(host: str) -> list[str]:
    """IPv4 addresses to advertise: the bound one, or every non-loopback one for 0.0.0.0."""
    if host not in ("0.0.0.0", "::"):
        with contextlib.suppress(OSError):
            return [socket.gethostbyname(host)]
        return []
    found = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if isinstance(ip.ip, str) and not ipaddress.ip_address(ip.ip).is_loopback:
                found.append(ip.ip)
    return found


def memory_summary() -> str:
    vm = psutil.virtual_memory()
    return f"{vm.available / 2**30:.1f}/{vm.total / 2**30:.1f} GiB free"


class Discovery:
    def __init__(self, node: LocalNode, peers: PeerManager, host: str, api_port: int) -> None:
        self.node = node
        self.peers = peers
        self.host = host
        self.api_port = api_port
        self.addresses = advertised_addresses(host)
        self._aiozc: AsyncZeroconf | None = None
        self._browser: AsyncServiceBrowser | None = None
        self._info: AsyncServiceInfo | None = None
        self._found: dict[str, tuple[str, int]] = {}  # service name -> (host, port)
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        node = self.node
        interfaces = InterfaceChoice.All if self.host in ("0.0.0.0", "::") else self.addresses
        self._aiozc = AsyncZeroconf(interfaces=interfaces, ip_version=IPVersion.V4Only)
        label = "".join(ch if ch.isalnum() or ch == "-" else "-" for ch in node.settings.node_name)
        instance = f"{label[:40]}-{node.node_id[-12:]}"
        self._info = AsyncServiceInfo(
            SERVICE_TYPE,
            f"{instance}.{SERVICE_TYPE}",
            parsed_addresses=self.addresses,
            port=self.api_port,
            server=f"hive-{node.node_id[-12:]}.local.",
            properties={
                "id": node.node_id,
                "name": node.settings.node_name[:60],
                "v": str(wire.PEER_PROTOCOL_VERSION),
                "port": str(self.api_port),
                "workers": str(node.plan.workers),
                "model": node.plan.model_name[:60],
                "mem": memory_summary(),
            },
        )
        await self._aiozc.async_register_service(self._info, allow_name_change=True)
        self._browser = AsyncServiceBrowser(
            self._aiozc.zeroconf, [SERVICE_TYPE], handlers=[self._on_change]
        )
        log.info("mDNS: advertising %s on %s", instance, ", ".join(self.addresses))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._browser is not None:
            await self._browser.async_cancel()
        if self._aiozc is not None:
            with contextlib.suppress(Exception):
                if self._info is not None:
                    await self._aiozc.async_unregister_service(self._info)
            await self._aiozc.async_close()

    def _on_change(
        self, zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
    ) -> None:
        if state_change is ServiceStateChange.Removed:
            found = self._found.pop(name, None)
            if found:
                self.peers.remove_target(*found)
            return
        task = asyncio.create_task(self._resolve(zeroconf, service_type, name))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _resolve(self, zeroconf: Zeroconf, service_type: str, name: str) -> None:
        info = AsyncServiceInfo(service_type, name)
        if not await info.async_request(zeroconf, RESOLVE_TIMEOUT_MS):
            return
        props = {
            k.decode(): (v or b"").decode(errors="replace") for k, v in info.properties.items()
        }
        peer_id = props.get("id", "")
        me = self.node.node_id
        addresses = info.parsed_addresses(IPVersion.V4Only)
        if not peer_id or peer_id == me or not addresses or info.port is None:
            return
        if props.get("v") != str(wire.PEER_PROTOCOL_VERSION):
            log.warning(
                "mDNS: %s speaks protocol %s, not %s",
                name,
                props.get("v"),
                wire.PEER_PROTOCOL_VERSION,
            )
            return
        log.info(
            "mDNS: found %s (%s) at %s:%s", props.get("name"), peer_id, addresses[0], info.port
        )
        if me < peer_id:  # the smaller id dials; the other side waits for it
            self._found[name] = (addresses[0], info.port)
            self.peers.add_target(addresses[0], info.port, "mdns", peer_id)

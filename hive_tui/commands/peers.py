"""``hive peers [--json]``: the peers of a running node, asked of its API (``/health``)."""

from __future__ import annotations

import argparse
import sys

import httpx
import msgspec

from hive_tui import wire


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    p = sub.add_parser("peers", help="list the peers of the running node")
    p.add_argument("--url", help="the node's API (default: http://HOST:PORT from the settings)")
    p.add_argument("--host", help="the node's host, as given to hive --node (default: settings)")
    p.add_argument("--port", type=int, help="the node's port, as given to hive --node "
                   "(default: settings, 8420)")
    p.add_argument("--json", action="store_true", help="print the peers as JSON")
    p.add_argument(
        "--pairing-code",
        action="store_true",
        help="print this machine's hive pairing code (the shared secret) and exit",
    )
    p.set_defaults(handler=run)


def _url(args: argparse.Namespace) -> str:
    if args.url:
        return str(args.url).rstrip("/")
    from hive_tui.config import load_settings

    s = load_settings({"host": args.host, "port": args.port})
    host = "127.0.0.1" if s.host in ("0.0.0.0", "::", "") else s.host
    return f"http://[{host}]:{s.port}" if ":" in host else f"http://{host}:{s.port}"


def _table(peers: list[wire.PeerView]) -> str:
    if not peers:
        return "no peers"
    cols = ("state", "node_id", "name", "address", "workers", "model", "detail")
    rows = []
    for p in peers:
        connected = p.state == "connected"
        workers = f"{p.workers_ready}/{p.workers}" if connected else ""
        detail = (
            f"{p.direction}, seen {p.last_seen_s} s ago" if connected else p.last_error or ""
        )
        rows.append([p.state, p.node_id or "", p.name, p.address, workers, p.model, detail])
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(cols)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(cols, widths, strict=True)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if args.pairing_code:
        from hive_tui.config import config_dir, load_settings
        from hive_tui.federation.identity import pairing_code, resolve_secret

        secret, _ = resolve_secret(load_settings().secret, config_dir())
        print(pairing_code(secret))
        return 0
    url = _url(args)
    from hive_tui.config import load_settings

    key = load_settings().api_key  # a node with a key shows its peers only with it
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        response = httpx.get(f"{url}/health", timeout=10, headers=headers)
        health = msgspec.json.decode(response.content, type=wire.NodeHealth)
    except (httpx.HTTPError, msgspec.DecodeError) as exc:
        print(f"hive: no node answering at {url} ({exc})", file=sys.stderr)
        return 1
    if args.json:
        print(msgspec.json.format(msgspec.json.encode(health.peers), indent=2).decode())
    else:
        print(_table(health.peers))
    return 0

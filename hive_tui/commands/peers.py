"""``hive peers [--json]``: the peers of a running node, asked of its API (``/health``)."""

from __future__ import annotations

import argparse
import json
import sys

import httpx


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    p = sub.add_parser("peers", help="list the peers of the running node")
    p.add_argument("--url", help="the node's API (default: http://HOST:PORT from the settings)")
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

    s = load_settings()
    host = "127.0.0.1" if s.host in ("0.0.0.0", "::", "") else s.host
    return f"http://{host}:{s.port}"


def _table(peers: list[dict[str, object]]) -> str:
    if not peers:
        return "no peers"
    cols = ("state", "node_id", "name", "address", "workers", "model", "detail")
    rows = []
    for p in peers:
        workers = (
            f"{p.get('workers_ready', 0)}/{p.get('workers', 0)}"
            if p["state"] == "connected"
            else ""
        )
        detail = (
            f"{p.get('direction', '')}, seen {p.get('last_seen_s')} s ago"
            if p["state"] == "connected"
            else str(p.get("last_error") or "")
        )
        rows.append(
            [str(p.get(c) or "") for c in cols[:4]] + [workers, str(p.get("model") or ""), detail]
        )
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
    try:
        health = httpx.get(f"{url}/health", timeout=10).json()
    except (httpx.HTTPError, ValueError) as exc:
        print(f"hive: no node answering at {url} ({exc})", file=sys.stderr)
        return 1
    peers = health.get("peers", [])
    if args.json:
        print(json.dumps(peers, indent=2))
    else:
        print(_table(peers))
    return 0

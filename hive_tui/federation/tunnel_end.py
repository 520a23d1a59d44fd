"""One end of the RPC tunnel as its own process: ``python -m hive_tui.federation.tunnel_end``.

``entrance --lender HOST:PORT`` or ``exit --rpc-port N [--host H] [--port P]``; the hive secret
comes from ``HIVE_SECRET`` (never argv, which other users can read in ``ps``). Prints the port
it listens on as one line, then carries connections until stdin closes (its parent is gone).
Benchmarks and tests use it to put each end in its own process, as on two machines.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from hive_tui.federation.identity import derive_key
from hive_tui.federation.rpc_tunnel import LOOPBACK, TunnelEntrance, TunnelExit


async def _serve(args: argparse.Namespace) -> None:
    key = derive_key(os.environ["HIVE_SECRET"])
    end: TunnelEntrance | TunnelExit
    if args.end == "entrance":
        host, _, port = args.lender.rpartition(":")
        end = TunnelEntrance(key, args.node_id, host, int(port))
    else:
        end = TunnelExit(key, args.node_id, args.rpc_port, args.host, args.port)
    print(await end.start(), flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes our stdin
    await end.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m hive_tui.federation.tunnel_end")
    ends = p.add_subparsers(dest="end", required=True)
    e = ends.add_parser("entrance")
    e.add_argument("--lender", required=True, help="HOST:PORT of the lender's tunnel exit")
    x = ends.add_parser("exit")
    x.add_argument("--rpc-port", dest="rpc_port", type=int, required=True)
    x.add_argument("--host", default=LOOPBACK)
    x.add_argument("--port", type=int, default=0)
    p.add_argument("--node-id", dest="node_id", default="tunnel")
    asyncio.run(_serve(p.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

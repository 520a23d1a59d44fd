"""``hive ask "PROMPT"``: answer once on stdout, for scripts; ``--json`` prints the vote too."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

import msgspec

from hive_tui import wire
from hive_tui.api.present import completion
from hive_tui.commands import ask_tools
from hive_tui.retrieval.grounding import cite, with_sources
from hive_tui.tools.runner import run_with_tools


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    p = sub.add_parser("ask", parents=[common], help="answer one prompt on stdout and exit")
    p.add_argument("prompt", help="the question (use - to read it from stdin)")
    p.add_argument("--system", help="a system message")
    p.add_argument("--max-tokens", type=int, default=None, help="token budget per worker")
    p.add_argument("--temperature", type=float, default=None)
    p.add_argument("--seed", type=int, default=None, help="make the whole vote reproducible")
    p.add_argument("--json", action="store_true", help="print the full response with the vote")
    p.add_argument("--kb", help="answer from this knowledge base (hive index add), citing it")
    ask_tools.add_flags(p)  # --tools, --workdir, --yes, --no-sandbox
    p.set_defaults(handler=run)


async def _ask(args: argparse.Namespace) -> int:
    from hive_tui.cli import settings_from
    from hive_tui.node import Node
    from hive_tui.node_plan import make_plan

    settings = settings_from(args)
    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    messages = [wire.ChatMessage("system", args.system)] if args.system else []
    messages.append(wire.ChatMessage("user", prompt))
    policy = ask_tools.policy_from(args, settings) if args.tools else None
    plan = make_plan(settings)
    node = Node(settings, plan)
    request = node.request(
        messages, seed=args.seed, temperature=args.temperature, max_tokens=args.max_tokens,
        kb=args.kb,
    )
    await node.start()
    try:
        if policy is not None:  # the built-in tool loop
            session = await run_with_tools(
                node.answer,
                request,
                policy,
                ask_tools.terminal_confirm(args.yes),
                on_step=ask_tools.report_step,
            )
            sys.stdout.write(session.answer.strip() + "\n")
            return 0
        result = await node.answer(request)
    finally:  # a SwarmError reaches cli.main, which prints it
        await node.stop()
    if args.json:
        body = completion(result, plan.model_name, int(time.time()))
        sys.stdout.write(msgspec.json.format(msgspec.json.encode(body)).decode() + "\n")
    elif result.passages:  # a grounded answer names its sources
        cited = cite(result.winner.text, result.passages)
        sys.stdout.write(with_sources(result.winner.text, cited) + "\n")
    else:
        sys.stdout.write(result.winner.text.strip() + "\n")
    return 0


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_ask(args))

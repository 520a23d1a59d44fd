"""``hive bench context``: does ``compress`` keep what ``truncate`` loses?

Facts are planted early in long conversations and long pasted notes (``context_cases``),
``ratio`` times a small context, and asked about at the end. Three arms in one run, on real
nodes: ``compress`` and ``truncate`` on workers with the small context, and a context large
enough to hold everything (policy ``error``, nothing cut) as the ceiling. A request that a
policy refuses (``truncate`` cannot cut a single long message) counts as a wrong answer.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from hive_tui import wire
from hive_tui.bench import context_cases as cases
from hive_tui.config import Settings
from hive_tui.errors import HiveError
from hive_tui.node import Node
from hive_tui.node_plan import make_plan, resolve_model
from hive_tui.swarm.token_count import prompt_tokens, text_counter

ARMS = ("compress", "truncate", "full")
MAX_TOKENS = 32


@dataclass
class ArmScore:
    right: int = 0
    asked: int = 0
    refused: int = 0
    wall_s: float = 0.0
    summary_votes: int = 0
    rows: list[dict[str, object]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.right / self.asked if self.asked else 0.0


@dataclass(frozen=True)
class Case:
    kind: str  # "conversation" | "document"
    fact: cases.Fact
    messages: list[wire.ChatMessage]
    tokens: int


def build_cases(
    model_path: str, n_ctx: int, ratio: float, conversations: int, documents: int, seed: int
) -> list[Case]:
    count, _exact = text_counter(model_path)
    target = int(n_ctx * ratio)
    built: list[Case] = []
    for i in range(conversations + documents):
        fact = cases.FACTS[i % len(cases.FACTS)]
        kind = "conversation" if i < conversations else "document"
        make = cases.conversation if kind == "conversation" else cases.document
        messages = make(fact, target, count, seed + i)
        built.append(Case(kind, fact, messages, prompt_tokens(messages, count)))
    return built


def _node(model: str, n_ctx: int, workers: int, threads: int, name: str) -> Node:
    settings = Settings(
        model=model, backend="llama", workers=workers, threads=threads, n_ctx=n_ctx,
        federation=False, node_name=name,
    )
    return Node(settings, make_plan(settings), node_id=name)


async def _ask(node: Node, case: Case, policy: str, seed: int, score: ArmScore) -> None:
    started = time.perf_counter()
    row: dict[str, object] = {"kind": case.kind, "fact": case.fact.answer, "tokens": case.tokens}
    try:
        request = node.request(case.messages, context=policy, max_tokens=MAX_TOKENS, seed=seed,
                               temperature=0.0)
        result = await node.answer(request)
    except HiveError as exc:  # the policy refused it (400): wrong, and said
        score.refused += 1
        row.update(answer=None, right=False, error=str(exc))
    else:
        right = cases.is_right(result.winner.text, case.fact)
        score.right += right
        report = result.context
        score.summary_votes += report.summary_votes if report else 0
        row.update(answer=result.winner.text.strip(), right=right,
                   report=None if report is None else report.note)
    score.asked += 1
    score.wall_s += time.perf_counter() - started
    score.rows.append(row)


async def _run_arm(node: Node, arm: str, built: list[Case], seed: int,
                   scores: dict[str, dict[str, ArmScore]]) -> None:
    policy = "error" if arm == "full" else arm
    for i, case in enumerate(built):
        await _ask(node, case, policy, seed + i, scores[arm][case.kind])
        row = scores[arm][case.kind].rows[-1]
        print(f"  {arm:9s} {case.kind:12s} {case.fact.answer:10s} "
              f"{'right' if row['right'] else 'wrong'}: {str(row.get('answer'))[:60]!r}",
              file=sys.stderr)


async def _measure(model: str, built: list[Case], n_ctx: int, full_ctx: int, workers: int,
                   threads: int, seed: int) -> dict[str, dict[str, ArmScore]]:
    scores = {arm: {"conversation": ArmScore(), "document": ArmScore()} for arm in ARMS}
    for ctx, arms in ((n_ctx, ("compress", "truncate")), (full_ctx, ("full",))):
        node = _node(model, ctx, workers, threads, f"bench-context-{ctx}")
        await node.start()
        try:
            for arm in arms:
                await _run_arm(node, arm, built, seed, scores)
        finally:
            await node.stop()
    return scores


def _table(scores: dict[str, dict[str, ArmScore]]) -> str:
    lines = ["| arm | conversations | documents | all | refused | s / case |",
             "|---|---|---|---|---|---|"]
    for arm in ARMS:
        c, d = scores[arm]["conversation"], scores[arm]["document"]
        right, asked = c.right + d.right, c.asked + d.asked
        per_case = (c.wall_s + d.wall_s) / max(1, asked)
        lines.append(f"| {arm} | {c.right}/{c.asked} | {d.right}/{d.asked} | "
                     f"{right}/{asked} ({right / max(1, asked):.0%}) | "
                     f"{c.refused + d.refused} | {per_case:.1f} |")
    return "\n".join(lines)


def run(model: str | None, n_ctx: int, ratio: float, conversations: int, documents: int,
        workers: int, threads: int, seed: int, out: Path | None) -> int:
    path, _name = resolve_model(model, "llama")
    built = build_cases(path, n_ctx, ratio, conversations, documents, seed)
    full_ctx = max(c.tokens for c in built) + MAX_TOKENS + 64
    print(f"{len(built)} cases of about {int(n_ctx * ratio)} tokens ({ratio:g} x a context of "
          f"{n_ctx}); the full arm's context: {full_ctx}; {workers} workers x {threads} "
          "thread", file=sys.stderr)
    started = time.perf_counter()
    scores = asyncio.run(_measure(path, built, n_ctx, full_ctx, workers, threads, seed))
    print(_table(scores))
    compress = sum(s.right for s in scores["compress"].values())
    truncate = sum(s.right for s in scores["truncate"].values())
    ratio_text = f"{compress / truncate:.1f}x" if truncate else "inf (truncate got none)"
    print(f"\ncompress / truncate, planted facts recalled: {compress} / {truncate} = "
          f"{ratio_text}; {time.perf_counter() - started:.0f} s in all")
    if out is not None:
        body = {arm: {kind: asdict(s) for kind, s in kinds.items()}
                for arm, kinds in scores.items()}
        out.write_text(json.dumps({"n_ctx": n_ctx, "ratio": ratio, "full_ctx": full_ctx,
                                   "scores": body}, indent=1))
    return 0

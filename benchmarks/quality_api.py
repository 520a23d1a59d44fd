"""The held-out check's protocol, run on the project's own test questions: a `hive --node` at its
defaults, asked through the `openai` client as a user would (seeded, N = the node's workers,
its temperature, min-p, token limit and early exit), against greedy decoding of one worker
(temperature 0, `hive.workers` 1) on the same node; scored by `hive bench quality`'s rules.

`hive bench quality` replays stored answers (docs/quality-run/answers.json); this asks the node
itself, so it also checks that the replay predicts what the API gives. For every question it
prints the vote, greedy and, where the stored answers hold the question, the replay's
expectation at the same N and the node's token limit.

Usage (from the repository root):
    python3 benchmarks/quality_api.py [--split test] [--style system] [--limit N] [--url URL]
        [--out FILE.json]
Without --url it starts `hive --node` with the embedded model and the node's own plan.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import msgspec
import numpy as np
import openai

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hive_tui.bench.quality.collect import messages, question_seed  # noqa: E402
from hive_tui.bench.quality.evaluate import evaluate, paired_ci  # noqa: E402
from hive_tui.bench.quality.scoring import is_correct  # noqa: E402
from hive_tui.bench.quality.store import AnswerStore  # noqa: E402
from hive_tui.bench.quality.tasks import FAMILIES  # noqa: E402
from hive_tui.bench.speculative import build_info  # noqa: E402
from hive_tui.consensus import STRATEGIES  # noqa: E402

STORE = Path(__file__).resolve().parent.parent / "docs" / "quality-run" / "answers.json"
STYLES = ("all", "system", "plain", "hint")


class Asked(msgspec.Struct):
    qid: str
    task: str
    style: str
    prompt: str
    vote: str
    vote_right: bool
    agree: int
    verdict: str
    candidates_right: list[bool]
    greedy: str
    greedy_right: bool
    vote_tokens: int
    greedy_tokens: int
    vote_s: float
    greedy_s: float
    replay: float | None  # the replay's expected accuracy at the same N, node-length answers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("dev", "test"), default="test")
    parser.add_argument("--style", choices=STYLES, default="all")
    parser.add_argument("--limit", type=int, default=0, help="at most this many questions")
    parser.add_argument("--url", help="a running node; else one is started")
    parser.add_argument("--answers", type=Path, default=STORE, help="the questions' store")
    parser.add_argument("--out", type=Path, help="write every question's result here (JSON)")
    args = parser.parse_args()

    store = AnswerStore.load(args.answers).split(args.split)
    picked = [
        a for a in store.questions if args.style in ("all", FAMILIES[a.task][0])
    ]
    if args.limit:
        picked = picked[: args.limit]
    print(build_info())

    node = None
    url = args.url
    if url is None:
        from tests.conftest import NodeProcess

        node = NodeProcess([])
        url = node.url
    try:
        health = _ready(url)
        n = len(health["workers"])
        print(f"node: {n} workers, strategy {health['strategy']}, model {health['model']}")
        replay = _replay(store, picked, n)
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, timeout=600)
        rows = [_ask(client, a, question_seed(store.seed, a.qid), replay) for a in picked]
    finally:
        if node is not None:
            node.stop()
    _report(rows, n)
    if args.out:
        args.out.write_bytes(msgspec.json.format(msgspec.json.encode(rows), indent=1))
    return 0


def _ready(url: str) -> dict:
    """The node's /health once every worker is ready (5 minutes at most)."""
    import httpx

    deadline = time.monotonic() + 300
    while True:
        health: dict = httpx.get(f"{url}/health", timeout=10).json()
        if health["workers"] and health["workers_ready"] >= len(health["workers"]):
            return health
        if time.monotonic() > deadline:
            raise TimeoutError(f"workers not ready: {health}")
        time.sleep(0.5)


def _replay(store: AnswerStore, picked: list, n: int) -> dict[str, float]:
    """Each question's expected accuracy in the replay: the default strategy at N = n over the
    stored samples finished at the node's length (``hive bench quality``'s own numbers)."""
    if n < 2 or n > min(len(a.samples) for a in store.questions):
        return {}
    kept = msgspec.structs.replace(store, questions=picked).at_full_length()
    ev = evaluate(kept, {"default": STRATEGIES["confidence"]}, ns=(1, n))
    return dict(zip(ev.qids, ev.results["default"][n].acc.tolist(), strict=True))


def _ask(client: openai.OpenAI, a, seed: int, replay: dict[str, float]) -> Asked:
    q = a.question()
    msgs = [{"role": m.role, "content": m.content} for m in messages(q)]
    started = time.perf_counter()
    voted = client.chat.completions.create(model="hive", messages=msgs, seed=seed)  # type: ignore[arg-type]
    vote_s = time.perf_counter() - started
    started = time.perf_counter()
    greedy = client.chat.completions.create(
        model="hive", messages=msgs, temperature=0, seed=seed,  # type: ignore[arg-type]
        extra_body={"hive": {"workers": 1}},
    )
    greedy_s = time.perf_counter() - started
    hive = voted.model_extra["hive"]  # type: ignore[index]
    vote_text = voted.choices[0].message.content or ""
    greedy_text = greedy.choices[0].message.content or ""
    row = Asked(
        a.qid, a.task, FAMILIES[a.task][0], a.prompt,
        vote_text, is_correct(q, vote_text), hive["agree_count"],
        hive["verdict"], [is_correct(q, c["text"]) for c in hive["candidates"]],
        greedy_text, is_correct(q, greedy_text),
        voted.usage.completion_tokens if voted.usage else 0,
        greedy.usage.completion_tokens if greedy.usage else 0,
        vote_s, greedy_s, replay.get(a.qid),
    )
    mark = {True: "right", False: "wrong"}
    print(f"{a.qid:14} vote {mark[row.vote_right]} ({row.agree} agree, {vote_s:4.1f} s) "
          f"greedy {mark[row.greedy_right]} ({greedy_s:4.1f} s)  {vote_text[:50]!r}", flush=True)
    return row


def _report(rows: list[Asked], n: int) -> None:
    if not rows:
        print("no questions")
        return
    vote = np.array([r.vote_right for r in rows], dtype=float)
    greedy = np.array([r.greedy_right for r in rows], dtype=float)
    single = np.array([np.mean(r.candidates_right) for r in rows])
    oracle = np.array([any(r.candidates_right) for r in rows], dtype=float)
    print(f"\n{len(rows)} questions through the API, N = {n}")
    print(f"vote {vote.mean():.3f}  greedy {greedy.mean():.3f}  one sample {single.mean():.3f}  "
          f"any of the N right {oracle.mean():.3f}")
    for name, base in (("greedy", greedy), ("one sample", single)):
        ci = paired_ci(vote, base)
        print(f"vote - {name}: {100 * ci.diff:+.1f} points "
              f"[{100 * ci.lo:+.1f}, {100 * ci.hi:+.1f}]")
    known = [r for r in rows if r.replay is not None]
    if known:
        api = np.mean([r.vote_right for r in known])
        expected = np.mean([r.replay for r in known])
        print(f"the replay expected {expected:.3f} on these {len(known)} questions; "
              f"the API gave {api:.3f}")
    wall = sum(r.vote_s for r in rows), sum(r.greedy_s for r in rows)
    tokens = sum(r.vote_tokens for r in rows), sum(r.greedy_tokens for r in rows)
    print(f"wall: votes {wall[0]:.0f} s, greedy {wall[1]:.0f} s (ratio {wall[0] / wall[1]:.2f}); "
          f"answer tokens: vote {tokens[0]}, greedy {tokens[1]}")
    for style in STYLES[1:]:
        sub = [r for r in rows if r.style == style]
        if sub:
            ci = paired_ci(np.array([r.vote_right for r in sub], dtype=float),
                           np.array([r.greedy_right for r in sub], dtype=float))
            print(f"  {style:6} {len(sub):3} questions: vote - greedy {100 * ci.diff:+.1f} "
                  f"[{100 * ci.lo:+.1f}, {100 * ci.hi:+.1f}]")
    for task in sorted({r.task for r in rows}):
        sub = [r for r in rows if r.task == task]
        print(f"  {task:10} {len(sub):3}  vote {np.mean([r.vote_right for r in sub]):.3f}  "
              f"greedy {np.mean([r.greedy_right for r in sub]):.3f}")


if __name__ == "__main__":
    raise SystemExit(main())

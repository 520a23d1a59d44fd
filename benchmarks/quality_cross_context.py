"""An experiment on stored `hive bench quality` answers: each answer read in every worker's context.

The default vote weighs each answer by the model's confidence in it, read where the worker wrote
it. This asks the model, for every answer word of the vote, how likely it was at the point where
*each* worker gave its own answer (the text before that worker's answer word, then the word,
teacher-forced with llama.cpp): the probability of an answer averaged over several paths to it,
not one. That mean is added to the default's score (weight 1, shares summing to 1) and the two
are compared on the same draws. Dev split only by default: nothing is chosen on test.

Usage (from the repository root; about 8 minutes per split and length on 2 cores):
    python3 benchmarks/quality_cross_context.py [--answers docs/quality-run/answers.json]
        [--split dev] [--full] [--n 5] [--draws 24]
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from pathlib import Path

import llama_cpp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hive_tui import wire  # noqa: E402
from hive_tui.backends.llama_engine import chat_formatter, render_prompt  # noqa: E402
from hive_tui.bench.quality.evaluate import paired_ci  # noqa: E402
from hive_tui.bench.quality.scoring import is_correct  # noqa: E402
from hive_tui.bench.quality.store import Answers, AnswerStore, Sample  # noqa: E402
from hive_tui.consensus import strategies  # noqa: E402
from hive_tui.consensus.answer_part import answer_part  # noqa: E402
from hive_tui.consensus.grouping import analyse  # noqa: E402
from hive_tui.embedded_model import embedded_model_path  # noqa: E402

# cross[i][j]: log-probability of sample j's answer word in sample i's context (None: either
# sample has no answer part).
Cross = list[list[float | None]]


def _log_softmax(row: np.ndarray) -> np.ndarray:
    row = np.asarray(row, dtype=np.float64)
    top = row.max()
    return row - top - math.log(np.exp(row - top).sum())


def cross_scores(llm: llama_cpp.Llama, fmt: object, ans: Answers, samples: list[Sample]) -> Cross:
    messages = [wire.ChatMessage("user", ans.prompt)]
    if ans.system:
        messages.insert(0, wire.ChatMessage("system", ans.system))
    prompt = llm.tokenize(render_prompt(fmt, messages).encode(), add_bos=False, special=True)
    contexts: list[tuple[str, str] | None] = []  # (text before the word's first token, its lead)
    words: list[str | None] = []
    for s in samples:
        part = answer_part(s.text, ans.prompt)
        if not part.spans or not s.token_ends:
            contexts.append(None)
            words.append(None)
            continue
        start, end = part.spans[0]
        token_starts = [0, *s.token_ends[:-1]]
        first = next(t for t, e in enumerate(s.token_ends) if e > start)
        contexts.append((s.text[: token_starts[first]], s.text[token_starts[first] : start]))
        words.append(s.text[start:end])
    cross: Cross = [[None] * len(samples) for _ in samples]
    for i, context in enumerate(contexts):
        if context is None:
            continue
        before, lead = context
        llm.reset()
        llm.eval(prompt + (llm.tokenize(before.encode(), add_bos=False) if before else []))
        base = llm.n_tokens
        first_row = _log_softmax(llm.scores[base - 1])
        for j, word in enumerate(words):
            if word is None:
                continue
            tokens = llm.tokenize((lead + word).encode(), add_bos=False)
            total = float(first_row[tokens[0]])
            if len(tokens) > 1:
                llm.n_tokens = base  # drop the previous word: the next eval overwrites its KV
                llm.eval(tokens)
                total += sum(
                    float(_log_softmax(llm.scores[base + m - 1])[tokens[m]])
                    for m in range(1, len(tokens))
                )
            cross[i][j] = total
    return cross


def vote_with_cross(cands: list, question: str, cross: Cross, draw: list[int]) -> int:
    """The default's MBR score plus the mean probability of each answer word across the
    draw's contexts (shares summing to 1)."""
    a = analyse(cands, question)
    pool = [i for i in range(a.n) if a.valid[i]]
    if not pool:
        return strategies.confidence(cands, question).winner
    # Without any confidence, plain similarity: equal weights, equal confidences.
    conf, weights = strategies.confidence_weights(
        a, cands, strategies.CONFIDENCE_SHARPNESS
    ) or ({i: 0.0 for i in pool}, {i: 1 / len(pool) for i in pool})
    base = {i: sum(weights[j] * a.sim[i][j] for j in pool) for i in pool}
    soft = {}
    for i in pool:
        seen = [cross[draw[k]][draw[i]] for k in range(len(draw))]
        probs = [math.exp(x) for x in seen if x is not None]
        soft[i] = sum(probs) / len(probs) if probs else 0.0
    total = sum(soft.values()) or 1.0
    return max(pool, key=lambda i: (round(base[i] + soft[i] / total, 9), conf[i]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=Path, default=Path("docs/quality-run/answers.json"))
    parser.add_argument("--split", default="dev")
    parser.add_argument("--full", action="store_true", help="answers finished at full length")
    parser.add_argument("--n", type=int, default=5)
    parser.add_argument("--draws", type=int, default=24)
    args = parser.parse_args()
    store = AnswerStore.load(args.answers).split(args.split)
    llm = llama_cpp.Llama(
        str(embedded_model_path()), n_ctx=1024, n_threads=1, n_threads_batch=1,
        logits_all=True, verbose=False,
    )
    fmt = chat_formatter(llm.metadata, llm._model)
    default, crossed = [], []
    for ans in store.questions:
        q = ans.question()
        indices = range(len(ans.samples))
        samples = [ans.full_sample(i) if args.full else ans.samples[i] for i in indices]
        cross = cross_scores(llm, fmt, ans, samples)
        right = [is_correct(q, s.text) for s in samples]
        rng = random.Random(f"cross:{ans.qid}:{args.n}")
        d_acc = c_acc = 0.0
        for _ in range(args.draws):
            draw = rng.sample(range(len(samples)), args.n)
            cands = [samples[i].candidate(k) for k, i in enumerate(draw)]
            d_acc += right[draw[strategies.confidence(cands, q.prompt).winner]] / args.draws
            c_acc += right[draw[vote_with_cross(cands, q.prompt, cross, draw)]] / args.draws
        default.append(d_acc)
        crossed.append(c_acc)
    d, c = np.array(default), np.array(crossed)
    ci = paired_ci(c, d)
    print(
        f"{args.split} split, N = {args.n}, {'full-length' if args.full else 'stored'} answers, "
        f"{len(d)} questions: default {d.mean():.3f}, with cross-context reading {c.mean():.3f} "
        f"({ci.diff * 100:+.1f} points [{ci.lo * 100:+.1f}, {ci.hi * 100:+.1f}])"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

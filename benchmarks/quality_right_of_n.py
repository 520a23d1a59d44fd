"""Where the vote loses: draws of N stored answers grouped by how many of them are right.

For each group (0 of N right, 1 of N, ...) it prints the share of draws, and how often the
default vote and the question's greedy answer are right there. Where most of the N are right
the vote should be too; where one or two are, agreement cannot find them and only a second
signal could. Reads `hive bench quality`'s stored answers; generates nothing.

Usage (from the repository root; about a minute):
    python3 benchmarks/quality_right_of_n.py [--answers docs/quality-run/answers.json]
        [--split dev] [--n 5] [--draws 24] [--system]
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hive_tui.bench.quality.evaluate import draws_for  # noqa: E402
from hive_tui.bench.quality.scoring import is_correct  # noqa: E402
from hive_tui.bench.quality.store import AnswerStore  # noqa: E402
from hive_tui.consensus import strategies  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=Path, default=Path("docs/quality-run/answers.json"))
    parser.add_argument("--split", default="dev", choices=("dev", "test"))
    parser.add_argument("--n", type=int, default=5)
    parser.add_argument("--draws", type=int, default=24)
    parser.add_argument("--system", action="store_true", help="only questions with a system prompt")
    args = parser.parse_args()
    store = AnswerStore.load(args.answers).split(args.split)
    draws: Counter[int] = Counter()
    vote_right: Counter[int] = Counter()
    greedy_right: Counter[int] = Counter()
    for answers in store.questions:
        question = answers.question()
        if args.system and not question.system:
            continue
        right = [is_correct(question, s.text) for s in answers.samples]
        greedy = is_correct(question, answers.greedy.text)
        # draws of N of the stored samples, as the benchmark's replay draws them (its
        # ``draws_for``), seeded by the question
        rng = random.Random(answers.qid)
        for drawn in draws_for(len(answers.samples), args.n, args.draws, rng):
            candidates = [answers.samples[i].candidate(slot) for slot, i in enumerate(drawn)]
            winner = strategies.confidence(candidates, question.prompt).winner
            k = sum(right[i] for i in drawn)
            draws[k] += 1
            vote_right[k] += right[drawn[winner]]
            greedy_right[k] += greedy
    total = sum(draws.values())
    only = ", system prompt only" if args.system else ""
    print(f"{args.split} split, N = {args.n}, {total} draws{only}")
    print(f"{'right of N':>10}  {'draws':>6}  {'vote':>6}  {'greedy':>6}")
    for k in sorted(draws):
        n = draws[k]
        print(f"{k:>10}  {n / total:6.1%}  {vote_right[k] / n:6.1%}  {greedy_right[k] / n:6.1%}")
    majority = [k for k in draws if 2 * k > args.n]
    lost = sum(draws[k] - vote_right[k] for k in majority) / total
    print(f"lost where a majority was right: {100 * lost:.1f} points")


if __name__ == "__main__":
    main()

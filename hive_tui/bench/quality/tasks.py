"""The benchmark's questions: four tasks with one checkable answer each, generated from a seed.

Every task is something the embedded 135M model gets right sometimes but not always, so that
voting has room to help: one-digit addition and multiplication, counting the items of a short
list, and world capitals (``capitals.py``). The same seed always gives the same questions.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from hive_tui.bench.quality.capitals import CAPITALS

TASKS = ("add", "multiply", "count", "capital")

_ITEMS = (
    "apple", "pear", "plum", "cherry", "banana", "grape", "lemon", "mango", "peach", "orange",
    "melon", "kiwi", "fig", "lime", "papaya", "apricot",
)  # fmt: skip


# Without it the 135M model explains arithmetic at length (40 tokens on average, a third cut
# off at 64), which costs time and buries the number; it still often ignores it.
_SHORT = "Answer with a number."


@dataclass(frozen=True, slots=True)
class Question:
    qid: str  # unique in a run, e.g. "add-07"
    task: str
    prompt: str
    answer: str  # canonical: digits for the numeric tasks, the capital's first spelling
    accepted: tuple[str, ...]  # every spelling scored as right


def _add(rng: random.Random) -> tuple[str, str]:
    a, b = rng.randint(1, 9), rng.randint(1, 9)
    return f"What is {a} + {b}? {_SHORT}", str(a + b)


def _multiply(rng: random.Random) -> tuple[str, str]:
    a, b = rng.randint(2, 9), rng.randint(2, 9)
    return f"What is {a} times {b}? {_SHORT}", str(a * b)


def _count(rng: random.Random) -> tuple[str, str]:
    n = rng.randint(2, 6)
    items = rng.sample(_ITEMS, n)
    return f"How many fruits are in this list: {', '.join(items)}? {_SHORT}", str(n)


def questions(n_per_task: int, seed: int = 0) -> list[Question]:
    """``n_per_task`` questions of every task; capitals are drawn without repeats (at most
    ``len(CAPITALS)`` of them), the arithmetic and counting ones may repeat by chance."""
    out: list[Question] = []
    makers = {"add": _add, "multiply": _multiply, "count": _count}
    for task in TASKS:
        rng = random.Random(f"hive-quality:{seed}:{task}")
        if task == "capital":
            countries = rng.sample(sorted(CAPITALS), min(n_per_task, len(CAPITALS)))
            for i, country in enumerate(countries):
                spellings = CAPITALS[country]
                out.append(
                    Question(
                        f"capital-{i:02d}",
                        task,
                        f"What is the capital of {country}?",
                        spellings[0],
                        spellings,
                    )
                )
            continue
        for i in range(n_per_task):
            prompt, answer = makers[task](rng)
            out.append(Question(f"{task}-{i:02d}", task, prompt, answer, (answer,)))
    return out

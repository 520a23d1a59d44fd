"""The benchmark's questions: twenty-one families with one checkable answer each, from a seed.

Every family is something the embedded 135M model gets right sometimes but not always, so that
voting has room to help. They are asked in three styles, so that no strategy can lean on one
answer format:

* ``hint``: the question says how to answer ("Answer with a number."), no system prompt;
* ``plain``: the bare question, no system prompt: answers come back as sentences that repeat
  the question's wording ("The capital of Peru is Lima.");
* ``system``: the bare question under a one-line system prompt ("Answer with just the
  answer."), the way a user of the API often asks.

Every question belongs to the ``dev`` or the ``test`` split by a hash of its text, the same for
every seed: strategies, measures and constants are chosen on dev; test is only reported.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass

from hive_tui.bench.quality.capitals import CAPITALS, DISTRACTORS
from hive_tui.bench.quality.facts import (
    BABY_ANIMALS,
    CONTINENTS,
    DAYS,
    ELEMENT_SYMBOLS,
    LANGUAGES,
    MONTHS,
    OPPOSITES,
    PLURALS,
    QUANTITIES,
)
from hive_tui.bench.quality.trivia import NATURE, PEOPLE, SCIENCE, WORLD

SYSTEM_PROMPT = "Answer with just the answer."

# Without it the 135M model explains arithmetic at length (40 tokens on average, a third cut
# off at 64), which costs time and buries the number; it still often ignores it.
_SHORT = "Answer with a number."

# family -> (style: "hint", "plain" or "system"; kind of answer: "number", "word",
# "verdict", "choice" or "symbol")
FAMILIES: dict[str, tuple[str, str]] = {
    "add": ("hint", "number"),
    "multiply": ("hint", "number"),
    "count": ("hint", "number"),
    "capital": ("plain", "word"),
    "subtract": ("plain", "number"),
    "language": ("plain", "word"),
    "plural": ("plain", "word"),
    "compare": ("system", "number"),
    "next": ("system", "word"),
    "continent": ("system", "word"),
    "opposite": ("system", "word"),
    "baby": ("system", "word"),
    "quantity": ("system", "number"),
    # Answered by one of the question's own words: yes or no, or an alternative it offers.
    "yesno": ("plain", "verdict"),
    "choice": ("system", "choice"),
    # Answered by a chemical symbol, as written ("O", "Au"), often a single capital letter.
    "symbol": ("system", "symbol"),
    # A question that holds a number but asks for a word ("What is the 3rd month ...?").
    "month": ("system", "word"),
    # General knowledge, thirty different questions each (``trivia.py``): no template.
    "science": ("system", "word"),
    "nature": ("system", "word"),
    "world": ("system", "word"),
    "people": ("system", "word"),
}
TASKS = tuple(FAMILIES)
SPLITS = ("dev", "test")
DEV_SHARE = 0.4

_ITEMS = (
    "apple", "pear", "plum", "cherry", "banana", "grape", "lemon", "mango", "peach", "orange",
    "melon", "kiwi", "fig", "lime", "papaya", "apricot",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Question:
    qid: str  # unique in a run, e.g. "add-07"
    task: str
    prompt: str
    answer: str  # canonical: digits for the numeric tasks, the word's first spelling
    accepted: tuple[str, ...]  # every spelling scored as right
    system: str = ""  # the system prompt it is asked under ("" for none)

    @property
    def split(self) -> str:
        return split_of(self.prompt)


def split_of(prompt: str) -> str:
    """``dev`` or ``test``, from the question's text alone (stable across seeds and runs)."""
    digest = hashlib.blake2b(f"hive-quality-split:{prompt}".encode(), digest_size=4).digest()
    return "dev" if int.from_bytes(digest, "big") / 2**32 < DEV_SHARE else "test"


Made = tuple[str, tuple[str, ...]]  # (question, accepted answers)


def _add(rng: random.Random) -> Made:
    a, b = rng.randint(1, 9), rng.randint(1, 9)
    return f"What is {a} + {b}? {_SHORT}", (str(a + b),)


def _multiply(rng: random.Random) -> Made:
    a, b = rng.randint(2, 9), rng.randint(2, 9)
    return f"What is {a} times {b}? {_SHORT}", (str(a * b),)


def _count(rng: random.Random) -> Made:
    n = rng.randint(2, 6)
    items = rng.sample(_ITEMS, n)
    return f"How many fruits are in this list: {', '.join(items)}? {_SHORT}", (str(n),)


def _subtract(rng: random.Random) -> Made:
    a = rng.randint(5, 20)
    b = rng.randint(1, a - 1)
    return f"What is {a} minus {b}?", (str(a - b),)


def _compare(rng: random.Random) -> Made:
    a, b = rng.sample(range(10, 100), 2)
    return f"Which number is bigger: {a} or {b}?", (str(max(a, b)),)


def _continent_names() -> list[str]:
    return sorted({names[0] for names in CONTINENTS.values()})


def _yes_no(rng: random.Random) -> Made:
    """"Is Lima the capital of Peru?" or "Is Kenya in Asia?", true half the time."""
    true = rng.random() < 0.5
    if rng.random() < 0.5:
        country = rng.choice(sorted(CAPITALS))
        other = rng.choice([c for c in sorted(CAPITALS) if c != country])
        city = CAPITALS[country if true else other][0]
        prompt = f"Is {city} the capital of {country}?"
    else:
        country = rng.choice(sorted(CONTINENTS))
        right = CONTINENTS[country][0]
        named = right if true else rng.choice([c for c in _continent_names() if c != right])
        prompt = f"Is {country} in {named}?"
    return prompt, ("yes",) if true else ("no",)


def _choice(rng: random.Random) -> Made:
    """"Which is the capital of Peru, Lima or Cusco?", the right one first half the time."""
    kind = rng.randrange(3)
    if kind == 0:
        country = rng.choice(sorted(CAPITALS))
        accepted = CAPITALS[country]
        cities = (*DISTRACTORS, *(v[0] for v in CAPITALS.values()))
        others = [c for c in cities if c not in accepted]
        stem, wrong = f"Which is the capital of {country}", rng.choice(others)
    elif kind == 1:
        country = rng.choice(sorted(CONTINENTS))
        accepted = CONTINENTS[country][:1]
        wrong = rng.choice([c for c in _continent_names() if c != accepted[0]])
        stem = f"Which continent is {country} in"
    else:
        # "-s" is the wrong plural to offer: of the irregular ones ("mouse", not "bus").
        word = rng.choice(sorted(w for w, forms in PLURALS.items() if not w.endswith("s")
                                 and f"{w}s" not in forms))
        accepted, wrong = PLURALS[word], f"{word}s"
        stem = f"Which is the plural of {word}"
    a, b = (accepted[0], wrong) if rng.random() < 0.5 else (wrong, accepted[0])
    return f"{stem}, {a} or {b}?", accepted


_GENERATED: dict[str, Callable[[random.Random], Made]] = {
    "add": _add,
    "multiply": _multiply,
    "count": _count,
    "subtract": _subtract,
    "compare": _compare,
    "yesno": _yes_no,
    "choice": _choice,
}


def _next_items() -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {
        f"What day of the week comes after {d}?": (DAYS[(i + 1) % 7],) for i, d in enumerate(DAYS)
    }
    for i, m in enumerate(MONTHS):
        out[f"What month comes after {m}?"] = (MONTHS[(i + 1) % 12],)
    return out


def table_items() -> dict[str, dict[str, tuple[str, ...]]]:
    """family -> question -> accepted answers, for the families asked from a table."""
    return {
        "capital": {f"What is the capital of {c}?": s for c, s in CAPITALS.items()},
        "language": {f"What language do people speak in {c}?": s for c, s in LANGUAGES.items()},
        "plural": {f"What is the plural of {w}?": s for w, s in PLURALS.items()},
        "next": _next_items(),
        "continent": {f"Which continent is {c} in?": s for c, s in CONTINENTS.items()},
        "opposite": {f"What is the opposite of {w}?": s for w, s in OPPOSITES.items()},
        "baby": {f"What is a baby {a} called?": s for a, s in BABY_ANIMALS.items()},
        "quantity": {q: (str(n),) for q, n in QUANTITIES.items()},
        "symbol": {
            f"What is the chemical symbol for {e}?": (s,) for e, s in ELEMENT_SYMBOLS.items()
        },
        "month": {f"What is the {_ordinal(i + 1)} month of the year?": (m,)
                  for i, m in enumerate(MONTHS)},
        "science": SCIENCE,
        "nature": NATURE,
        "world": WORLD,
        "people": PEOPLE,
    }


def _ordinal(n: int) -> str:
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(n if n < 20 else n % 10, "th")
    return f"{n}{suffix}"


def questions(
    n_per_task: int, seed: int = 0, tasks: tuple[str, ...] = TASKS, split: str | None = None
) -> list[Question]:
    """``n_per_task`` questions of every family (table families: at most their table's size,
    drawn without repeats; generated ones may repeat by chance), optionally of one split."""
    out: list[Question] = []
    tables = table_items()
    for task in tasks:
        style, _ = FAMILIES[task]
        system = SYSTEM_PROMPT if style == "system" else ""
        rng = random.Random(f"hive-quality:{seed}:{task}")
        if task in tables:
            table = tables[task]
            picked = rng.sample(sorted(table), min(n_per_task, len(table)))
            made: list[Made] = [(q, table[q]) for q in picked]
        else:
            made = [_GENERATED[task](rng) for _ in range(n_per_task)]
        for i, (prompt, accepted) in enumerate(made):
            q = Question(f"{task}-{i:02d}", task, prompt, accepted[0], accepted, system)
            if split is None or q.split == split:
                out.append(q)
    return out

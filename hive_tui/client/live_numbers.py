"""Worker numbers while an answer streams, from the core's token events.

A worker's status (``wire.WorkerStatus``) says its speed and token count once an answer is
done. Between, the app counts the ``TokenEvent``s it receives: per worker, the tokens of the
answer in progress and when its first one came, so the workers pane can show a running total
and the answer's tokens/s as they grow. The pane reads these at its own pace (twice a second):
nothing here is tied to the event rate, and nothing here imports Textual.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from hive_tui import wire


@dataclass
class _Answer:
    first_token_at: float
    last_token_at: float
    tokens: int = 0


@dataclass(frozen=True)
class Numbers:
    """What a worker card shows: the answer's speed (or the last answer's) and the running
    total of tokens the worker generated."""

    tokens_per_s: float
    tokens_total: int
    live: bool  # an answer is streaming: the speed is the answer's so far


@dataclass
class LiveNumbers:
    _answers: dict[str, _Answer] = field(default_factory=dict)
    _window: Counter[str] = field(default_factory=Counter)  # tokens since the last sample

    def token(self, worker_id: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        answer = self._answers.get(worker_id)
        if answer is None:
            answer = self._answers[worker_id] = _Answer(now, now)
        answer.tokens += 1
        answer.last_token_at = now
        self._window[worker_id] += 1

    def status(self, status: wire.WorkerStatus) -> None:
        """A worker that is no longer generating has its numbers in its status now."""
        if status.state != "generating":
            self._answers.pop(status.worker_id, None)

    def numbers(self, status: wire.WorkerStatus, now: float | None = None) -> Numbers:
        answer = self._answers.get(status.worker_id)
        if answer is None or status.state != "generating":
            return Numbers(status.tokens_per_s, status.tokens_total, live=False)
        now = time.monotonic() if now is None else now
        # As the node measures an answer's speed: the tokens after the first, over the time
        # since the first (the first token's wait is the ttft, not decoding).
        elapsed = now - answer.first_token_at
        rate = (answer.tokens - 1) / elapsed if answer.tokens > 1 and elapsed > 0 else 0.0
        return Numbers(rate, status.tokens_total + answer.tokens, live=True)

    def take_rates(self, elapsed_s: float) -> dict[str, float]:
        """Tokens/s per worker since the last call (the sparklines' samples)."""
        elapsed_s = max(elapsed_s, 1e-3)
        rates = {w: n / elapsed_s for w, n in self._window.items()}
        self._window.clear()
        return rates

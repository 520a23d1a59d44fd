"""A batch host for engine tests (``hive_tui.backends.engine.BatchHost``: what the worker child
offers an engine serving several slots), shared by the batched, prefix-cache and scripted
engine tests."""

from __future__ import annotations

from hive_tui import wire


class Host:
    """Collects what the engine streams, and the order in which slots first speak; cancels or
    hands over requests on cue. A failed request raises ``AssertionError`` at once, unless
    ``record_failures``: then its message is kept in ``failures`` for the test to check."""

    def __init__(self, cancel_after: dict[int, int] | None = None,
                 late: list[wire.Generate] | None = None, late_after: int = 3,
                 record_failures: bool = False) -> None:
        self.streamed: dict[int, str] = {}
        self.chunks: dict[int, int] = {}
        self.order: list[int] = []
        self.results: dict[int, wire.Done] = {}
        self.failures: list[str] = []
        self._record_failures = record_failures
        self._cancel_after = cancel_after or {}
        self._late = list(late or [])
        self._late_after = late_after
        self._admit_calls = 0

    def token(self, req: wire.Generate, text: str) -> None:
        if req.slot not in self.order:
            self.order.append(req.slot)
        self.streamed[req.slot] = self.streamed.get(req.slot, "") + text
        self.chunks[req.slot] = self.chunks.get(req.slot, 0) + 1

    def done(self, done: wire.Done) -> None:
        self.results[done.slot] = done

    def failed(self, req: wire.Generate, message: str) -> None:
        if not self._record_failures:
            raise AssertionError(message)
        self.failures.append(message)

    def cancelled(self, req: wire.Generate) -> bool:
        after = self._cancel_after.get(req.slot)
        return after is not None and self.chunks.get(req.slot, 0) >= after

    def admit(self, free: int) -> list[wire.Generate]:
        self._admit_calls += 1
        if self._admit_calls >= self._late_after and self._late:
            taken, self._late = self._late[:free], self._late[free:]
            return taken
        return []

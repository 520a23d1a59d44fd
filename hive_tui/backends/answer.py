"""The text side of one answer, the same for every engine: pieces go through the stop-string
scanner, the first released piece sets the time to first token, and the end builds ``Done``."""

from __future__ import annotations

import time

from hive_tui import wire
from hive_tui.backends.engine import EmitText
from hive_tui.backends.stops import StopScanner


class AnswerStream:
    def __init__(self, request: wire.Generate, emit: EmitText, started: float) -> None:
        self.request = request
        self._emit = emit
        self.started = started
        self.scanner = StopScanner(list(request.params.stop))
        self.ttft = 0.0
        self.ends: list[int] = []  # raw text length after each token
        self._raw = 0

    @property
    def stopped(self) -> bool:
        """A stop string was generated: the engine should stop decoding."""
        return self.scanner.stopped

    def push(self, piece: str) -> None:
        self._raw += len(piece)
        self.ends.append(self._raw)
        released = self.scanner.feed(piece)
        if released:
            if not self.ttft:
                self.ttft = time.perf_counter() - self.started
            self._emit(released)

    def done(
        self,
        finish: str,
        *,
        prompt_tokens: int,
        completion_tokens: int,
        mean_logprob: float | None,
        tail: str = "",
        logprob_s: float = 0.0,
        token_logprobs: list[float] | None = None,
        cached_tokens: int = 0,
    ) -> wire.Done:
        """Release what was held back (plus ``tail``, the decoder's last bytes) and finish."""
        rest = self.scanner.feed(tail) + self.scanner.flush()
        if rest:
            self._emit(rest)
        return wire.Done(
            request_id=self.request.request_id,
            text=self.scanner.text,
            finish_reason=finish,
            prompt_tokens=prompt_tokens,
            cached_tokens=cached_tokens,
            stop_sequence=self.scanner.matched,
            completion_tokens=completion_tokens,
            ttft_s=self.ttft,
            gen_s=time.perf_counter() - self.started,
            mean_logprob=mean_logprob,
            slot=self.request.slot,
            logprob_s=logprob_s,
            token_logprobs=token_logprobs or [],
            token_ends=self.ends[: len(token_logprobs)] if token_logprobs else [],
        )

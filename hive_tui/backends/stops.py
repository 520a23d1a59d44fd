"""Stop strings over a token stream, free of I/O so every engine shares the same rules.

Text that might be the start of a stop string is held back until the next piece shows whether
it is one, so a client never sees half of a stop string streamed and then taken back.
"""

from __future__ import annotations


class StopScanner:
    def __init__(self, stops: list[str]) -> None:
        self._stops = [s for s in stops if s]
        self._pending = ""
        self.text = ""  # everything released so far
        self.stopped = False
        self.matched: str | None = None  # the stop string that ended the text, once one did

    def feed(self, piece: str) -> str:
        """Add generated text; return the part that is now safe to stream."""
        if self.stopped:
            return ""
        buffer = self._pending + piece
        cut = self._first_stop(buffer)
        if cut is not None:
            self.stopped = True
            self.matched = min((s for s in self._stops if buffer.find(s) == cut), key=len)
            self._pending = ""
            return self._release(buffer[:cut])
        hold = self._longest_stop_prefix_suffix(buffer)
        self._pending = buffer[len(buffer) - hold :] if hold else ""
        return self._release(buffer[: len(buffer) - hold])

    def flush(self) -> str:
        """End of generation: whatever was held back is plain text after all."""
        rest, self._pending = self._pending, ""
        return self._release(rest) if not self.stopped else ""

    def _release(self, text: str) -> str:
        self.text += text
        return text

    def _first_stop(self, buffer: str) -> int | None:
        hits = [i for s in self._stops if (i := buffer.find(s)) >= 0]
        return min(hits) if hits else None

    def _longest_stop_prefix_suffix(self, buffer: str) -> int:
        best = 0
        for stop in self._stops:
            for n in range(min(len(stop) - 1, len(buffer)), best, -1):
                if buffer.endswith(stop[:n]):
                    best = n
                    break
        return best

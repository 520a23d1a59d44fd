"""The one small interface every backend implements, inside its worker child process.

A node never calls an engine directly: it talks to a child process in ``wire`` frames, and the
child (``hive_tui.backends.child``) drives an engine. So a crash in native code (llama.cpp, MLX)
takes down one child, never the node.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from hive_tui.errors import HiveError
from hive_tui.wire import Done, Generate, Load, Ready

# Called by an engine for each piece of streamed text.
EmitText = Callable[[str], None]
# Polled by an engine between tokens; True once the request was cancelled.
IsCancelled = Callable[[], bool]


class Engine(Protocol):
    name: str

    def load(self, spec: Load) -> Ready: ...

    def generate(self, request: Generate, emit: EmitText, cancelled: IsCancelled) -> Done: ...


class BatchHost(Protocol):
    """What the child offers an engine that serves several sequence slots at once."""

    def token(self, request: Generate, text: str) -> None: ...

    def done(self, done: Done) -> None: ...

    def failed(self, request: Generate, message: str) -> None: ...

    def cancelled(self, request: Generate) -> bool: ...

    def admit(self, free: int) -> list[Generate]:
        """Up to ``free`` requests that arrived since the last call; never blocks."""
        ...


@runtime_checkable
class BatchEngine(Engine, Protocol):
    """An engine whose ``load`` may answer ``Ready.slots`` > 1: the child then hands it every
    request that arrived together, and new ones between decode steps, through ``run_batch``."""

    def run_batch(self, requests: list[Generate], host: BatchHost) -> None:
        """Serve ``requests`` and whatever ``host.admit`` hands over until every slot is idle."""
        ...


# backend name -> "module:Class" of its engine, imported only inside the child.
ENGINES: dict[str, str] = {
    "llama": "hive_tui.backends.llama_engine:LlamaEngine",
    "mlx": "hive_tui.backends.mlx_engine:MlxEngine",
    # K sequence slots over one copy of the weights; the node picks it when a process has K > 1.
    "llama-batched": "hive_tui.backends.batched_engine:BatchedLlamaEngine",
    "scripted": "hive_tui.backends.scripted_engine:ScriptedEngine",
}


class BackendUnavailable(HiveError, RuntimeError):
    """The backend's library is not installed here; the message says how to install it."""


def load_engine_class(backend: str) -> type[Engine]:
    try:
        target = ENGINES[backend]
    except KeyError:
        raise BackendUnavailable(
            f"unknown backend {backend!r}; known: {', '.join(sorted(ENGINES))}"
        ) from None
    module_name, _, class_name = target.partition(":")
    module = importlib.import_module(module_name)
    cls: type[Engine] = getattr(module, class_name)
    return cls


class SingleRequestHost:
    """Adapts the one-request Engine call (emit, cancelled) to a batch engine's host, so a
    batch engine serves ``Engine.generate`` through its own loop."""

    def __init__(self, emit: EmitText, cancelled: IsCancelled) -> None:
        self._emit = emit
        self._cancelled = cancelled
        self.result: Done | None = None
        self.error: str | None = None

    def token(self, request: Generate, text: str) -> None:
        self._emit(text)

    def done(self, done: Done) -> None:
        self.result = done

    def failed(self, request: Generate, message: str) -> None:
        self.error = message

    def cancelled(self, request: Generate) -> bool:
        return self._cancelled()

    def admit(self, free: int) -> list[Generate]:
        return []

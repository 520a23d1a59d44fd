"""A scripted engine for tests of timing, faults and the UI: never a stand-in for a real model.

The Load frame's ``model_path`` names a JSON script (or is empty for the default script):

    {"answers": ["Paris.", "Paris", "London"],   # worker i answers answers[i % len]
     "token_delay_s": 0.01,                       # pause between streamed words
     "load_delay_s": 0.0,
     "crash_after_tokens": null,                  # os._exit mid-answer, like a native crash
     "crash_workers": [0]}                         # which worker indices crash (default: all)

``{last_user}`` in an answer is replaced by the last user message. The worker index comes from
``HIVE_WORKER_INDEX``, which the node sets for every child it spawns.
"""

from __future__ import annotations

import json
import os
import re
import time

import msgspec

from hive_tui import wire
from hive_tui.backends.engine import EmitText, IsCancelled
from hive_tui.backends.stops import StopScanner


class Script(msgspec.Struct, frozen=True):
    answers: list[str] = msgspec.field(default_factory=lambda: ["The capital of France is Paris."])
    token_delay_s: float = 0.0
    load_delay_s: float = 0.0
    crash_after_tokens: int | None = None
    crash_workers: list[int] | None = None


class ScriptedEngine:
    name = "scripted"

    def __init__(self) -> None:
        self.script = Script()
        self.index = int(os.environ.get("HIVE_WORKER_INDEX", "0"))

    def load(self, spec: wire.Load) -> wire.Ready:
        if spec.model_path:
            with open(spec.model_path, "rb") as f:
                self.script = msgspec.json.decode(f.read(), type=Script)
        time.sleep(self.script.load_delay_s)
        return wire.Ready(
            backend=self.name,
            model="scripted",
            n_ctx=spec.n_ctx,
            slots=1,
            pid=os.getpid(),
            load_s=0.0,
        )

    def generate(self, request: wire.Generate, emit: EmitText, cancelled: IsCancelled) -> wire.Done:
        started = time.perf_counter()
        script = self.script
        last_user = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
        answer = script.answers[self.index % len(script.answers)].replace("{last_user}", last_user)
        words = re.findall(r"\S+\s*|\s+", answer)
        crashes = script.crash_after_tokens is not None and (
            script.crash_workers is None or self.index in script.crash_workers
        )
        scanner = StopScanner(list(request.params.stop))
        finish, produced, ttft = "stop", 0, 0.0
        for word in words:
            if cancelled():
                finish = "cancelled"
                break
            if produced >= request.params.max_tokens:
                finish = "length"
                break
            if crashes and produced >= (script.crash_after_tokens or 0):
                os._exit(70)
            time.sleep(script.token_delay_s)
            produced += 1
            released = scanner.feed(word)
            if released:
                ttft = ttft or time.perf_counter() - started
                emit(released)
            if scanner.stopped:
                break
        if rest := scanner.flush():
            emit(rest)
        return wire.Done(
            request_id=request.request_id,
            text=scanner.text,
            finish_reason=finish,
            prompt_tokens=sum(len(m.content.split()) for m in request.messages),
            completion_tokens=produced,
            ttft_s=ttft,
            gen_s=time.perf_counter() - started,
            mean_logprob=-0.1 * (1 + self.index) if request.logprobs else None,
            slot=request.slot,
        )


def write_script(path: str, **fields: object) -> str:
    """Helper for tests and benchmarks: write a script file and return its path."""
    with open(path, "w") as f:
        json.dump(msgspec.to_builtins(Script(**fields)), f)  # type: ignore[arg-type]
    return path

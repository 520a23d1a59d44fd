"""A scripted engine for tests of timing, faults and the UI: never a stand-in for a real model.

The Load frame's ``model_path`` names a JSON script (or is empty for the default script):

    {"answers": ["Paris.", "Paris", "London"],   # worker i answers answers[i % len]
     "token_delay_s": 0.01,                       # pause between streamed words
     "load_delay_s": 0.0,
     "start_delay_s": [0, 1.0],                   # worker i waits [i % len] before its first word
     "crash_after_tokens": null,                  # os._exit mid-answer, like a native crash
     "crash_workers": [0],                         # which worker indices crash (default: all)
     "after_tool_answers": ["Done."]}              # used when the last message is a tool result

``{last_user}`` in an answer is replaced by the last user message. The worker index comes from
``HIVE_WORKER_INDEX``, which the node sets for every child it spawns (for a process of several
slots, its first worker's index: slot j answers as worker index + j). With several slots the
engine streams one word per active slot per step, like batched decoding.
"""

from __future__ import annotations

import json
import os
import re
import time
from typing import Any

import msgspec

from hive_tui import wire
from hive_tui.backends.answer import AnswerStream
from hive_tui.backends.engine import BatchHost, EmitText, IsCancelled


class Script(msgspec.Struct, frozen=True):
    answers: list[str] = msgspec.field(default_factory=lambda: ["The capital of France is Paris."])
    token_delay_s: float = 0.0
    load_delay_s: float = 0.0
    # A head start for some workers, so a test can fix who speaks first (the chat streams the
    # first speaker's draft) instead of leaving it to a race between processes.
    start_delay_s: list[float] = []
    crash_after_tokens: int | None = None
    crash_workers: list[int] | None = None
    after_tool_answers: list[str] = []  # answers once a tool result came back


class ScriptedEngine:
    name = "scripted"

    def __init__(self) -> None:
        self.script = Script()
        self.index = int(os.environ.get("HIVE_WORKER_INDEX", "0"))
        self.slots = 1

    def load(self, spec: wire.Load) -> wire.Ready:
        if spec.model_path:
            with open(spec.model_path, "rb") as f:
                data = f.read()
            try:
                self.script = msgspec.json.decode(data, type=Script)
            except msgspec.DecodeError as exc:
                raise ValueError(f"the scripted backend (for tests) reads a JSON script as its "
                                 f"--model; {spec.model_path} is not one ({exc})") from None
        time.sleep(self.script.load_delay_s)
        self.slots = spec.slots
        return wire.Ready(backend=self.name, model="scripted", n_ctx=spec.n_ctx,
                          slots=spec.slots, pid=os.getpid(), load_s=0.0)

    def generate(self, request: wire.Generate, emit: EmitText, cancelled: IsCancelled) -> wire.Done:
        answer = _Answer(self, request, emit)
        while (done := answer.step(cancelled())) is None:
            pass
        return done

    def run_batch(self, requests: list[wire.Generate], host: BatchHost) -> None:
        def answer_for(request: wire.Generate) -> _Answer:
            return _Answer(self, request, lambda text: host.token(request, text))

        active = [answer_for(r) for r in requests]
        while active:
            for answer in list(active):
                done = answer.step(host.cancelled(answer.request), delay=False)
                if done is not None:
                    active.remove(answer)
                    host.done(done)
            time.sleep(self.script.token_delay_s)  # one "decode step" for every slot
            active += [answer_for(r) for r in host.admit(self.slots - len(active))]


class _Answer:
    """One scripted answer, produced a word per step."""

    def __init__(self, engine: ScriptedEngine, request: wire.Generate, emit: EmitText) -> None:
        script = engine.script
        self.request = request
        self.index = engine.index + request.slot
        last_user = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
        answers = script.answers
        if script.after_tool_answers and request.messages and request.messages[-1].role == "tool":
            answers = script.after_tool_answers
        answer = answers[self.index % len(answers)].replace("{last_user}", last_user)
        self.words = re.findall(r"\S+\s*|\s+", answer)
        self.crashes = script.crash_after_tokens is not None and (
            script.crash_workers is None or self.index in script.crash_workers
        )
        self.script = script
        self.stream = AnswerStream(request, emit, time.perf_counter())
        self.produced = 0
        wait = script.start_delay_s[self.index % len(script.start_delay_s)] \
            if script.start_delay_s else 0.0
        self.first_word_at = time.monotonic() + wait

    def step(self, cancelled: bool, delay: bool = True) -> wire.Done | None:
        if cancelled:
            return self._done("cancelled")
        if self.produced >= len(self.words):
            return self._done("stop")
        if self.produced >= self.request.params.max_tokens:
            return self._done("length")
        if self.crashes and self.produced >= (self.script.crash_after_tokens or 0):
            os._exit(70)
        if self.produced == 0 and (wait := self.first_word_at - time.monotonic()) > 0:
            if not delay:
                return None  # batched: this slot sits out decode steps until its start
            time.sleep(wait)
        if delay:
            time.sleep(self.script.token_delay_s)
        self.stream.push(self.words[self.produced])
        self.produced += 1
        return self._done("stop") if self.stream.stopped else None

    def _done(self, finish: str) -> wire.Done:
        return self.stream.done(
            finish,
            prompt_tokens=sum(len(m.content.split()) for m in self.request.messages),
            completion_tokens=self.produced,
            mean_logprob=-0.1 * (1 + self.index) if self.request.logprobs else None,
        )


def write_script(path: str, **fields: Any) -> str:
    """Helper for tests and benchmarks: write a script file and return its path."""
    with open(path, "w") as f:
        json.dump(msgspec.to_builtins(Script(**fields)), f)
    return path

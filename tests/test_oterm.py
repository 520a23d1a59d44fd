"""oterm (a Textual chat client for Ollama, from PyPI) driven in tmux against `hive --node`:
create a chat with the hive model, ask, and find the answer on oterm's screen.

oterm lists models with Ollama's ``/api/tags``, reads a model's parameters with ``/api/show``
and chats through the OpenAI-compatible route on the same host, all with the API key it is
given (``OLLAMA_API_KEY``). The node's workers are scripted, so the answer is known and the
test reads it off the screen exactly. Every wait polls ``tmux capture-pane`` until a
generous deadline; nothing is timed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from hive_tui import wire
from hive_tui.backends.scripted_engine import write_script

pytestmark = pytest.mark.process

KEY = "oterm-test-key"
ANSWER = "The hive says forty-two."
DEADLINE_S = 90.0
# How the test sees where the focus is: Textual draws the focused button reversed (SGR 7),
# and an empty focused input its cursor on the placeholder's first letter.
FOCUSED_SAVE = re.compile(r"\x1b\[(?:\d+;)*7m(?:\x1b\[[\d;]*m)*\s*Save\b")
FOCUSED_MODEL_NAME = re.compile(r"T(?:\x1b\[[\d;]*m)+ype model name")


def oterm_command() -> str | None:
    beside = Path(sys.executable).parent / "oterm"  # installed with this interpreter
    return str(beside) if beside.exists() else shutil.which("oterm")


class Tmux:
    """One detached tmux session on a private server socket."""

    def __init__(self, command: list[str], env: dict[str, str], cwd: Path) -> None:
        self.socket = f"hive-oterm-{uuid.uuid4().hex[:8]}"
        env_flags = [flag for k, v in env.items() for flag in ("-e", f"{k}={v}")]
        self.run(
            "new-session", "-d", "-s", "t", "-x", "120", "-y", "40", "-c", str(cwd),
            *env_flags, *command,
        )  # fmt: skip

    def run(self, *args: str) -> str:
        out = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=30
        )
        assert out.returncode == 0, out.stderr
        return out.stdout

    def screen(self, styled: bool = False) -> str:
        return self.run("capture-pane", "-p", *(["-e"] if styled else []), "-t", "t")

    def keys(self, *keys: str, literal: bool = False) -> None:
        self.run("send-keys", "-t", "t", *(["-l"] if literal else []), *keys)

    def wait_for(self, text: str, timeout_s: float = DEADLINE_S) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            shown = self.screen()
            if text in shown:
                return shown
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared; the screen:\n{self.screen()}")

    def wait_until_gone(self, text: str, timeout_s: float = DEADLINE_S) -> None:
        deadline = time.monotonic() + timeout_s
        while text in self.screen():
            assert time.monotonic() < deadline, f"{text!r} stayed; the screen:\n{self.screen()}"
            time.sleep(0.2)

    def tab_to(self, focused: re.Pattern[str], presses: int = 30) -> None:
        """Tab until the styled screen shows the focus where ``focused`` says."""
        for _ in range(presses):
            if focused.search(self.screen(styled=True)):
                return
            self.keys("Tab")
            time.sleep(0.3)  # let Textual move the focus and redraw before looking again
        raise AssertionError(f"{focused.pattern!r} never got the focus:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


def requests_by_route(url: str) -> dict[str, float]:
    text = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {KEY}"}).text
    return {
        s.labels["route"]: s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "hive_http_requests_total" and s.labels["status"] == "200"
    }


def start_oterm(node, tmp_path: Path) -> Tmux:
    data = tmp_path / "oterm"
    data.mkdir()
    (data / "config.json").write_text(json.dumps({"splash-screen": False}))
    env = {
        "OLLAMA_HOST": node.url.removeprefix("http://"),
        "OLLAMA_API_KEY": KEY,
        "OTERM_DATA_DIR": str(data),  # oterm's config and chats, not the user's
        "TERM": "xterm-256color",
        # The tmux server inherits this process's environment: a COLUMNS or LINES there
        # (pytest's terminal) would win over the pane's own size.
        "COLUMNS": "120",
        "LINES": "40",
    }
    command = oterm_command()
    assert command is not None
    return Tmux([command], env, cwd=tmp_path)


def new_chat_with_hive(tmux: Tmux, url: str) -> None:
    listed = httpx.get(f"{url}/api/tags", headers={"Authorization": f"Bearer {KEY}"}).json()
    other = next(m["name"] for m in listed["models"] if m["name"] != "hive:latest")
    tmux.wait_for("Ctrl+N to start a new chat")
    tmux.keys("C-n")
    tmux.wait_for(other)  # the models, from /api/tags
    for attempt in range(3):  # on a busy box the keys may reach oterm before the focus does
        tmux.tab_to(FOCUSED_MODEL_NAME)  # from the provider to the model name
        tmux.keys("hive:latest", literal=True)
        try:
            tmux.wait_until_gone("Type model name", 20)  # the placeholder: something was typed
            break
        except AssertionError:
            if attempt == 2:
                raise
    tmux.wait_until_gone(other)  # the list, filtered by what was typed
    tmux.keys("Tab")  # leaving the name commits it: oterm reads /api/show
    tmux.wait_for("Model: hive:latest")
    tmux.tab_to(FOCUSED_SAVE)
    tmux.keys("Enter")
    tmux.wait_for("model: hive:latest")  # the chat's own header


def ask(tmux: Tmux, question: str) -> None:
    tmux.keys(question, literal=True)
    tmux.keys("Enter")


def assert_oterm_used_the_ollama_api(url: str) -> None:
    answered = requests_by_route(url)
    # oterm spoke Ollama's API to list and describe the model, and chatted through the vote.
    assert answered.get("/api/tags", 0) >= 1 and answered.get("/api/show", 0) >= 1
    assert answered.get("/v1/chat/completions", 0) >= 1


needs_tmux_and_oterm = [
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
    pytest.mark.skipif(oterm_command() is None, reason="oterm is not installed (the dev extra)"),
]


@needs_tmux_and_oterm[0]
@needs_tmux_and_oterm[1]
def test_oterm_asks_the_hive_and_shows_its_answer(node_process, tmp_path):
    script = write_script(str(tmp_path / "s.json"), answers=[ANSWER] * 3, token_delay_s=0.01)
    node = node_process(
        "--backend", "scripted", "--model", script, "--workers", "3", env={"HIVE_API_KEY": KEY}
    )
    node.wait_ready(3)
    tmux = start_oterm(node, tmp_path)
    try:
        new_chat_with_hive(tmux, node.url)
        ask(tmux, "What does the hive say?")
        shown = tmux.wait_for(ANSWER)
        assert "What does the hive say?" in shown
    finally:
        tmux.close()
    assert_oterm_used_the_ollama_api(node.url)


def first_vote(
    url: str, votes: list[wire.VoteDecided], listening: threading.Event, stop: threading.Event
) -> None:
    """Read the node's events until the first vote is decided (what the node answered)."""
    with httpx.stream(
        "GET", f"{url}/v1/hive/events", headers={"Authorization": f"Bearer {KEY}"}, timeout=None
    ) as events:
        for line in events.iter_lines():
            listening.set()  # subscribed: the node's first line is in
            if line.startswith("data: ") and isinstance(
                event := wire.core_event_json_decoder.decode(line[6:]), wire.VoteDecided
            ):
                votes.append(event)
                return
            if stop.is_set():
                return


@pytest.mark.model
@needs_tmux_and_oterm[0]
@needs_tmux_and_oterm[1]
def test_oterm_shows_what_the_real_model_voted(node_process, tmp_path):
    node = node_process("--workers", "3", "--threads", "1", env={"HIVE_API_KEY": KEY})
    node.wait_ready(3)
    tmux = start_oterm(node, tmp_path)
    votes: list[wire.VoteDecided] = []
    listening, stop = threading.Event(), threading.Event()
    try:
        new_chat_with_hive(tmux, node.url)
        reader = threading.Thread(
            target=first_vote, args=(node.url, votes, listening, stop), daemon=True
        )
        reader.start()
        assert listening.wait(DEADLINE_S), "the node's event stream never answered"
        question = "What is the capital of France? Answer in one word."
        ask(tmux, question)
        reader.join(DEADLINE_S)
        assert votes, "the node decided no vote"
        vote = votes[0]
        winner = vote.candidates[vote.decision.winner].text
        words = re.findall(r"[A-Za-z0-9]+", winner)[:8]
        assert words, f"an empty answer: {winner!r}"
        # The winner's words, below the question on oterm's screen (markdown may restyle them).
        deadline = time.monotonic() + DEADLINE_S
        while True:
            below = tmux.screen().split(question, 1)[-1]
            if all(w in below for w in words):
                break
            assert time.monotonic() < deadline, f"{words} not on the screen:\n{tmux.screen()}"
            time.sleep(0.2)
    finally:
        stop.set()
        tmux.close()
    assert_oterm_used_the_ollama_api(node.url)

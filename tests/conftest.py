"""Shared fixtures: scripted nodes for timing and fault tests, the real model for the rest.

Every test also gets one marker for what it needs (``pytest_collection_modifyitems`` below):
``model`` (marked by hand: the real embedded model generates text), ``app`` (tests/tui/: the
Textual app), ``process`` (starts child processes: workers, ``hive --node``, the CLI) or
``pure`` (the rest: one process, no model). ``pytest -m "not model"`` is the inner loop.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import pytest

from hive_tui.backends.scripted_engine import write_script
from hive_tui.config import load_settings
from hive_tui.node import Node
from hive_tui.node_plan import make_plan
from tests.netns import lan as lan  # the network-namespace fixture, for every test module

# Tests never read or write a developer's own settings, secret or node id: config and data
# folders point into a fresh temporary folder (subprocesses inherit it).
_isolated = tempfile.mkdtemp(prefix="hive-tests-")
os.environ["XDG_CONFIG_HOME"] = os.path.join(_isolated, "config")
os.environ["XDG_DATA_HOME"] = os.path.join(_isolated, "data")
os.environ["HIVE_CONFIG"] = os.path.join(_isolated, "none.toml")
for key in [k for k in os.environ if k.startswith("HIVE_") and k != "HIVE_CONFIG"]:
    del os.environ[key]


def scripted_settings(tmp_path: Path, workers: int = 3, **script: object):
    path = write_script(str(tmp_path / "script.json"), **script)
    return load_settings(
        {"backend": "scripted", "model": path, "workers": workers, "threads": 1}, environ={}
    )


@pytest.fixture
def make_scripted_node(tmp_path):
    """Build (not start) a node of scripted workers; stopped at teardown by the caller's start."""
    nodes: list[Node] = []

    def build(workers: int = 3, **script: object) -> Node:
        settings = scripted_settings(tmp_path, workers, **script)
        node = Node(settings, make_plan(settings), node_id="test-node")
        nodes.append(node)
        return node

    yield build


class NodeProcess:
    """`hive --node` as a real subprocess on 127.0.0.1 with a free port."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hive_tui",
                "--node",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                *args,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **(env or {})},
        )
        self._lines: list[str] = []
        self.url = self._wait_for_url()

    def _wait_for_url(self, timeout_s: float = 60.0) -> str:
        deadline = time.monotonic() + timeout_s
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"node exited early with {self.proc.wait()}")
            if "listening on " in line:
                # From here on a thread keeps reading: a node whose output nobody reads blocks
                # on its next log line once the pipe (64 KiB) is full.
                self._drain = threading.Thread(target=self._read_rest, daemon=True)
                self._drain.start()
                return line.rsplit("listening on ", 1)[1].strip()
        raise TimeoutError("node did not start listening")

    def _read_rest(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.append(line)

    def output(self) -> str:
        """What the node printed after it started listening (call once it has exited)."""
        self._drain.join(10)
        return "".join(self._lines)

    def health(self) -> dict:
        return httpx.get(f"{self.url}/health", timeout=10).json()

    def wait_ready(self, workers: int, timeout_s: float = 120.0) -> dict:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            h = self.health()
            if h["workers_ready"] >= workers:
                return h
            time.sleep(0.2)
        raise TimeoutError(f"workers not ready: {self.health()}")

    def stop(self) -> int:
        with contextlib.suppress(ProcessLookupError):
            self.proc.terminate()
        try:
            return self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


@pytest.fixture
def node_process():
    started: list[NodeProcess] = []

    def start(*args: str, env: dict[str, str] | None = None) -> NodeProcess:
        n = NodeProcess(list(args), env)
        started.append(n)
        return n

    yield start
    for n in started:
        n.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- what each test needs

TESTS_DIR = Path(__file__).parent
PROCESS_FIXTURES = {"make_scripted_node", "node_process"}
# A test module whose source holds one of these starts processes (a node, a worker, the CLI).
PROCESS_HINTS = ("subprocess", "NodeProcess", "Node(", "WorkerProcess", "create_subprocess")
_starts_processes: dict[Path, bool] = {}


def _module_starts_processes(path: Path) -> bool:
    if path not in _starts_processes:
        source = path.read_text() if path.suffix == ".py" else ""
        _starts_processes[path] = any(hint in source for hint in PROCESS_HINTS)
    return _starts_processes[path]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        path = Path(str(item.path))
        if path.is_relative_to(TESTS_DIR / "tui"):
            item.add_marker(pytest.mark.app)
        if any(item.get_closest_marker(kind) for kind in ("model", "app", "process")):
            continue
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & PROCESS_FIXTURES or _module_starts_processes(path):
            item.add_marker(pytest.mark.process)
        else:
            item.add_marker(pytest.mark.pure)


@pytest.fixture(autouse=True)
def _pure_tests_start_no_process(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """Keeps the markers true: a ``pure`` test that starts a process fails and says which."""
    if request.node.get_closest_marker("pure") is None:
        yield
        return
    started: list[object] = []
    popen_init = subprocess.Popen.__init__

    def spy(self, args, *rest, **kw):  # Popen's own signature
        started.append(args)
        popen_init(self, args, *rest, **kw)

    monkeypatch.setattr(subprocess.Popen, "__init__", spy)
    yield
    assert not started, (
        f"this test started {started[0]!r}: mark its module process "
        "(pytestmark = pytest.mark.process) or add a hint to PROCESS_HINTS in tests/conftest.py"
    )

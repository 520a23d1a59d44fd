"""`hive models pull` against a local stand-in for the Hugging Face hub (127.0.0.1, port 0).

The stand-in answers what hf_hub_download asks: HEAD then GET of
/{repo}/resolve/{revision}/{filename}, with X-Repo-Commit, ETag and Content-Length.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.gguf_factory import write_gguf

REPO = "testorg/Tiny-GGUF"
FILENAME = "tiny-q4_k_m.gguf"
COMMIT = "a" * 40
ROOT = Path(__file__).resolve().parent.parent


class FakeHub:
    def __init__(self, files: dict[str, bytes]):
        self.files = files
        self.requests: list[tuple[str, str]] = []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output clean
                pass

            def _lookup(self) -> bytes | None:
                hub.requests.append((self.command, self.path))
                return hub.files.get(self.path)

            def _headers(self, body: bytes) -> None:
                self.send_response(200)
                self.send_header("X-Repo-Commit", COMMIT)
                self.send_header("ETag", '"' + hashlib.sha256(body).hexdigest() + '"')
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Content-Type", "application/octet-stream")
                self.end_headers()

            def _missing(self) -> None:
                self.send_response(404)
                self.send_header("X-Error-Code", "EntryNotFound")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_HEAD(self):
                body = self._lookup()
                self._headers(body) if body is not None else self._missing()

            def do_GET(self):
                body = self._lookup()
                if body is None:
                    return self._missing()
                self._headers(body)
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeHub:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def hive(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hive_tui", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def user_env(tmp_path):
    """A fresh user: empty home and HF cache, no proxies, so nothing leaves 127.0.0.1."""
    env = {
        k: v for k, v in os.environ.items() if "proxy" not in k.lower() and not k.startswith("HF_")
    }
    env.update(
        HOME=str(tmp_path / "home"),
        HF_HOME=str(tmp_path / "hf"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        NO_PROXY="127.0.0.1,localhost",
        HF_HUB_DISABLE_TELEMETRY="1",
        PYTHONPATH=str(ROOT),
    )
    return env


def test_pull_downloads_into_the_hf_cache_and_the_catalogue_finds_it(tmp_path, user_env):
    gguf = write_gguf(tmp_path / "src.gguf", name="Tiny Pulled", size_label="0.5B").read_bytes()
    resolve = f"/{REPO}/resolve/main/{FILENAME}"
    with FakeHub({resolve: gguf}) as hub:
        # TQDM_POSITION=-1 makes huggingface_hub draw its bar without a terminal, as it would in one
        env = {**user_env, "HF_ENDPOINT": hub.url, "TQDM_POSITION": "-1"}
        done = hive(["models", "pull", REPO, FILENAME], env)
        requests = list(hub.requests)
    assert done.returncode == 0, done.stderr
    path = Path(done.stdout.strip().splitlines()[-1])
    assert path.read_bytes() == gguf
    assert "100%" in done.stderr and FILENAME in done.stderr  # the progress bar
    assert path.is_relative_to(
        tmp_path / "hf" / "hub" / "models--testorg--Tiny-GGUF" / "snapshots" / COMMIT
    )
    assert ("HEAD", resolve) in requests and ("GET", resolve) in requests
    # every request went to the stand-in, and only for the file (no telemetry, no API calls)
    assert {p for _, p in requests} == {resolve}

    listed = hive(["models", "--json"], user_env)
    assert listed.returncode == 0, listed.stderr
    models = json.loads(listed.stdout)["models"]
    pulled = [m for m in models if m["source"] == "huggingface"]
    assert pulled and pulled[0]["name"] == f"{REPO}/{FILENAME}"
    assert pulled[0]["size_label"] == "0.5B" and pulled[0]["quantisation"] == "Q4_K_M"


def test_pull_of_a_missing_file_is_one_line_and_a_failure(user_env):
    with FakeHub({}) as hub:
        done = hive(["models", "pull", REPO, "nope.gguf"], {**user_env, "HF_ENDPOINT": hub.url})
    assert done.returncode == 1
    assert done.stderr.startswith("hive models pull:") and "Traceback" not in done.stderr

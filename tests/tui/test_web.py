"""``hive --web``: the app served by textual-serve, driven in a real headless Chromium.

The page draws the terminal on a canvas (xterm.js with its WebGL or canvas renderer), so the
test reads what the page shows from xterm's own buffer: a script added before the page's
catches the Terminal the page creates (it is assigned to a ``terminal`` property)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets.sync.client as ws_client
from websockets.exceptions import InvalidStatus

from hive_tui.backends.scripted_engine import write_script
from hive_tui.commands.web import app_command

ANSWER = "Paris is the capital of France."
KEY = "test-web-key"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (install.sh dev installs it)")
DRAW_S = 120  # CI: two busy cores, a browser, the server, the app and three workers

CATCH_TERMINAL = """
window.hiveTerminals = [];
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  set(value) {
    Object.defineProperty(this, "terminal",
                          {value, writable: true, configurable: true, enumerable: true});
    if (value && value.buffer && value.loadAddon) window.hiveTerminals.push(value);
  },
});
"""
SCREEN = """() => {
  const t = window.hiveTerminals[0];
  if (!t) return "";
  const b = t.buffer.active, rows = [];
  for (let i = 0; i < t.rows; i++) {
    const line = b.getLine(b.viewportY + i);
    rows.push(line ? line.translateToString(true) : "");
  }
  return rows.join("\\n");
}"""


@contextlib.contextmanager
def web_server(tmp_path: Path, *flags: str, **environ: str) -> Iterator[str]:
    """``hive --web --port 0`` with a scripted swarm; yields the page's URL."""
    script = write_script(str(tmp_path / "script.json"), answers=[ANSWER] * 3)
    env = dict(os.environ, PYTHONPATH=os.getcwd(), HIVE_PORT="0",  # each tab's own API
               XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               **environ)
    proc = subprocess.Popen(
        [sys.executable, "-m", "hive_tui", "--web", "--port", "0", "--no-federation",
         "--backend", "scripted", "--model", script, "--workers", "3", *flags],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert found, line + proc.stdout.read()
        yield found.group(0)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def browser_page() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.add_init_script(CATCH_TERMINAL)
            yield page
        finally:
            browser.close()


def wait_screen(page, *texts: str, timeout_s: float = DRAW_S) -> str:
    """Wait until every one of ``texts`` is on the page at once. The app draws the vote's
    line and the chat's answer in separate refreshes, so seeing one does not mean the other
    has reached the browser yet. Raises AssertionError with the screen if they never do."""
    deadline = time.monotonic() + timeout_s
    while not all(text in (screen := page.evaluate(SCREEN)) for text in texts):
        if time.monotonic() > deadline:
            raise AssertionError(f"{texts!r} never all appeared; the page shows:\n{screen}")
        page.wait_for_timeout(200)
    return screen


@needs_chromium
def test_a_question_typed_in_the_browser_is_answered_on_the_page(tmp_path):
    with web_server(tmp_path) as url, browser_page() as page:
        page.goto(url, wait_until="domcontentloaded")
        wait_screen(page, "workers 3/3")  # drawn, and the swarm is ready
        page.evaluate("() => window.hiveTerminals[0].focus()")
        page.keyboard.type("What is the capital of France?")
        wait_screen(page, "What is the capital of France?")
        page.keyboard.press("Enter")
        # The caption ("3 of 3 agree") is set at once; the Markdown answer is drawn by an
        # async update a frame or more later, so wait for both (each raises if it never comes).
        wait_screen(page, "3 of 3 agree", ANSWER)
        if os.environ.get("HIVE_WEB_SCREENSHOT"):
            page.screenshot(path=os.environ["HIVE_WEB_SCREENSHOT"])


@needs_chromium
def test_a_keyed_server_refuses_the_page_and_its_websocket_without_the_key(tmp_path):
    with web_server(tmp_path, "--api-key", KEY) as url:
        assert httpx.get(url).status_code == 401
        assert httpx.get(f"{url}/?key=wrong").status_code == 401
        assert httpx.get(f"{url}/static/js/textual.js").status_code == 401
        ws_url = url.replace("http", "ws") + "/ws"
        with pytest.raises(InvalidStatus) as refused:
            ws_client.connect(ws_url, origin=url, open_timeout=30)
        assert refused.value.response.status_code == 401
        # With the key once in the address, the page (then its files and its websocket, by
        # the cookie) works, and the key leaves the address bar.
        with browser_page() as page:
            page.goto(f"{url}/?key={KEY}", wait_until="domcontentloaded")
            assert "key=" not in page.url
            wait_screen(page, "workers 3/3")


def test_only_its_own_names_and_its_own_page_reach_the_server(tmp_path):
    with web_server(tmp_path) as url:
        assert httpx.get(url).status_code == 200
        assert httpx.get(url, headers={"Host": "evil.example"}).status_code == 400
        with pytest.raises(InvalidStatus) as refused:
            ws_client.connect(url.replace("http", "ws") + "/ws",
                              origin="http://evil.example", open_timeout=30)
        assert refused.value.response.status_code == 403


def test_tabs_past_the_limit_are_refused(tmp_path):
    with web_server(tmp_path, HIVE_WEB_TABS="1") as url:
        ws_url = url.replace("http", "ws") + "/ws"
        with ws_client.connect(ws_url, origin=url, open_timeout=30):  # runs one app
            with pytest.raises(InvalidStatus) as refused:
                ws_client.connect(ws_url, origin=url, open_timeout=30)
            assert refused.value.response.status_code == 503
        # The tab closed, its place is free again.
        deadline = time.monotonic() + 60
        while True:
            try:
                with ws_client.connect(ws_url, origin=url, open_timeout=30):
                    break
            except InvalidStatus:
                assert time.monotonic() < deadline, "the closed tab's place was never freed"
                time.sleep(0.5)


def test_beyond_loopback_without_a_key_is_refused(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "hive_tui", "--web", "--host", "0.0.0.0", "--port", "0"],
        capture_output=True, text=True, timeout=60,
        env=dict(os.environ, PYTHONPATH=os.getcwd()))
    assert out.returncode == 2
    assert "without an API key" in out.stderr


def test_each_tab_runs_hive_with_the_flags_given_less_the_web_ones():
    command = app_command(["--web", "--host", "0.0.0.0", "--port=8080", "--backend",
                           "scripted", "--port", "9", "--api-key", "k"])
    assert command.split()[1:] == ["-m", "hive_tui", "--backend", "scripted", "--api-key", "k"]

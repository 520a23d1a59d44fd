"""The app's log file: hive's lines at INFO, other libraries' at WARNING, rotated."""

from __future__ import annotations

import logging

import pytest

from hive_tui.commands import app as app_command

pytestmark = pytest.mark.pure


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    hive = logging.getLogger("hive")
    saved = (root.level, hive.level, list(root.handlers))
    yield
    for handler in root.handlers:
        if handler not in saved[2]:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(saved[0])
    hive.setLevel(saved[1])


def test_third_party_info_stays_out_and_the_file_rotates(tmp_path, monkeypatch, restore_logging):
    monkeypatch.setattr(app_command, "LOG_MAX_BYTES", 4096)
    handler = app_command.log_to_file(tmp_path)
    logging.getLogger("httpx").info('HTTP Request: GET http://127.0.0.1:1/health "200 OK"')
    logging.getLogger("httpx").warning("httpx warning kept")
    logging.getLogger("hive.node").info("hive line kept")
    handler.flush()
    text = (tmp_path / app_command.LOG_NAME).read_text()
    assert "hive line kept" in text and "httpx warning kept" in text
    assert "HTTP Request" not in text
    for i in range(200):
        logging.getLogger("hive.node").info("line %d %s", i, "x" * 100)
    handler.flush()
    logs = sorted(p.name for p in tmp_path.iterdir())
    assert logs == ["hive-tui.log", "hive-tui.log.1", "hive-tui.log.2", "hive-tui.log.3"]
    assert all(p.stat().st_size <= 4096 + 200 for p in tmp_path.iterdir())

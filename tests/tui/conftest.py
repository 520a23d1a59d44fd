"""Fixtures for the app's tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def isolated_dirs(tmp_path, monkeypatch):
    """The app's config and data folders (themes, conversations, node id) under tmp_path."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path

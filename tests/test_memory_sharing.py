"""Lending on a build without ggml's RPC backend: the node says why and serves on."""

from __future__ import annotations

import logging
from types import SimpleNamespace

from hive_tui.config import load_settings
from hive_tui.federation import memory_sharing


async def test_lending_without_the_rpc_backend_is_refused_with_a_reason(monkeypatch, caplog,
                                                                        tmp_path):
    monkeypatch.setattr(memory_sharing, "rpc_available", lambda: False)
    settings = load_settings({"lend": True, "split": "off"}, environ={},
                             path=tmp_path / "none.toml")
    node = SimpleNamespace(settings=settings, node_id="n1",
                           plan=SimpleNamespace(backend="llama", model_path=""))
    sharing = memory_sharing.MemorySharing(node, b"k" * 32, "127.0.0.1",  # type: ignore[arg-type]
                                           SimpleNamespace(links={}))  # type: ignore[arg-type]
    with caplog.at_level(logging.ERROR, "hive.federation.split"):
        await sharing.start()
    assert sharing.lender is None and sharing.advertised() == (0, 0)
    assert sharing.lend_view() is None and sharing.split_view() is None
    assert "built without GGML_RPC" in caplog.text
    await sharing.stop()

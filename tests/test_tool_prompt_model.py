"""Tools in the real model's prompt: its own template when it knows tools, else our block."""

from __future__ import annotations

import pytest

from hive_tui import wire
from hive_tui.embedded_model import embedded_model_path

pytestmark = pytest.mark.model
llama_engine = pytest.importorskip("hive_tui.backends.llama_engine")

SPEC = wire.ToolSpec("read_file", "Read a file", '{"type": "object"}')
ASK = [wire.ChatMessage("user", "What is in notes.txt?")]


@pytest.fixture(scope="module")
def engine():
    e = llama_engine.LlamaEngine()
    e.load(wire.Load(model_path=str(embedded_model_path()), n_ctx=512, n_threads=1))
    return e


def prompt_text(engine, tools) -> str:
    tokens = engine.prompt_tokens(ASK, tools)
    return engine._llm.detokenize(tokens, special=True).decode()


def test_a_template_without_tools_gets_the_system_block(engine) -> None:
    assert "tools" not in engine._formatter.template  # SmolLM2's template
    text = prompt_text(engine, [SPEC])
    assert "<tool_call>" in text and '"read_file"' in text and "What is in notes.txt?" in text
    assert "<tool_call>" not in prompt_text(engine, [])


def test_a_template_that_knows_tools_gets_them_natively(engine, monkeypatch) -> None:
    template = (
        "{% if tools %}TOOLS:{% for t in tools %}{{ t.function.name }};{% endfor %}{% endif %}"
        "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}"
    )
    formatter = llama_engine.Jinja2ChatFormatter(template=template, eos_token="", bos_token="")
    monkeypatch.setattr(engine, "_formatter", formatter)
    text = prompt_text(engine, [SPEC])
    assert text.startswith("TOOLS:read_file;") and "<tool_call>" not in text

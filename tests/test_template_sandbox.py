"""Chat templates come from model files (anyone's GGUF): they render in a Jinja sandbox."""

from __future__ import annotations

import pytest

jinja2_sandbox = pytest.importorskip("jinja2.sandbox")
chat_format = pytest.importorskip("llama_cpp.llama_chat_format")

HOSTILE = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ messages.__class__.__init__.__globals__ }}",
    "{{ raise_exception.__globals__['__builtins__']['open']('/etc/passwd').read() }}",
    "{{ strftime_now.__globals__['os'].system('touch /tmp/hive-pwned') }}",
    "{% set x = messages.append({'role': 'user', 'content': 'injected'}) %}{{ messages }}",
    "{{ messages[0].update({'content': 'changed'}) }}",
    "{{ self.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
]


def formatter(template: str):
    return chat_format.Jinja2ChatFormatter(template=template, eos_token="</s>", bos_token="<s>")


def test_the_engine_uses_the_immutable_sandbox() -> None:
    f = formatter("{{ messages[0]['content'] }}")
    assert isinstance(f._environment.environment, jinja2_sandbox.ImmutableSandboxedEnvironment)
    assert f(messages=[{"role": "user", "content": "hi"}]).prompt == "hi"


@pytest.mark.parametrize("template", HOSTILE)
def test_a_hostile_template_cannot_reach_python_internals(template: str) -> None:
    messages = [{"role": "user", "content": "hi"}]
    with pytest.raises(jinja2_sandbox.SecurityError, match="unsafe"):
        formatter(template)(messages=messages)
    assert messages == [{"role": "user", "content": "hi"}]  # nothing mutated either


def test_no_side_effect_escaped() -> None:
    import os

    assert not os.path.exists("/tmp/hive-pwned")

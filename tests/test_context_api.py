"""The context policies end to end: a real node (the embedded model, a 512-token context),
asked through the ``openai`` client with a conversation four times its context."""

from __future__ import annotations

import openai
import pytest

pytestmark = pytest.mark.model

N_CTX = 512


def long_conversation() -> list[dict]:
    messages = [{"role": "system", "content": "You are a brief assistant."},
                {"role": "user", "content": "Remember this: my locker code is 4817."},
                {"role": "assistant", "content": "Got it, your locker code is 4817."}]
    for i in range(24):
        messages.append({"role": "user", "content": f"Name a fact about the number {i}, in a "
                         "sentence of about twenty words, please, something to remember."})
        messages.append({"role": "assistant", "content": f"The number {i} is a whole number; "
                         "it comes after the one before it and before the one after it."})
    messages.append({"role": "user", "content": "What is my locker code?"})
    return messages


def test_every_policy_over_the_openai_client(node_process):
    node = node_process("--workers", "2", "--threads", "1", "--n-ctx", str(N_CTX))
    node.wait_ready(2)
    client = openai.OpenAI(base_url=f"{node.url}/v1", api_key="unused", max_retries=0,
                           timeout=300)
    messages = long_conversation()
    # error, the default: OpenAI's 400, nothing answered from a mutilated prompt
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(model="hive", messages=messages, max_tokens=24, seed=1)
    assert refused.value.code == "context_length_exceeded"

    for policy, action in (("truncate", "truncated"), ("compress", "compressed")):
        r = client.chat.completions.create(
            model="hive", messages=messages, max_tokens=24, seed=1,
            extra_body={"hive": {"context": policy}},
        )
        report = r.model_extra["hive"]["context"]
        assert report["policy"] == policy and report["action"] == action, report
        assert report["exact"]  # counted with the model's own tokenizer
        assert report["dropped_messages"] > 0 and report["dropped_tokens"] > 0
        assert report["prompt_tokens_after"] <= report["budget_tokens"] < N_CTX
        # what the workers really read fits, by their own count
        assert r.usage.prompt_tokens + 24 <= N_CTX
        assert r.choices[0].message.content is not None
        if policy == "compress":
            assert report["summary_votes"] >= 1 and report["summary"]
            assert report["recalled_passages"] >= 1  # the locker code, asked about


def test_the_nodes_token_count_is_llama_cpps_for_the_embedded_model():
    from llama_cpp import Llama

    from hive_tui.embedded_model import embedded_model_path
    from hive_tui.swarm.token_count import text_counter

    path = str(embedded_model_path())
    count, exact = text_counter(path)
    vocab = Llama(path, vocab_only=True, verbose=False)
    texts = ["My locker code is 4817.", "Paragraph one.\n\nParagraph  two, été 2026!",
             " leading space and\ttabs", "def f(x):\n    return x ** 2  # code"]
    assert exact
    for text in texts:
        assert count(text) == len(vocab.tokenize(text.encode(), add_bos=False, special=False))

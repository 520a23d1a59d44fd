"""What a context policy did to a request's messages, reported with the answer (the API's
``hive.context``, the app's turn, ``hive --connect``'s reply)."""

from __future__ import annotations

import msgspec


class ContextReport(msgspec.Struct, frozen=True):
    policy: str  # "truncate" | "compress" (an "error" request that fits has no report)
    action: str  # "none" (it fit), "truncated", "compressed"
    budget_tokens: int  # the context less max_tokens and the chat template's margin
    prompt_tokens_before: int
    prompt_tokens_after: int
    exact: bool  # counted by the model's own tokenizer (else an estimate)
    dropped_messages: int = 0  # messages left out (truncate) or replaced by the memory (compress)
    dropped_tokens: int = 0
    summarised_messages: int = 0  # compress: the dropped messages the swarm summarised
    summary: str = ""  # compress: the swarm's running summary of them
    summary_votes: int = 0  # how many summary votes were run
    # compress: the system message that stands for the dropped messages (summary and recalled
    # passages); the app keeps it with the conversation as its running summary
    memory: str = ""
    recalled_passages: int = 0  # compress: earlier passages kept for their relevance
    # compress: a long last user message cut to its passages most relevant to its question
    passages_kept: int = 0
    passages_total: int = 0
    note: str = ""  # one line to show

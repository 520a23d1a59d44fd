"""Conversations on disk: one JSON file per conversation in ``<data dir>/conversations``.

Written whole after every finished turn (a conversation is small), to a temporary file that
is then renamed over the old one, so a crash mid-write never leaves a half file behind.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import msgspec

from hive_tui import wire
from hive_tui.client.turn import Turn
from hive_tui.config import data_dir

TITLE_CHARS = 60


class Conversation(msgspec.Struct, kw_only=True):
    id: str
    title: str = ""
    created: float = 0.0
    updated: float = 0.0
    turns: list[Turn] = []

    @classmethod
    def new(cls) -> Conversation:
        now = time.time()
        return cls(id=f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}",
                   created=now, updated=now)

    def messages_for(self, prompt: str) -> list[wire.ChatMessage]:
        """The chat history sent with a new prompt, then the prompt: every answered turn, but
        where the node compressed a turn's history its running summary stands for the messages
        it replaced (kept with the turn, so a reopened conversation goes on from it). A history
        over the context is the node's to fit, by the ``context`` policy (the app: compress)."""
        messages: list[wire.ChatMessage] = []
        for turn in self.turns:
            if not turn.answer:
                continue
            report = turn.context
            if report is not None and report.memory:  # `messages` is what this turn was sent
                memory = wire.ChatMessage("system", report.memory)
                messages = [memory, *messages[report.dropped_messages :]]
            messages.append(wire.ChatMessage("user", turn.prompt))
            messages.append(wire.ChatMessage("assistant", turn.answer))
        messages.append(wire.ChatMessage("user", prompt))
        return messages

    def add(self, turn: Turn) -> None:
        if not self.title:
            self.title = " ".join(turn.prompt.split())[:TITLE_CHARS]
        self.turns.append(turn)
        self.updated = time.time()


class ConversationStore:
    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or data_dir() / "conversations"

    def path(self, conversation_id: str) -> Path:
        return self.folder / f"{conversation_id}.json"

    def save(self, conversation: Conversation) -> None:
        if not conversation.turns:
            return  # an empty chat is not worth a file
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.path(conversation.id)
        tmp = target.with_suffix(".json.tmp")
        tmp.write_bytes(msgspec.json.encode(conversation))
        os.replace(tmp, target)

    def load(self, conversation_id: str) -> Conversation:
        return msgspec.json.decode(self.path(conversation_id).read_bytes(), type=Conversation)

    def list(self) -> list[Conversation]:
        """Every readable conversation, most recently updated first (unreadable files skipped)."""
        found = []
        for path in self.folder.glob("*.json"):
            try:
                found.append(msgspec.json.decode(path.read_bytes(), type=Conversation))
            except (OSError, msgspec.DecodeError):
                continue
        return sorted(found, key=lambda c: c.updated, reverse=True)

    def rename(self, conversation_id: str, title: str) -> Conversation:
        conversation = self.load(conversation_id)
        conversation.title = " ".join(title.split())[:TITLE_CHARS * 2] or conversation.title
        self.save(conversation)
        return conversation

    def delete(self, conversation_id: str) -> None:
        self.path(conversation_id).unlink(missing_ok=True)

    def latest(self) -> Conversation | None:
        conversations = self.list()
        return conversations[0] if conversations else None


def matches(conversation: Conversation, query: str) -> bool:
    """Whether every word of ``query`` is in the title, a prompt or an answer (any case)."""
    words = query.lower().split()
    if not words:
        return True
    text = " ".join([conversation.title, *(f"{t.prompt} {t.answer}" for t in conversation.turns)])
    text = text.lower()
    return all(word in text for word in words)

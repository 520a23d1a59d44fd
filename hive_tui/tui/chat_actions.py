"""What the app does with conversations and answers: open, new, copy, regenerate, edit the last
prompt, the kept drafts and the pairing code. A mixin of ``HiveApp`` (kept apart so the app
module stays readable); it asks through ``HiveApp.ask`` like the prompt does."""

from __future__ import annotations

import asyncio
import re

from textual import work
from textual.app import App

from hive_tui.client.conversations import Conversation, ConversationStore
from hive_tui.client.turn import Turn
from hive_tui.tui.chat import ChatPane, shown_text
from hive_tui.tui.conversation_picker import ConversationPicker
from hive_tui.tui.keys import KeysScreen
from hive_tui.tui.prompt_input import PromptInput
from hive_tui.tui.vote import VoteView

FENCE = re.compile(r"```[^\n]*\n(.*?)```", re.DOTALL)


def last_code_block(text: str) -> str | None:
    blocks = FENCE.findall(text)
    return blocks[-1].rstrip("\n") if blocks else None


class ChatActions(App[None]):
    store: ConversationStore
    conversation: Conversation
    turn: Turn | None
    pairing_code: str | None = None
    editing_last = False  # the prompt holds the last prompt: sending it replaces that turn

    async def ask(self, text: str, replace_last: bool = False) -> None:
        raise NotImplementedError

    def action_stop(self) -> None:
        raise NotImplementedError

    async def action_show_pane(self, pane: str) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------ conversations

    @work(group="store", exit_on_error=False)
    async def _load_latest_conversation(self) -> None:
        latest = await asyncio.to_thread(self.store.latest)
        if latest is not None:
            await self._show_conversation(latest)

    async def _show_conversation(self, conversation: Conversation) -> None:
        self.conversation = conversation
        self.editing_last = False
        await self.query_one(ChatPane).show_turns(conversation.turns)
        await self.query_one(VoteView).set_turns(conversation.turns)

    def _save(self, conversation: Conversation) -> None:
        self.run_worker(asyncio.to_thread(self.store.save, conversation), group="store")

    async def action_new_chat(self) -> None:
        if self.turn is not None:
            self.action_stop()
        await self._show_conversation(Conversation.new())
        await self.action_show_pane("chat")

    @work(group="store")
    async def action_open_chat(self) -> None:
        conversations = await asyncio.to_thread(self.store.list)
        chosen = await self.push_screen_wait(ConversationPicker(conversations, self.store))
        if chosen is None:
            if not self.store.path(self.conversation.id).exists() and self.conversation.turns:
                await self._show_conversation(Conversation.new())  # the open one was deleted
            return
        if self.turn is not None:
            self.action_stop()
        await self._show_conversation(await asyncio.to_thread(self.store.load, chosen))
        await self.action_show_pane("chat")

    # ------------------------------------------------------------------ the last answer

    def _last_finished(self) -> Turn | None:
        turns = self.conversation.turns
        if not turns or not turns[-1].finished:
            self.notify("No finished answer yet.", severity="warning", timeout=3)
            return None
        return turns[-1]

    def action_copy_answer(self) -> None:
        turn = self._last_finished()
        if turn is not None and (text := turn.answer or shown_text(turn)):
            self.copy_to_clipboard(text)
            self.notify(f"Copied the answer ({len(text)} characters)", timeout=3)

    def action_copy_code(self) -> None:
        turn = self._last_finished()
        if turn is None:
            return
        code = last_code_block(turn.answer or shown_text(turn))
        if code is None:
            self.notify("The last answer has no code block.", severity="warning", timeout=3)
            return
        self.copy_to_clipboard(code)
        self.notify(f"Copied the code block ({len(code.splitlines())} lines)", timeout=3)

    async def action_regenerate(self) -> None:
        turn = self._last_finished()
        if turn is not None:
            await self.ask(turn.prompt, replace_last=True)

    def action_edit_last(self) -> None:
        turn = self._last_finished()
        if turn is None:
            return
        prompt = self.query_one(PromptInput)
        prompt.text = turn.prompt
        prompt.move_cursor(prompt.document.end)
        self.editing_last = True
        self.run_worker(self.action_show_pane("chat"))
        self.notify("Edit the prompt; Enter sends it in place of the last turn.", timeout=4)

    def action_toggle_drafts(self) -> None:
        chat = self.query_one(ChatPane)
        chat.toggle_class("-no-drafts")
        hidden = chat.has_class("-no-drafts")
        self.notify(f"Replaced drafts {'hidden' if hidden else 'shown'} (F9)", timeout=2)

    def action_keys(self) -> None:
        if not isinstance(self.screen, KeysScreen):
            self.push_screen(KeysScreen())

    def action_show_pairing(self) -> None:
        if self.pairing_code is None:
            self.notify("No pairing code: this node made no new hive secret.", timeout=4)
            return
        self.notify(f"Pairing code for other machines: {self.pairing_code}",
                    title="Pairing code (secret)", timeout=30)

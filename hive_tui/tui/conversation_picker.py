"""A modal list of saved conversations; Enter reopens one, Escape goes back."""

from __future__ import annotations

import time

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from hive_tui.client.conversations import Conversation


def label(conversation: Conversation) -> str:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(conversation.updated))
    return f"{when}  {conversation.title or '(untitled)'}  ({len(conversation.turns)} turns)"


class ConversationPicker(ModalScreen[str | None]):
    DEFAULT_CSS = """
    ConversationPicker { align: center middle; }
    ConversationPicker > Vertical {
        width: 90%;
        max-width: 100;
        height: 80%;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    ConversationPicker OptionList { height: 1fr; border: none; }
    ConversationPicker Label { color: $text-muted; }
    """

    BINDINGS = [Binding("escape", "dismiss(None)", "Back")]

    def __init__(self, conversations: list[Conversation]) -> None:
        super().__init__()
        self.conversations = conversations

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Saved conversations (Enter opens, Esc goes back)")
            options = [Option(label(c), id=c.id) for c in self.conversations]
            yield OptionList(*options) if options else Label("None saved yet.")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

"""A modal list of saved conversations: type to search them, Enter reopens one, F2 renames the
highlighted one, ctrl+d (twice) deletes it, Escape goes back."""

from __future__ import annotations

import time

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from hive_tui.client.conversations import Conversation, ConversationStore, matches

HELP = "Type to search · Enter opens · F2 renames · ctrl+d deletes · Esc goes back"


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
    ConversationPicker Input { border: tall $primary 40%; }
    """

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("f2", "rename", "Rename", priority=True),
        Binding("ctrl+d", "delete", "Delete", priority=True),
        Binding("down", "move(1)", show=False, priority=True),
        Binding("up", "move(-1)", show=False, priority=True),
    ]

    def __init__(self, conversations: list[Conversation], store: ConversationStore) -> None:
        super().__init__()
        self.conversations = conversations
        self.store = store
        self.renaming: str | None = None  # the id being renamed: the input holds its title
        self._delete_armed: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(HELP, id="picker-help")
            yield Input(placeholder="search titles, prompts and answers", id="search")
            yield OptionList(id="conversations")

    def on_mount(self) -> None:
        self._fill()
        self.query_one("#search", Input).focus()

    @property
    def shown(self) -> list[Conversation]:
        query = "" if self.renaming else self.query_one("#search", Input).value
        return [c for c in self.conversations if matches(c, query)]

    def _fill(self) -> None:
        options = self.query_one(OptionList)
        highlighted = options.highlighted
        options.clear_options()
        shown = self.shown
        options.add_options([Option(label(c), id=c.id) for c in shown] or
                            [Option("None saved yet." if not self.conversations
                                    else "Nothing matches.", disabled=True)])
        if shown:
            options.highlighted = min(highlighted or 0, len(shown) - 1)

    def _highlighted(self) -> Conversation | None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return None
        chosen = options.get_option_at_index(options.highlighted).id
        return next((c for c in self.conversations if c.id == chosen), None)

    def on_input_changed(self, event: Input.Changed) -> None:
        if self.renaming is None:
            self._fill()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        search = self.query_one("#search", Input)
        if self.renaming is not None:
            renamed = self.store.rename(self.renaming, event.value)
            self.conversations = [renamed if c.id == renamed.id else c
                                  for c in self.conversations]
            self.renaming = None
            search.value, search.placeholder = "", "search titles, prompts and answers"
            self._fill()
            self.notify(f"Renamed to {renamed.title!r}", timeout=3)
            return
        chosen = self._highlighted()
        if chosen is not None:
            self.dismiss(chosen.id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        options.action_cursor_down() if step > 0 else options.action_cursor_up()

    def action_rename(self) -> None:
        chosen = self._highlighted()
        if chosen is None:
            return
        self.renaming = chosen.id
        search = self.query_one("#search", Input)
        search.placeholder = "new title (Enter renames, Esc cancels)"
        search.value = chosen.title
        search.focus()

    def action_delete(self) -> None:
        chosen = self._highlighted()
        if chosen is None:
            return
        if self._delete_armed != chosen.id:  # a second press deletes: no accidental loss
            self._delete_armed = chosen.id
            self.notify(f"Press ctrl+d again to delete {chosen.title or '(untitled)'!r}",
                        severity="warning", timeout=4)
            return
        self.store.delete(chosen.id)
        self._delete_armed = None
        self.conversations = [c for c in self.conversations if c.id != chosen.id]
        self._fill()
        self.notify(f"Deleted {chosen.title or '(untitled)'!r}", timeout=3)

    def action_back(self) -> None:
        if self.renaming is not None:
            self.renaming = None
            search = self.query_one("#search", Input)
            search.value, search.placeholder = "", "search titles, prompts and answers"
            self._fill()
            return
        self.dismiss(None)

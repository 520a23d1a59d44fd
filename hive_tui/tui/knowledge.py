"""The app's knowledge-base toggle: Ctrl+G picks the base the next votes are grounded on
(or none). A base of the app, so that the app module only names it."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import ModalScreen, Screen
from textual.widgets import OptionList

from hive_tui.client.knowledge import knowledge_base_names

NONE = "(no knowledge base)"


class KnowledgeBasePicker(ModalScreen[str | None]):
    DEFAULT_CSS = """
    KnowledgeBasePicker { align: center middle; }
    KnowledgeBasePicker OptionList { width: 60; max-height: 20; border: round $accent; }
    """
    BINDINGS = [Binding("escape", "dismiss_none", "Close")]

    def __init__(self, names: list[str]) -> None:
        super().__init__()
        self.names = names

    def compose(self) -> ComposeResult:
        yield OptionList(NONE, *self.names)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        chosen = str(event.option.prompt)
        self.dismiss(None if chosen == NONE else chosen)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class KnowledgeBaseToggle(App[None]):
    """Holds ``kb``, the knowledge base of the next votes; Ctrl+G changes it."""

    # Out of the footer, which is full at 80 columns (the palette lists it). Ctrl+G ("ground"):
    # the prompt box keeps Ctrl+K for deleting to the line's end.
    BINDINGS = [Binding("ctrl+g", "pick_kb", "Knowledge", show=False, priority=True)]
    kb: str | None = None

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Knowledge base", "Ground the next answers on a knowledge base "
                            "(hive index add), or on none", self.action_pick_kb)

    def action_pick_kb(self) -> None:
        def chosen(name: str | None) -> None:
            self.kb = name
            self.notify(f"Answers grounded on {name}" if name else "No knowledge base")

        self.push_screen(KnowledgeBasePicker(knowledge_base_names()), chosen)

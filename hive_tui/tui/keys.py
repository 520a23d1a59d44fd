"""The app's keys: its bindings, and the keys help that lists them before the prompt's
text-editing keys (the README's table follows ``APP_KEYS``)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

PANES = {"chat": "Chat", "vote": "Vote", "workers": "Workers", "peers": "Peers",
         "hardware": "Hardware"}

BINDINGS: list[BindingType] = [
    # priority: the prompt box (a TextArea) binds some of these keys itself.
    *(Binding(f"f{i}", f"show_pane('{pane}')", title, show=False, priority=True)
      for i, (pane, title) in enumerate(PANES.items(), start=1)),
    Binding("ctrl+n", "new_chat", "New"),
    Binding("ctrl+o", "open_chat", "Open"),
    Binding("escape", "stop", "Stop"),
    Binding("f6", "cycle_strategy", "Strategy", priority=True),
    Binding("ctrl+t", "toggle_theme", "Theme", show=False),  # in the palette, for 80 cols
    Binding("ctrl+b", "tools", "Tools"),
    Binding("ctrl+r", "regenerate", "Regenerate", show=False, priority=True),
    Binding("ctrl+e", "edit_last", "Edit last", show=False, priority=True),
    Binding("f7", "copy_answer", "Copy", show=False, priority=True),
    Binding("f8", "copy_code", "Copy code", show=False, priority=True),
    Binding("f9", "toggle_drafts", "Drafts", show=False, priority=True),
    Binding("f10", "keys", "Keys", show=False, priority=True),
    Binding("ctrl+q", "quit", "Quit"),  # the prompt does not bind it; last in the footer
]

APP_KEYS = [
    ("F1 … F5", "chat, vote, workers, peers, hardware"),
    ("Enter", "send the prompt"),
    ("Esc", "stop the vote in progress"),
    ("PageUp / PageDown", "scroll the chat (from the prompt too)"),
    ("ctrl+Home / ctrl+End", "chat start / newest answer"),
    ("F7", "copy the last answer to the clipboard (OSC 52: works over SSH)"),
    ("F8", "copy the last answer's last code block"),
    ("ctrl+r", "regenerate the last answer"),
    ("ctrl+e", "edit the last prompt and send it again (replaces that turn)"),
    ("F9", "show or hide drafts the vote replaced"),
    ("ctrl+n / ctrl+o", "new conversation / open, search, rename, delete saved ones"),
    ("F6", "strategy of the next vote"),
    ("[ / ]", "older / newer turn in the vote pane"),
    ("ctrl+b", "tools"),
    ("ctrl+g", "ground the next answers on a knowledge base (hive index add)"),
    ("ctrl+t", "light or dark theme"),
    ("ctrl+p", "command palette (pairing code, themes, strategies)"),
    ("F10", "this list"),
    ("ctrl+q", "quit"),
]

TEXT_KEYS = [
    ("ctrl+j / shift+enter", "new line in the prompt"),
    ("↑ / ↓", "earlier prompts (on the first / last line)"),
    ("Home / End", "start / end of the line"),
    ("ctrl+z / ctrl+y", "undo / redo"),
    ("ctrl+x / ctrl+c / ctrl+v", "cut / copy / paste the selection"),
    ("ctrl+w / ctrl+u / ctrl+k", "delete a word / to line start / to line end"),
]


def table(rows: list[tuple[str, str]]) -> str:
    width = max(len(key) for key, _ in rows)
    return "\n".join(f"  {key:<{width}}  {what}" for key, what in rows)


class KeysScreen(ModalScreen[None]):
    """The keys help: the app's own keys first, then the prompt's text-editing keys."""

    DEFAULT_CSS = """
    KeysScreen { align: center middle; }
    KeysScreen > VerticalScroll {
        width: 90%; max-width: 96; height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    KeysScreen .heading { text-style: bold; color: $primary; margin-top: 1; }
    """
    BINDINGS = [Binding("escape,f10,q", "dismiss(None)", "Back")]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("hive's keys (Esc closes)", classes="heading")
            yield Static(table(APP_KEYS), markup=False)
            yield Static("Editing the prompt", classes="heading")
            yield Static(table(TEXT_KEYS), markup=False)

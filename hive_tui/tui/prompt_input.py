"""The multi-line prompt box: Enter sends, ctrl+j (or shift+enter) starts a new line, up/down on
the first/last line recall earlier prompts."""

from __future__ import annotations

from textual import events
from textual.message import Message
from textual.widgets import TextArea

NEWLINE_KEYS = ("ctrl+j", "shift+enter", "alt+enter")


class PromptInput(TextArea):
    DEFAULT_CSS = """
    PromptInput {
        height: auto;
        min-height: 3;
        max-height: 8;
        border: tall $primary 40%;
        background: $surface;
    }
    PromptInput:focus { border: tall $primary; }
    PromptInput.-busy { border: tall $warning 60%; }
    """

    class Submitted(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, **kwargs: object) -> None:
        super().__init__(soft_wrap=True, show_line_numbers=False, **kwargs)  # type: ignore[arg-type]
        self.prompt_history: list[str] = []
        self._recall: int | None = None  # index into history while browsing it
        self.placeholder = "Ask the swarm… (Enter sends, ctrl+j new line)"

    def set_history(self, prompts: list[str]) -> None:
        self.prompt_history = list(prompts)
        self._recall = None

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self._submit()
            return
        if event.key in NEWLINE_KEYS:
            event.stop()
            event.prevent_default()
            self.insert("\n")
            return
        row = self.cursor_location[0]
        if event.key == "up" and row == 0 and self.prompt_history:
            event.stop()
            event.prevent_default()
            self._browse(-1)
            return
        if event.key == "down" and row == self.document.line_count - 1 and self._recall is not None:
            event.stop()
            event.prevent_default()
            self._browse(+1)
            return
        await super()._on_key(event)

    def _browse(self, step: int) -> None:
        index = len(self.prompt_history) if self._recall is None else self._recall
        index = max(0, min(len(self.prompt_history), index + step))
        self._recall = None if index == len(self.prompt_history) else index
        self.text = "" if self._recall is None else self.prompt_history[index]
        self.move_cursor(self.document.end)

    def _submit(self) -> None:
        text = self.text.strip()
        if not text:
            return
        if not self.prompt_history or self.prompt_history[-1] != text:
            self.prompt_history.append(text)
        self._recall = None
        self.text = ""
        self.post_message(self.Submitted(text))

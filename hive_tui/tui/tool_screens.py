"""Two keyboard-only modals for the built-in tools: turn tools on one by one, confirm a call.

``ToolsScreen`` (ctrl+b, or "Tools" in the command palette): 1/2/3 toggle read_file,
write_file and execute_bash; it shows the working folder and whether commands can be
sandboxed here. ``ConfirmToolCall`` asks before every write_file and execute_bash call the
swarm voted for, showing the exact call (the path and the start of the content, or the
command); y runs it, n or esc declines it (the model is told it was declined).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from hive_tui.client.tool_turn import REMOTE, ToolSettings
from hive_tui.tools.builtin import TOOL_NAMES
from hive_tui.tools.calls import ToolCall

PREVIEW_LINES = 12
ABOUT = {
    "read_file": "read files in the working folder",
    "write_file": "write files there (asks each time)",
    "execute_bash": "run sandboxed commands there (asks each time)",
}

_MODAL_CSS = """
    {cls} {{ align: center middle; }}
    {cls} > Vertical {{
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }}
    {cls} .title {{ text-style: bold; width: 1fr; }}
    {cls} .hint {{ color: $text-muted; }}
"""


class ToolsScreen(ModalScreen[None]):
    DEFAULT_CSS = _MODAL_CSS.format(cls="ToolsScreen") + """
    ToolsScreen #sandbox.-problem { color: $error; }
    ToolsScreen.-remote #tool-list { color: $text-disabled; }
    """
    BINDINGS = [
        *(Binding(str(i), f"toggle_tool('{name}')", name, show=False)
          for i, name in enumerate(TOOL_NAMES, start=1)),
        Binding("escape,enter,q", "dismiss", "Close"),
    ]

    def __init__(self, settings: ToolSettings, sandbox_problem: str | None,
                 runs_tools: bool = True) -> None:
        super().__init__(classes="" if runs_tools else "-remote")
        self.settings = settings
        self.sandbox_problem = sandbox_problem
        self.runs_tools = runs_tools  # False with --connect: every choice is disabled

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Built-in tools (all off by default)", classes="title")
            yield Static("", id="tool-list", markup=False)
            yield Static(f"Working folder: {self.settings.workdir}", markup=False)
            yield Static("", id="sandbox", markup=False)
            yield Label("1/2/3 turn a tool on or off · enter/esc closes", classes="hint")

    def on_mount(self) -> None:
        self._show()

    def _show(self) -> None:
        lines = []
        for i, name in enumerate(TOOL_NAMES, start=1):
            mark = "[x]" if name in self.settings.enabled else "[ ]"
            lines.append(f"{i} {mark} {name:<13} {ABOUT[name]}")
        self.query_one("#tool-list", Static).update("\n".join(lines))
        sandbox = self.query_one("#sandbox", Static)
        if not self.runs_tools:
            sandbox.update(REMOTE)
        elif not self.settings.sandbox:
            sandbox.update("Sandbox: OFF (--no-sandbox): commands run unconfined.")
        elif self.sandbox_problem:
            sandbox.update(f"Sandbox unavailable, so execute_bash refuses every command: "
                           f"{self.sandbox_problem}")
        else:
            sandbox.update("Sandbox: bubblewrap (no network, only the working folder).")
        problem = not self.runs_tools or bool(self.sandbox_problem) and self.settings.sandbox
        sandbox.set_class(problem, "-problem")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.runs_tools or action != "toggle_tool"

    def action_toggle_tool(self, name: str) -> None:  # not Textual's own action_toggle
        on = self.settings.toggle(name)
        self._show()
        if on and name == "execute_bash" and self.settings.sandbox and self.sandbox_problem:
            self.notify(f"execute_bash is on, but without a sandbox every command will be "
                        f"refused: {self.sandbox_problem}", severity="error", timeout=8)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)


def describe_call(call: ToolCall) -> tuple[str, str]:
    """(headline, body) of a call, exactly as it will run."""
    args = call.arguments
    if call.name == "write_file":
        content = str(args.get("content", ""))
        lines = content.splitlines()
        preview = "\n".join(lines[:PREVIEW_LINES])
        more = len(lines) - PREVIEW_LINES
        if more > 0:
            preview += f"\n… {more} more line(s)"
        return (f"write {len(content.encode())} bytes to {args.get('path')!r}",
                preview or "(empty file)")
    if call.name == "execute_bash":
        return "run this command in the working folder:", str(args.get("command", ""))
    return f"{call.name}:", call.arguments_json()


class ConfirmToolCall(ModalScreen[bool]):
    DEFAULT_CSS = _MODAL_CSS.format(cls="ConfirmToolCall") + """
    ConfirmToolCall #call-body {
        height: auto; max-height: 16; background: $boost; padding: 0 1; margin: 1 0;
    }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Allow"),
        Binding("n,escape", "answer(False)", "Decline"),
    ]

    def __init__(self, call: ToolCall, note: str = "") -> None:
        super().__init__()
        self.call = call
        self.note = note

    def compose(self) -> ComposeResult:
        headline, body = describe_call(self.call)
        with Vertical():
            yield Label(f"The swarm wants to use {self.call.name}", classes="title")
            if self.note:
                yield Static(self.note, classes="hint", markup=False)
            yield Static(headline, markup=False)
            with VerticalScroll(id="call-body"):
                yield Static(body, id="call-text", markup=False)
            yield Label("y allow · n decline", classes="hint")

    def action_answer(self, allowed: bool) -> None:
        self.dismiss(allowed)

"""The `hive` terminal app: a thin client of a core (an embedded node, or a remote one).
``bridge.pump_events`` turns the core's events into ``CoreEvents`` messages; the rest reacts to
those, to keys and to a 1 s tick. Votes are async workers awaiting the core: none generates here.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

from textual import work
from textual.app import ComposeResult, SystemCommand
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, TabbedContent, TabPane

from hive_tui import consensus, wire
from hive_tui.client.conversations import Conversation, ConversationStore
from hive_tui.client.core import Core, Request
from hive_tui.client.core_types import PeerRecord
from hive_tui.client.hardware_source import HardwareSource, sample_hardware
from hive_tui.client.live_numbers import LiveNumbers
from hive_tui.client.tool_turn import REMOTE, ToolSettings, run_tool_turn, run_turn
from hive_tui.client.turn import Turn
from hive_tui.errors import HiveError
from hive_tui.tools.builtin import TOOL_NAMES
from hive_tui.tools.calls import ToolCall
from hive_tui.tools.sandbox import sandbox_problem
from hive_tui.tui import context_policy, themes
from hive_tui.tui.bridge import CoreEvents, pump_events
from hive_tui.tui.chat import ChatPane
from hive_tui.tui.chat_actions import ChatActions
from hive_tui.tui.gpu_view import hive_pids
from hive_tui.tui.hardware import HardwarePane
from hive_tui.tui.keys import BINDINGS, PANES
from hive_tui.tui.knowledge import KnowledgeBaseToggle
from hive_tui.tui.peers import PeersPane
from hive_tui.tui.prompt_input import PromptInput
from hive_tui.tui.status_line import StatusFacts, StatusLine, linked_peers
from hive_tui.tui.tool_screens import ConfirmToolCall, ToolsScreen
from hive_tui.tui.vote import VoteView
from hive_tui.tui.workers import WorkersPane

TICK_S = 1.0
MAIN_SCREEN_ACTIONS = {"show_pane", "cycle_strategy", "regenerate", "edit_last", "copy_answer",
                       "copy_code", "toggle_drafts"}


class HiveApp(ChatActions, KnowledgeBaseToggle):
    TITLE = "hive"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    CSS = """
    TabbedContent { height: 1fr; }
    TabbedContent > ContentSwitcher { height: 1fr; }
    TabPane { padding: 0; height: 1fr; }
    Footer { background: $panel; }
    /* Wide terminals put the workers' answers side by side (App CSS: breakpoint classes
       land on the Screen, which a widget's scoped DEFAULT_CSS cannot select). */
    Screen.-wide VoteView #answers { layout: horizontal; }
    Screen.-wide VoteView WorkerAnswer { width: 1fr; height: 1fr; max-height: 100%; }
    /* Notices at the top: at the bottom they covered the prompt and the status line. */
    ToastRack { dock: top; align: right top; margin-bottom: 0; margin-top: 1; }
    """
    # The status line and the peers pane are bound to these (data_bind) and redraw on change.
    peers: reactive[list[PeerRecord]] = reactive(list, always_update=True, init=False)
    status: reactive[StatusFacts | None] = reactive(None, always_update=True, init=False)
    BINDINGS = BINDINGS

    def __init__(self, core: Core, *, store: ConversationStore | None = None,
                 hardware_source: HardwareSource = sample_hardware,
                 hardware_refresh_s: float = 2.0, tick_s: float = TICK_S,
                 tools: ToolSettings | None = None) -> None:
        super().__init__()
        self.core = core
        self.tools = tools or ToolSettings()
        self.store = store or ConversationStore()
        self.hardware_source = hardware_source
        self.hardware_refresh_s = hardware_refresh_s
        self.tick_s = tick_s
        self.strategy = core.info.strategy
        self.conversation = Conversation.new()
        self.turn: Turn | None = None  # the turn in progress
        self.statuses: dict[str, wire.WorkerStatus] = {}
        self.live = LiveNumbers()  # the workers' numbers while answers stream
        self._tick_at = time.monotonic()
        self._repaint = asyncio.Lock()

    def compose(self) -> ComposeResult:
        with TabbedContent(initial="chat"):
            for i, (pane, title) in enumerate(PANES.items(), start=1):
                with TabPane(f"F{i} {title}", id=pane):
                    yield self._pane(pane)
        yield StatusLine(id="status").data_bind(facts=HiveApp.status)
        yield Footer(compact=True)

    def _pane(self, name: str) -> ChatPane | VoteView | WorkersPane | PeersPane | HardwarePane:
        match name:
            case "chat":
                return ChatPane()
            case "vote":
                return VoteView(self.strategy)
            case "workers":
                return WorkersPane(self.live)
            case "peers":
                return PeersPane().data_bind(peers=HiveApp.peers)
            case _:
                return HardwarePane(self.core.info.plan, self.hardware_source,
                                    self.hardware_refresh_s, workers=self._hive_pids)

    def _hive_pids(self) -> dict[int, str]:
        return hive_pids(self.statuses.values(), self.core.info.node_id, self.core.info.address)

    # ------------------------------------------------------------------ lifecycle

    async def on_mount(self) -> None:
        prefs = themes.load_prefs()
        for theme in themes.load_themes():
            self.register_theme(theme)
        self.theme = prefs.theme if prefs.theme in self.available_themes else themes.DEFAULT_THEME
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        self.run_worker(pump_events(self.core, self.post_message), name="bridge", group="bridge")
        await self.core.start()
        self.set_interval(self.tick_s, self._tick)
        self._load_latest_conversation()
        self.query_one(PromptInput).focus()
        self._poll_core()
        self._announce_serving()

    @work(group="serving", exit_on_error=False)
    async def _announce_serving(self) -> None:
        state = await self.core.serving()
        if state is None or not self.is_running:
            return
        if state.problem:
            self.notify(f"not serving: {state.problem}", title="API and federation off",
                        severity="warning", timeout=12)
            return
        joined = " and federation (other nodes can join)" if state.federation else ""
        # The pairing code is the hive secret: shown only on request (palette: Pairing code).
        self.pairing_code = state.pairing_code
        paired = " · new hive secret: ctrl+p → Pairing code" if state.pairing_code else ""
        self.notify(f"Serving the API{joined} on {state.url}{paired}", timeout=6)

    async def on_unmount(self) -> None:
        await self.core.stop()

    # ------------------------------------------------------------------ core events

    async def on_core_events(self, message: CoreEvents) -> None:
        turn_changed = statuses_changed = False
        for event in message.events:
            match event:
                case wire.WorkerStateChanged(status=status):
                    self.statuses[status.worker_id] = status
                    statuses_changed = True
                case wire.TokenEvent(worker_id=worker_id):
                    self.live.token(worker_id)
                case wire.WorkerCrashed(worker_id=worker_id, reason=reason):
                    self.notify(f"{worker_id} crashed: {reason}", severity="error")
                case wire.WorkerRestarted(worker_id=worker_id, restarts=n):
                    self.notify(f"{worker_id} restarted ({n})")
            if self.turn is not None and self.turn.apply(event):
                turn_changed = True
        panes = self.query(WorkersPane)  # events still arrive after the app's panes are gone
        if statuses_changed and panes:
            await panes.first().show_statuses(list(self.statuses.values()))
            self._show_status()
            self._poll_core()  # peers' readiness follows the workers
        if turn_changed and self.turn is not None:
            await self._turn_updated(self.turn)

    async def _turn_updated(self, turn: Turn) -> None:
        # Events and the vote worker both repaint; one at a time, or a late draft hides the answer.
        async with self._repaint:
            await self._repaint_turn(turn)

    async def _repaint_turn(self, turn: Turn) -> None:
        await self.query_one(ChatPane).refresh_turn(turn)
        # A hidden vote view is brought up to date when it is shown (on_tabbed_content_...).
        if self.query_one(TabbedContent).active == "vote" or turn.finished:
            await self.query_one(VoteView).turn_changed(turn)
        if turn.finished and turn is self.turn:
            self.turn = None
            self._show_status()
            self.query_one(PromptInput).set_class(False, "-busy")
            self.refresh_bindings()
            self._save(self.conversation)

    def _tick(self) -> None:
        now = time.monotonic()
        elapsed, self._tick_at = max(now - self._tick_at, 1e-3), now
        rates = self.live.take_rates(elapsed)
        # The timer can fire once more while the app is closing and its panes are gone.
        panes = self.query(WorkersPane)
        if not panes:
            return
        panes.first().push_rates(rates)
        self._poll_core()

    # exit_on_error=False: a poll that lands while the app is closing must not fail the exit.
    @work(group="poll", exclusive=True, exit_on_error=False)
    async def _poll_core(self) -> None:
        try:
            statuses = await self.core.statuses()
            peers = await self.core.peers()
        except HiveError as exc:  # CoreError, and any other error hive explains
            self.notify(str(exc), severity="error", timeout=3)
            return
        if not self.is_running:
            return
        self.peers = peers  # the peers pane follows (data_bind)
        self.statuses = {s.worker_id: s for s in statuses}
        await self.query_one(WorkersPane).show_statuses(statuses)
        self._show_status()

    def _show_status(self) -> None:
        info = self.core.info  # the status line follows (data_bind)
        self.status = StatusFacts(
            node=info.node_name or info.node_id, address=info.address, strategy=self.strategy,
            statuses=tuple(self.statuses.values()), peers=linked_peers(self.peers, info.node_id),
            busy=self.turn is not None, tools=tuple(sorted(self.tools.enabled)))

    # ------------------------------------------------------------------ asking

    async def on_prompt_input_submitted(self, message: PromptInput.Submitted) -> None:
        await self.ask(message.text, replace_last=self.editing_last)

    async def ask(self, text: str, replace_last: bool = False) -> None:
        """Starts a vote on ``text``; ``replace_last``: in place of the last turn (regenerate,
        edit), which comes back if the prompt cannot be asked."""
        if self.turn is not None:
            self.notify("The swarm is still answering; Esc stops it.", severity="warning")
            return
        self.editing_last = False
        turns = self.conversation.turns
        replaced = turns.pop() if replace_last and turns else None
        try:  # a prompt over the context is said now, and no vote is started
            request = self.core.info.request(self.conversation.messages_for(text), self.strategy,
                                             self.kb)
        except HiveError as exc:
            if replaced is not None:
                turns.append(replaced)
            self.notify(str(exc), severity="error", timeout=8)
            return
        if replaced is not None:
            await self.query_one(ChatPane).drop_turn(replaced)
        turn = Turn(request_id=request.request_id, prompt=text, strategy=self.strategy,
                    pending=True)
        self.turn = turn
        self.conversation.add(turn)
        self.query_one(PromptInput).set_class(True, "-busy")
        self.refresh_bindings()
        self._show_status()
        await self.query_one(ChatPane).begin_turn(turn)
        await self.query_one(VoteView).set_turns(self.conversation.turns)
        self.run_worker(self._vote(request, turn), group="vote", exclusive=True)

    async def _vote(self, request: Request, turn: Turn) -> None:
        own = self.core.info.node_id
        try:
            if self.tools.enabled and self.core.runs_tools:
                await run_tool_turn(self.core, turn, request, self.tools, own, self._confirm,
                                    self._turn_updated)
            else:  # with --connect tools stay off: the tools screen and the CLI say why
                await run_turn(self.core, turn, request, own, self._turn_updated)
        except HiveError as exc:  # CoreError, and any other error hive explains
            if not turn.finished:
                turn.error = str(exc)
                await self._turn_updated(turn)
        except asyncio.CancelledError:
            if not turn.finished:
                turn.cancelled = True
                if self.is_running:
                    await self._turn_updated(turn)
            raise

    async def _confirm(self, call: ToolCall, note: str) -> bool:
        """Ask the user about one call, in a modal; a stopped turn takes the modal away."""
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        screen = ConfirmToolCall(call, note)

        def done(allowed: bool | None) -> None:
            if not answer.done():
                answer.set_result(bool(allowed))

        await self.push_screen(screen, done)
        try:
            return await answer
        finally:
            if screen.is_active:
                screen.dismiss(False)

    @work(group="tools", exclusive=True)
    async def action_tools(self) -> None:
        if isinstance(self.screen, ToolsScreen):
            return
        problem = await asyncio.to_thread(sandbox_problem) if self.tools.sandbox else None
        await self.push_screen_wait(ToolsScreen(self.tools, problem, self.core.runs_tools))
        self._show_status()

    def toggle_tool(self, name: str) -> None:
        if not self.core.runs_tools:
            return self.notify(REMOTE, severity="warning")
        on = self.tools.toggle(name)
        self.notify(f"{name} {'on' if on else 'off'} (working folder {self.tools.workdir})",
                    timeout=3)
        self._show_status()

    def action_stop(self) -> None:
        self.workers.cancel_group(self, "vote")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return self.turn is not None
        # A dialog is up: its own keys (F2 renames in the picker) come first.
        return not (action in MAIN_SCREEN_ACTIONS and len(self.screen_stack) > 1)

    # ------------------------------------------------------------------ panes, strategy, theme

    async def action_show_pane(self, pane: str) -> None:
        self.query_one(TabbedContent).active = pane
        target = {"chat": "#prompt", "vote": "#vote-table", "peers": "#peers-table"}.get(pane)
        if target:
            self.query_one(target).focus()
        else:
            self.query_one(WorkersPane if pane == "workers" else HardwarePane).focus()

    async def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "vote":
            await self.query_one(VoteView).show_current()
        elif event.pane.id == "chat":  # a hidden log cannot scroll: catch up with the answer
            self.query_one(ChatPane).follow()

    def action_cycle_strategy(self) -> None:
        self.query_one(VoteView).action_cycle_strategy()

    def on_vote_view_strategy_chosen(self, message: VoteView.StrategyChosen) -> None:
        if message.strategy != self.strategy:
            self.strategy = message.strategy
            self.notify(f"Next turn votes with {self.strategy}", timeout=2)
        self._show_status()

    def set_strategy(self, strategy: str) -> None:
        self.query_one(VoteView).set_strategy(strategy)

    def action_toggle_theme(self) -> None:
        self.theme = "hive-light" if self.theme == "hive-dark" else "hive-dark"

    def _remember_theme(self, theme: object) -> None:
        name = self.theme
        self.run_worker(asyncio.to_thread(themes.save_prefs, themes.Prefs(theme=name)),
                        group="prefs")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        # Textual's "Keys" panel lists the prompt's editing keys first: ours lists the app's.
        yield from (c for c in super().get_system_commands(screen) if c.title != "Keys")
        yield SystemCommand("Keys", "The app's keys, then the prompt's (F10)", self.action_keys)
        yield SystemCommand("Pairing code", "Show the code other machines join with (secret)",
                            self.action_show_pairing)
        yield SystemCommand("New chat", "Start a new conversation", self.action_new_chat)
        yield SystemCommand("Open conversation", "Reopen a saved conversation",
                            self.action_open_chat)
        if self.turn is not None:
            yield SystemCommand("Stop", "Stop the vote in progress", self.action_stop)
        for pane, title in PANES.items():
            yield SystemCommand(f"Show {title}", f"Switch to the {title} pane",
                                lambda pane=pane: self.run_worker(self.action_show_pane(pane)))
        yield from context_policy.context_commands(self.core, self.notify)
        for name in consensus.strategy_names():
            yield SystemCommand(f"Strategy: {name}", "Vote with this strategy from the next turn",
                                lambda name=name: self.set_strategy(name))
        yield SystemCommand("Toggle hive theme", "Switch between hive-dark and hive-light (ctrl+t)",
                            self.action_toggle_theme)
        yield SystemCommand("Tools", "Turn the built-in tools on or off, one by one",
                            self.action_tools)
        for name in TOOL_NAMES:
            state = "on" if name in self.tools.enabled else "off"
            yield SystemCommand(f"Tool {name}: turn {'off' if state == 'on' else 'on'}",
                                f"{name} is {state}; runs in {self.tools.workdir}",
                                lambda name=name: self.toggle_tool(name))


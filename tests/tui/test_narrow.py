"""The app at 80x24, keyboard only: what a reviewer found cut off, crowded or lost there."""

from __future__ import annotations

import dataclasses

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Collapsible, DataTable, Footer, Static
from textual.widgets._footer import FooterKey

from hive_tui.client.core import PeerRecord
from hive_tui.tui.app import HiveApp
from hive_tui.tui.hardware import HardwarePane, no_gpu_summary
from hive_tui.tui.peers import COLUMNS, PeersPane, fit
from hive_tui.tui.status_line import linked_peers
from tests.tui.support import (
    RECORDED_HARDWARE,
    ask,
    scripted_app,
    scripted_core,
    wait_for,
    wait_ready,
)

SIZE = (80, 24)
LONG = " ".join(f"word{i}" for i in range(400))
# What detection says on a machine without a GPU (sample_hardware's notes), and a real plan.
NO_GPU_NOTES = [
    "nvml: NVML unavailable: NVMLError_LibraryNotFound: NVML Shared Library Not Found; "
    "nvidia-smi is not installed (not on PATH)",
    "amd-smi/rocm-smi: amd-smi is not installed (not on PATH); rocm-smi is not installed "
    "(not on PATH)",
    "sycl-ls: sycl-ls is not installed (not on PATH)",
    "sysctl: not macOS",
    "termux: not Termux (TERMUX_VERSION unset)",
]
NO_GPU = dataclasses.replace(RECORDED_HARDWARE, gpus=[], notes=NO_GPU_NOTES)
PLAN = (
    "2 x smollm2-135m-instruct-q4_1 (llama), 1 thread(s) each",
    "memory: CPU only: 23.5 GiB RAM minus a 4 GiB buffer for the OS = 19.5 GiB",
    "19.5 GiB usable calls for 7B Q4_K_M with 3-4 workers",
    "chose smollm2-135m-instruct-q4_1 (135M Q4_1, 0.09 GiB) from embedded",
    "2 worker(s), fewer than 3: limited by CPU cores",
    "1 thread(s) per worker: 2 physical cores shared by 2 workers",
    "CPU only (n_gpu_layers=0)",
)


def peer(name: str, address: str, model: str, state: str = "ok", **kw: object) -> PeerRecord:
    fields: dict = dict(name=name, node_id=name, address=address, workers=3, workers_ready=3,
                        model=model, latency_ms=12.0, last_seen=1000.0, state=state)
    return PeerRecord(**(fields | kw))


class PeersApp(App[None]):
    def compose(self) -> ComposeResult:
        yield PeersPane()


def test_fit_cuts_the_model_then_the_name_then_drops_columns_never_the_address():
    rows = [("●", "a-rather-long-hostname", "3f2a1c", "unavailable", "3/3", "local", "now",
             "192.168.1.23:8420", "qwen2.5-7b-instruct-q4_k_m")]
    columns, (cut,) = fit(rows, 78)
    assert columns == tuple(c for c in COLUMNS if c != "ping")
    assert cut[columns.index("address")] == "192.168.1.23:8420"
    model = cut[columns.index("model")]
    assert model.endswith("…") and len(model) == 8
    assert cut[1].endswith("…") and cut[1].startswith("a-rathe")
    # 60 columns: ping, workers, the model and seen give way; name, id, state, address stay.
    columns, (cut,) = fit(rows, 58)
    assert columns == ("", "name", "id", "state", "address")
    assert cut[2:] == ("3f2a1c", "unavailable", "192.168.1.23:8420")
    assert fit(rows, 200) == (COLUMNS, rows)  # room enough: nothing cut


@pytest.mark.parametrize("size", [SIZE, (60, 20)], ids=["80x24", "60x20"])
async def test_peer_addresses_are_shown_whole_at_80_and_60_columns(size):
    peers = [peer("workstation.lan", "127.0.0.1:8420", "smollm2-135m-instruct-q4_1",
                  latency_ms=None, is_self=True),
             peer("lab-box-with-a-long-name", "192.168.1.23:8420",
                  "qwen2.5-7b-instruct-q4_k_m", state="unavailable")]
    app = PeersApp()
    async with app.run_test(size=size) as pilot:
        app.query_one(PeersPane).show_peers(peers, now=1001.0)
        await pilot.pause()
        table = app.query_one(DataTable)
        labels = [str(c.label) for c in table.columns.values()]
        assert {"name", "id", "state", "address"} <= set(labels)  # never dropped
        address = labels.index("address")
        assert [table.get_row_at(i)[address] for i in range(2)] == [
            "127.0.0.1:8420", "192.168.1.23:8420"]
        # Every column, the address included, fits without scrolling sideways.
        assert table.virtual_size.width <= table.size.width
        assert sum(c.get_render_width(table) for c in table.columns.values()) <= table.size.width


def footer_fits(app: App) -> list[str]:
    """The footer keys that are cut, or hidden under the palette key."""
    keys = list(app.query_one(Footer).query(FooterKey))
    palette = next(k for k in keys if k.has_class("-command-palette"))
    return [f"{k.key_display} {k.description}" for k in keys
            if k is not palette and k.region.right > palette.region.x]


async def test_every_footer_key_is_readable_at_80_columns_idle_and_busy(isolated_dirs):
    app = scripted_app(isolated_dirs, answers=[LONG], token_delay_s=0.05, max_tokens=1000)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        panes = ["f2", "f3", "f4", "f5", "f1"]
        for key in panes:
            await pilot.press(key)
            await pilot.pause(0.1)
            assert footer_fits(app) == [], key
        await ask(pilot, "talk for a long time")
        await wait_for(pilot, lambda: app.turn is not None and app.turn.drafts, what="a draft")
        for key in panes:
            await pilot.press(key)
            await pilot.pause(0.1)
            assert footer_fits(app) == [], f"{key} while busy"
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.turn is None, 10, "the stop")


def test_the_peer_count_leaves_out_this_node():
    me = peer("me", "in-process", "m", is_self=True)
    linked = peer("other", "10.0.0.2:8420", "m", state="degraded")
    dialing = peer("late", "10.0.0.3:8420", "m", state="connecting")
    assert linked_peers([me], "me") == 0
    assert linked_peers([me, linked, dialing], "me") == 1
    # With --connect, the first record is the node connected to (not is_self): not a peer.
    assert linked_peers([peer("me", "http://10.0.0.1:8420", "m"), linked], "me") == 1


async def test_a_node_alone_says_so_on_the_status_line(isolated_dirs):
    app = scripted_app(isolated_dirs)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        status = app.query_one("#status", Static)
        await wait_for(pilot, lambda: app.peers, 10, "the peers")
        await pilot.pause(0.1)
        assert " · no peers" in str(status.content) and "peers 1" not in str(status.content)


def test_no_gpu_is_one_line_naming_the_missing_tools():
    assert no_gpu_summary(NO_GPU_NOTES) == (
        "GPU  none found (nvidia-smi, amd-smi, rocm-smi, sycl-ls not present)")
    assert no_gpu_summary(["no GPU detection in this build"]) == (
        "GPU  none found (no GPU detection in this build)")


async def test_without_a_gpu_the_plan_is_on_screen_and_the_reasons_one_key_away(isolated_dirs):
    core = scripted_core(isolated_dirs)
    core.info = dataclasses.replace(core.info, plan=PLAN)
    app = HiveApp(core, hardware_source=lambda: NO_GPU, hardware_refresh_s=0)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.press("f5")
        pane = app.query_one(HardwarePane)
        no_gpu = app.query_one("#no-gpu", Collapsible)
        await wait_for(pilot, lambda: no_gpu.display, 10, "the sample")
        pane.show(NO_GPU)  # a second sample: the CPU and RAM sparklines show up
        await pilot.pause(0.1)
        title = no_gpu.query_one("CollapsibleTitle")
        assert title.region.height == 1 and "sycl-ls not present" in str(title.content)
        plan = app.query_one("#plan")
        assert pane.max_scroll_y == 0 and plan.region.bottom <= pane.region.bottom
        assert no_gpu.collapsed
        await pilot.press("tab", "enter")  # the summary line takes the focus; Enter opens it
        await wait_for(pilot, lambda: not no_gpu.collapsed, 5, "the details")
        assert "NVMLError_LibraryNotFound" in str(app.query_one("#gpu-probes", Static).content)

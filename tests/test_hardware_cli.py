"""Acceptance: `hive hardware --json` and `hive models --json` as a new user runs them here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import msgspec

from hive_tui.wire import HardwareSummary, ModelCatalog

ROOT = Path(__file__).resolve().parent.parent


def hive(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("HF_", "OLLAMA", "LLAMA_CACHE"))
    }
    env.update(HOME=str(tmp_path), XDG_CACHE_HOME=str(tmp_path / "cache"), PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "hive_tui", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_hardware_json_reports_this_machine_and_plans_the_embedded_model(tmp_path):
    done = hive(["hardware", "--json"], tmp_path)
    assert done.returncode == 0, done.stderr
    summary = msgspec.json.decode(done.stdout, type=HardwareSummary)  # typed round trip
    cpu = summary.report.cpu
    nproc = int(subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout)
    assert cpu.logical_cores == nproc
    mem_total = int(Path("/proc/meminfo").read_text().split()[1]) * 1024
    assert abs(cpu.total_ram_bytes - mem_total) <= 0.01 * mem_total
    sources = {probe.source: probe for probe in summary.report.probes}
    assert sources["psutil"].found
    assert all(probe.reason for probe in summary.report.probes if not probe.found)
    plan = summary.plan
    assert plan.model is not None and plan.model.source == "embedded"
    assert plan.n_gpu_layers == (0 if not summary.report.gpus else plan.n_gpu_layers)
    assert plan.workers * plan.threads_per_worker <= cpu.physical_cores or plan.n_gpu_layers == -1
    assert plan.reasons and plan.budget.explanation


def test_hardware_text_output_names_the_plan(tmp_path):
    done = hive(["hardware"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "CPU:" in done.stdout and "Plan:" in done.stdout and "memory:" in done.stdout


def test_models_json_lists_the_embedded_model(tmp_path):
    done = hive(["models", "--json"], tmp_path)
    assert done.returncode == 0, done.stderr
    catalog = msgspec.json.decode(done.stdout, type=ModelCatalog)
    assert [(m.source, m.name) for m in catalog.models] == [
        ("embedded", "smollm2-135m-instruct-q4_1")
    ]
    assert json.loads(done.stdout)["models"][0]["quantisation"] == "Q4_1"

"""``hive hardware [--json]``: what this machine has and what hive would run on it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import msgspec

GiB = 1024**3


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = subparsers.add_parser(
        "hardware", help="detect GPUs, CPU and memory, and show the plan"
    )
    parser.add_argument("--json", action="store_true", help="print the report and plan as JSON")
    parser.add_argument("--models-dir", type=Path,
                        help="also look for GGUF files here (default: the models_dir setting)")
    parser.set_defaults(handler=run)


def _size(n: int | None) -> str:
    return "?" if n is None else f"{n / GiB:.1f} GiB"


def run(args: argparse.Namespace) -> int:
    from hive_tui.hardware import detect_hardware
    from hive_tui.hardware.plan import plan_hardware, vote_size
    from hive_tui.models.catalog import build_catalog, models_dir
    from hive_tui.wire import HardwareSummary

    report = detect_hardware()
    plan = plan_hardware(report, build_catalog(models_dir=models_dir(args)))
    if args.json:
        sys.stdout.buffer.write(
            msgspec.json.encode(HardwareSummary(report=report, plan=plan)) + b"\n"
        )
        return 0
    cpu = report.cpu
    print(f"Platform: {report.platform}")
    print(
        f"CPU: {cpu.name} ({cpu.physical_cores} physical / {cpu.logical_cores} usable cores)"
        f"  RAM: {_size(cpu.available_ram_bytes)} free of {_size(cpu.total_ram_bytes)}"
    )
    for gpu in report.gpus:
        extra = " unified" if gpu.unified_memory else ""
        temp = f" {gpu.temperature_c:.0f}°C" if gpu.temperature_c is not None else ""
        print(
            f"GPU {gpu.index}: {gpu.vendor} {gpu.name} ({gpu.backend}{extra})"
            f"  {_size(gpu.free_memory_bytes)} free of {_size(gpu.total_memory_bytes)}{temp}"
        )
    for probe in report.probes:
        if not probe.found:
            print(f"  - {probe.source}: {probe.reason}")
    print()
    model = plan.model.name if plan.model else "none"
    print(
        f"Plan: {plan.workers} worker(s) x {plan.threads_per_worker} thread(s), model {model}, "
        f"n_gpu_layers={plan.n_gpu_layers}, context {plan.context_length}, "
        f"{_size(plan.per_worker_bytes)} per worker"
    )
    for reason in plan.reasons:
        print(f"  - {reason}")
    workers, why = vote_size(plan, batching=True)
    if why:
        print(f"Vote: {workers} workers with the llama.cpp backend")
        print(f"  - {why}")
    _sharing(plan.budget.usable_bytes)
    return 0


def _sharing(usable_bytes: int) -> None:
    """Lending and splitting across the hive (docs/federation.md, "Lending memory")."""
    from hive_tui.backends.ggml_rpc import rpc_available

    if not rpc_available():
        print("Split: this llama.cpp has no RPC backend (./install.sh builds it in)")
        return
    print(f"Split: a model over {_size(usable_bytes)} is split across lenders linked to this "
          "node (--split auto; see /health)")
    print(f"Lend: hive --node --lend offers {_size(usable_bytes)} to the hive's borrowers")

"""``hive doctor``: does the llama.cpp backend actually run here? (embedded model, 4 tokens)

It runs in a worker child process like any real worker, so a build that dies on this CPU
(illegal instruction) is reported with the fix instead of taking this process down.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from hive_tui import wire
from hive_tui.backends.process import WorkerDied, WorkerProcess
from hive_tui.embedded_model import embedded_model_path

ILLEGAL_INSTRUCTION_HINT = (
    "llama.cpp was built for CPU features this machine does not have (illegal instruction). "
    "Rebuild it portably: ./install.sh (or: pip cache remove 'llama_cpp_python*' && "
    "CMAKE_ARGS='-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON' "
    "pip install --force-reinstall --no-deps --no-cache-dir llama-cpp-python)"
)


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    p = sub.add_parser("doctor", help="check that the llama.cpp backend runs on this machine")
    p.add_argument("--quiet", action="store_true", help="print only problems")
    p.add_argument(
        "--build-has",
        metavar="FEATURE",
        help="only say (exit status 0/1) whether llama.cpp was built with FEATURE, e.g. AMX_INT8",
    )
    p.set_defaults(handler=run)


def build_features() -> set[str]:
    """The CPU features the installed llama.cpp was compiled for ("AVX2", "AMX_INT8", ...),
    and "RPC" when it has ggml's RPC backend."""
    import llama_cpp  # loading the library runs no kernels, so this is safe in-process

    from hive_tui.backends.ggml_rpc import rpc_available

    info = llama_cpp.llama_print_system_info().decode("utf-8", "replace")
    features = {
        name.strip()
        for part in info.replace("CPU :", "|").split("|")
        if "=" in part
        for name, value in [part.split("=", 1)]
        if value.strip() == "1"
    }
    if rpc_available():  # ggml's RPC backend: lending and splitting models (--lend, --split)
        features.add("RPC")
    return features


def cpu_flags(path: str = "/proc/cpuinfo") -> set[str]:
    try:
        with open(path, encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def unused_cpu_features(built: set[str], flags: set[str]) -> list[str]:
    """Fast paths this CPU offers that the build leaves unused (named as llama.cpp names them)."""
    offers = {"AMX_INT8": "amx_int8"}  # the one install.sh builds for when the CPU has it
    return [name for name, flag in offers.items() if flag in flags and name not in built]


async def check() -> str:
    proc = WorkerProcess("llama", 0)
    try:
        await proc.start(wire.Load(model_path=str(embedded_model_path()), n_ctx=256, n_threads=1))
        request = wire.Generate(
            "doctor",
            [wire.ChatMessage("user", "Say hello.")],
            wire.SamplingParams(temperature=0.0, max_tokens=4),
        )
        async for frame in proc.generate(request):
            if isinstance(frame, wire.Done):
                return f"ok: {frame.completion_tokens} tokens in {frame.gen_s:.2f}s"
            if isinstance(frame, wire.WorkerError):
                raise WorkerDied(frame.message)
        raise WorkerDied("no answer")
    finally:
        await proc.stop()


def run(args: argparse.Namespace) -> int:
    if args.build_has:
        return 0 if args.build_has in build_features() else 1
    try:
        message = asyncio.run(check())
    except (WorkerDied, OSError) as exc:
        text = str(exc)
        if f"signal {int(signal.SIGILL)}" in text:
            text = f"{text}\n{ILLEGAL_INSTRUCTION_HINT}"
        print(f"hive doctor: the llama backend failed: {text}")
        return 1
    if not args.quiet:
        print(f"hive doctor: llama backend {message}")
        unused = unused_cpu_features(build_features(), cpu_flags())
        if unused:
            print(
                f"hive doctor: this CPU has {', '.join(unused)}, which the llama.cpp build does "
                "not use; ./install.sh rebuilds it for them"
            )
    return 0

"""`hive doctor`: the real backend runs in a worker, and the build is held against the CPU."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hive_tui.commands.doctor import build_features, cpu_flags, unused_cpu_features


@pytest.mark.model
def test_doctor_runs_the_embedded_model_in_a_worker():
    done = subprocess.run(
        [sys.executable, "-m", "hive_tui", "doctor"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "hive doctor: llama backend ok: 4 tokens in" in done.stdout


def test_build_features_name_what_the_installed_llama_cpp_was_compiled_for():
    import llama_cpp

    from hive_tui.backends.ggml_rpc import rpc_available

    features = build_features()
    info = llama_cpp.llama_print_system_info().decode()
    cpu = features - {"RPC"}  # RPC is a backend, not a CPU feature the library prints
    assert cpu and all(f"{name} = 1" in info for name in cpu)
    assert ("RPC" in features) == rpc_available()
    # install.sh builds at least the portable AVX2 baseline on x86-64
    if "avx2" in cpu_flags():
        assert "AVX2" in features


def test_build_has_answers_by_exit_status():
    def has(feature: str) -> int:
        argv = [sys.executable, "-m", "hive_tui", "doctor", "--build-has", feature]
        return subprocess.run(argv, capture_output=True, timeout=60).returncode

    assert has(sorted(build_features())[0]) == 0
    assert has("NO_SUCH_FEATURE") == 1


def test_unused_amx_is_named_and_nothing_else(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512_vnni amx_tile amx_int8\n")
    flags = cpu_flags(str(cpuinfo))
    assert {"avx2", "amx_int8"} <= flags
    assert unused_cpu_features({"AVX2"}, flags) == ["AMX_INT8"]
    assert unused_cpu_features({"AVX2", "AMX_INT8"}, flags) == []
    assert unused_cpu_features({"AVX2"}, {"avx2", "avx512_vnni"}) == []
    assert cpu_flags(str(tmp_path / "missing")) == set()

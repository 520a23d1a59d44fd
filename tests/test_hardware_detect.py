"""The thin runners, with real child processes standing in for missing, failing, hanging and
lying tools."""

from __future__ import annotations

import os
import stat
import sys
import time
from pathlib import Path

import pytest

from hive_tui.hardware import amd, apple, intel, nvidia, termux
from hive_tui.hardware.detect import detect_hardware
from hive_tui.hardware.runner import run_tool
from hive_tui.wire import ProbeResult

pytestmark = pytest.mark.process  # fake vendor tools run as real processes

FIXTURES = Path(__file__).parent / "fixtures" / "hardware"


@pytest.fixture
def fake_bin(tmp_path, monkeypatch):
    """A PATH holding only the scripts a test writes (plus the basics sh needs)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin")

    def write(name: str, body: str) -> Path:
        script = bin_dir / name
        script.write_text("#!/bin/sh\n" + body + "\n")
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
        return script

    return write


def test_missing_tool_is_a_reason(fake_bin):
    run = run_tool(["rocm-smi", "--json"])
    assert not run.ok and "not installed" in run.reason
    result = amd.probe_amd()
    assert result == ProbeResult(
        source="amd-smi/rocm-smi",
        found=False,
        reason=f"amd-smi is not installed (not on PATH); {run.reason}",
    )


def test_failing_tool_reports_its_status_and_stderr(fake_bin):
    fake_bin("rocm-smi", 'echo "ERROR: No AMD GPUs specified" >&2; exit 2')
    result = amd.probe_amd()
    assert not result.found
    assert "status 2" in result.reason and "No AMD GPUs" in result.reason


def test_hanging_tool_times_out(fake_bin):
    fake_bin("sycl-ls", "sleep 30")
    started = time.monotonic()
    result = intel.probe_intel(timeout_s=0.5)
    assert time.monotonic() - started < 5
    assert not result.found and "did not answer within 0.5 s" in result.reason


def test_garbage_output_is_a_clean_not_found(fake_bin):
    fake_bin("rocm-smi", 'echo \'{"card0": {"VRAM Total\'')
    result = amd.probe_amd()
    assert not result.found and "rocm-smi" in result.source
    assert "garbled output: rocm-smi JSON does not parse" in result.reason


def test_recorded_output_through_a_fake_tool(fake_bin):
    fake_bin("rocm-smi", f"cat '{FIXTURES / 'amd-rx7900xt' / 'rocm-smi.json'}'")
    result = amd.probe_amd()
    assert result.found and result.devices[0].name == "Radeon RX 7900 XT"


def _fake_amd_smi(fake_bin, static: str, metric: str) -> None:
    fake_bin(
        "amd-smi",
        f'case "$1" in static) {static} ;; metric) {metric} ;; *) exit 2 ;; esac',
    )


def test_amd_smi_is_preferred_where_present(fake_bin):
    folder = FIXTURES / "amd-smi-synthetic"
    _fake_amd_smi(fake_bin, f"cat '{folder / 'static.json'}'", f"cat '{folder / 'metric.txt'}'")
    fake_bin("rocm-smi", f"cat '{FIXTURES / 'amd-rx7900xt' / 'rocm-smi.json'}'")
    result = amd.probe_amd()
    assert result.source == "amd-smi" and result.found
    assert [d.name for d in result.devices] == ["AMD Radeon RX 7900 XTX", "AMD GPU 1"]


def test_a_failing_amd_smi_falls_back_to_rocm_smi(fake_bin):
    _fake_amd_smi(fake_bin, "echo 'AMDSMI_STATUS_INIT_ERROR' >&2; exit 1", "exit 1")
    fake_bin("rocm-smi", f"cat '{FIXTURES / 'amd-rx7900xt' / 'rocm-smi.json'}'")
    result = amd.probe_amd()
    assert result.source == "rocm-smi" and result.devices[0].name == "Radeon RX 7900 XT"


def test_amd_smi_garbage_and_no_rocm_smi_give_both_reasons(fake_bin):
    _fake_amd_smi(fake_bin, "echo '[{\"gpu\": 0, '", "echo '[]'")
    result = amd.probe_amd()
    assert not result.found
    assert result.reason.startswith("garbled output: amd-smi static JSON does not parse")
    assert result.reason.endswith("rocm-smi is not installed (not on PATH)")


def test_nvidia_falls_back_to_nvidia_smi_when_nvml_is_unusable(fake_bin, monkeypatch):
    def no_nvml(timeout_s):
        raise OSError("NVML Shared Library Not Found")

    monkeypatch.setattr(nvidia, "_read_nvml_with_timeout", no_nvml)
    assert "NVML unavailable" in nvidia.probe_nvidia().reason  # and nvidia-smi is missing
    fake_bin("nvidia-smi", f"cat '{FIXTURES / 'nvidia-h200' / 'nvidia-smi-q.xml'}'")
    result = nvidia.probe_nvidia()
    assert result.source == "nvidia-smi" and result.found
    assert result.devices[0].name == "NVIDIA H200"


def test_nvml_on_a_machine_without_an_nvidia_driver_is_a_reason(fake_bin):
    result = nvidia.probe_nvidia()  # this test machine has no NVIDIA driver
    if result.found:
        pytest.skip("an NVIDIA GPU is present")
    assert result.reason and "nvidia-smi is not installed" in result.reason


def test_termux_and_apple_only_run_where_they_apply(fake_bin, tmp_path):
    assert termux.probe_termux(env={}).reason == "not Termux (TERMUX_VERSION unset)"
    fake_bin("getprop", f"cat '{FIXTURES / 'termux-galaxy-z-flip4' / 'getprop.txt'}'")
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:        7812345 kB\nMemAvailable:    3000000 kB\n")
    result = termux.probe_termux(env={"TERMUX_VERSION": "0.118.0"}, meminfo_path=meminfo)
    assert result.found and result.devices[0].vendor == "qualcomm"
    if sys.platform != "darwin":
        assert apple.probe_apple().reason == "not macOS"


def test_a_crashing_probe_does_not_take_detection_down():
    def broken_probe() -> ProbeResult:
        raise RuntimeError("bug in a detector")

    report = detect_hardware(probes=[broken_probe])
    [failed, cpu] = report.probes
    assert not failed.found and "RuntimeError: bug in a detector" in failed.reason
    assert cpu.source == "psutil" and cpu.found
    assert report.gpus == []


def test_this_machine_cpu_and_ram():
    report = detect_hardware(probes=[])
    assert report.cpu.logical_cores == len(os.sched_getaffinity(0))
    assert 1 <= report.cpu.physical_cores <= report.cpu.logical_cores
    meminfo_total = int(Path("/proc/meminfo").read_text().split()[1]) * 1024
    assert abs(report.cpu.total_ram_bytes - meminfo_total) <= meminfo_total * 0.01
    assert 0 < report.cpu.available_ram_bytes <= report.cpu.total_ram_bytes

"""Each detection parser on real recorded output, and on broken output."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import msgspec
import pytest

from hive_tui.hardware.amd import parse_rocm_smi_json
from hive_tui.hardware.amd_smi import parse_amd_smi
from hive_tui.hardware.apple import apple_silicon_device, parse_sysctl, performance_cores
from hive_tui.hardware.cpu import cpu_model_name, lscpu_physical_cores, parse_lscpu, parse_meminfo
from hive_tui.hardware.intel import parse_sycl_ls
from hive_tui.hardware.nvidia import (
    parse_nvidia_smi_xml,
    parse_nvml_snapshot,
    read_nvml_snapshot,
)
from hive_tui.hardware.runner import ParseError
from hive_tui.hardware.termux import parse_getprop, phone_device
from hive_tui.wire import Device

FIXTURES = Path(__file__).parent / "fixtures" / "hardware"
GiB = 1024**3


def text(relative: str) -> str:
    return (FIXTURES / relative).read_text()


# ------------------------------------------------------------------ NVIDIA


def test_nvml_snapshot_of_the_h200():
    [gpu] = parse_nvml_snapshot(json.loads(text("nvidia-h200/nvml_h.json")))
    assert gpu.vendor == "nvidia" and gpu.name == "NVIDIA H200" and gpu.backend == "cuda"
    assert gpu.total_memory_bytes == 150754820096
    assert gpu.free_memory_bytes == 150109880320
    assert gpu.temperature_c == 36 and gpu.utilisation_percent == 0
    assert gpu.unified_memory is False


def test_nvml_snapshot_of_two_gpus_with_an_unsupported_field():
    gpus = parse_nvml_snapshot(json.loads(text("nvidia-2x-rtx4090-synthetic/nvml.json")))
    assert [g.index for g in gpus] == [0, 1]
    assert gpus[1].free_memory_bytes == 4 * GiB
    assert gpus[1].temperature_c is None  # {"error": "NotSupported"} is unknown, not a crash
    assert gpus[1].utilisation_percent == 97


def test_nvml_snapshot_of_the_h200_has_power_and_no_processes():
    [gpu] = parse_nvml_snapshot(json.loads(text("nvidia-h200/nvml_h.json")))
    # The recording holds power in milliwatts; the device carries watts.
    assert gpu.power_watts == pytest.approx(125.169)
    assert gpu.power_limit_watts == pytest.approx(700.0)
    assert gpu.memory_utilisation_percent == 0
    assert gpu.processes == []  # the box was idle when it was recorded


def test_nvml_snapshot_processes_and_a_refused_power_reading():
    idle, busy = parse_nvml_snapshot(json.loads(text("nvidia-2x-rtx4090-synthetic/nvml.json")))
    assert idle.power_watts == pytest.approx(31.25) and idle.power_limit_watts == 450
    assert busy.power_watts is None and busy.power_limit_watts == 450
    assert busy.memory_utilisation_percent == 60
    assert [(p.pid, p.used_memory_bytes) for p in busy.processes] == [
        (4242, 20401094656),
        (1187, None),  # the driver would not say how much
    ]


def test_the_device_with_processes_round_trips_and_an_older_report_still_decodes():
    [gpu] = parse_nvml_snapshot(json.loads(text("nvidia-2x-rtx4090-synthetic/nvml.json")))[1:]
    assert msgspec.json.decode(msgspec.json.encode(gpu), type=Device) == gpu
    old = {"vendor": "nvidia", "name": "NVIDIA H200", "total_memory_bytes": 1}
    decoded = msgspec.json.decode(msgspec.json.encode(old), type=Device)
    assert decoded.processes == [] and decoded.power_watts is None


def test_nvidia_smi_xml_reads_power_on_two_driver_generations():
    [h200] = parse_nvidia_smi_xml(text("nvidia-h200/nvidia-smi-q.xml"))
    assert (h200.power_watts, h200.power_limit_watts) == (125.10, 700.0)
    assert h200.processes == []
    first, second = parse_nvidia_smi_xml(text("nvidia-2x-rtx2080/nvidia-smi-q.xml"))
    assert (first.power_watts, second.power_watts) == (1.0, 1.62)
    assert first.power_limit_watts == second.power_limit_watts == 215.0


def test_nvidia_smi_xml_agrees_with_nvml_on_the_same_box():
    [gpu] = parse_nvidia_smi_xml(text("nvidia-h200/nvidia-smi-q.xml"))
    assert gpu.name == "NVIDIA H200"
    assert gpu.total_memory_bytes == 143771 * 1024 * 1024
    assert gpu.free_memory_bytes == 143156 * 1024 * 1024
    assert gpu.temperature_c == 36
    # NVML counts reserved memory too; the two sources agree within 2%.
    [nvml] = parse_nvml_snapshot(json.loads(text("nvidia-h200/nvml_h.json")))
    assert abs(gpu.total_memory_bytes - nvml.total_memory_bytes) / nvml.total_memory_bytes < 0.02


def test_nvidia_smi_xml_of_a_recorded_two_gpu_box():
    gpus = parse_nvidia_smi_xml(text("nvidia-2x-rtx2080/nvidia-smi-q.xml"))
    assert [(g.index, g.name) for g in gpus] == [
        (0, "NVIDIA GeForce RTX 2080"),
        (1, "NVIDIA GeForce RTX 2080"),
    ]
    for gpu in gpus:
        assert gpu.total_memory_bytes == 8192 * 1024 * 1024
        assert gpu.free_memory_bytes == 7786 * 1024 * 1024  # the 406 MiB reserved is not free
        assert gpu.temperature_c == 15 and gpu.utilisation_percent == 0
        assert gpu.backend == "cuda" and gpu.unified_memory is False


@pytest.mark.parametrize("broken", [{}, {"devices": "x"}, {"devices": [{"memory": {}}]}, [], None])
def test_nvml_snapshot_garbage_is_a_parse_error(broken):
    with pytest.raises(ParseError):
        parse_nvml_snapshot(broken)


@pytest.mark.parametrize(
    "body", ["", "not xml", text("broken/nvidia-smi-q-truncated.xml"), "<other/>"]
)
def test_nvidia_smi_xml_broken(body):
    with pytest.raises(ParseError):
        parse_nvidia_smi_xml(body)


# ------------------------------------------------------------------ AMD


def test_rocm_smi_rx7900xt():
    [gpu] = parse_rocm_smi_json(text("amd-rx7900xt/rocm-smi.json"))
    assert gpu.vendor == "amd" and gpu.backend == "rocm"
    assert gpu.name == "Radeon RX 7900 XT"
    assert gpu.total_memory_bytes == 21458059264
    assert gpu.free_memory_bytes == 21458059264 - 27856896
    assert gpu.utilisation_percent == 0
    assert gpu.unified_memory is False


def test_rocm_smi_two_rx6800_with_old_key_names():
    gpus = parse_rocm_smi_json(text("amd-2x-rx6800/rocm-smi-memuse.json"))
    assert [g.index for g in gpus] == [0, 1]
    assert all(g.total_memory_bytes == 17163091968 for g in gpus)
    assert gpus[1].free_memory_bytes == 17163091968 - 17457152
    assert gpus[0].name == "AMD GPU card0"  # that output had no product name


def test_rocm_smi_warning_lines_before_json_are_skipped():
    noisy = "WARNING: AMD GPU device(s) is/are in a low-power state.\n" + text(
        "amd-rx7900xt/rocm-smi.json"
    )
    assert parse_rocm_smi_json(noisy)[0].name == "Radeon RX 7900 XT"


@pytest.mark.parametrize(
    "body",
    [
        "",
        "[]",
        '{"system": {}}',
        text("broken/rocm-smi-truncated.json"),
        text("broken/rocm-smi-error.txt"),
    ],
)
def test_rocm_smi_broken(body):
    with pytest.raises(ParseError):
        parse_rocm_smi_json(body)


def test_amd_smi_static_and_metric_are_joined_per_gpu():
    busy, quiet = parse_amd_smi(
        text("amd-smi-synthetic/static.json"), text("amd-smi-synthetic/metric.txt")
    )
    assert busy.name == "AMD Radeon RX 7900 XTX" and busy.index == 0 and busy.backend == "rocm"
    assert busy.total_memory_bytes == 24560 * 1024**2
    assert busy.free_memory_bytes == 4080 * 1024**2
    assert busy.utilisation_percent == 97 and busy.temperature_c == 71
    # "N/A" everywhere live: the VRAM size comes from `static`, the rest is unknown, no crash
    assert quiet.name == "AMD GPU 1" and quiet.total_memory_bytes == 16368 * 1024**2
    assert quiet.free_memory_bytes == (16368 - 368) * 1024**2
    assert quiet.utilisation_percent is None and quiet.temperature_c is None


@pytest.mark.parametrize(
    "static, metric",
    [
        ("", "[]"),
        ("WARNING: no GPUs", "[]"),
        ('{"gpu_data": []}', "[]"),
        ('[{"asic": {}}]', "[]"),
        (text("amd-smi-synthetic/static.json")[:200], "[]"),
        ('[{"gpu": 0}]', '{"gpu_data": "N/A"}'),
    ],
)
def test_amd_smi_broken(static, metric):
    with pytest.raises(ParseError):
        parse_amd_smi(static, metric)


# ------------------------------------------------------------------ Intel


def test_sycl_ls_new_format_keeps_the_level_zero_gpu_once():
    [gpu] = parse_sycl_ls(text("intel-arc-a750/sycl-ls.txt"))
    assert gpu.vendor == "intel" and gpu.backend == "sycl"
    assert gpu.name == "Intel(R) Arc(TM) A750 Graphics"
    assert gpu.unified_memory is False
    assert gpu.total_memory_bytes is None  # sycl-ls does not print memory


def test_sycl_ls_old_format_discrete_and_integrated():
    gpus = parse_sycl_ls(text("intel-arc-a770-uhd630/sycl-ls.txt"))
    assert [g.name for g in gpus] == [
        "Intel(R) Arc(TM) A770 Graphics",
        "Intel(R) UHD Graphics 630",
    ]
    assert [g.unified_memory for g in gpus] == [False, True]


def test_sycl_ls_cpu_only_lists_no_gpu():
    assert parse_sycl_ls(text("intel-no-gpu/sycl-ls.txt")) == []


@pytest.mark.parametrize("body", ["", "No platforms found.\n", "[garbage"])
def test_sycl_ls_broken(body):
    with pytest.raises(ParseError):
        parse_sycl_ls(body)


# ------------------------------------------------------------------ Apple


def test_sysctl_m2_pro():
    values = parse_sysctl(text("apple-m2-pro/sysctl.txt"))
    device = apple_silicon_device(values)
    assert device.vendor == "apple" and device.name == "Apple M2 Pro"
    assert device.total_memory_bytes == 16 * GiB
    assert device.unified_memory is True and device.backend == "metal"
    assert performance_cores(values) == (8, 4)


def test_sysctl_m1_pro_excerpt_without_memsize_is_not_a_crash():
    values = parse_sysctl(text("apple-m1-pro/sysctl.txt"))
    assert performance_cores(values) == (8, 2)
    with pytest.raises(ParseError, match="not Apple Silicon|hw.memsize"):
        apple_silicon_device(values)


def test_sysctl_intel_mac_is_not_apple_silicon():
    values = parse_sysctl(
        "machdep.cpu.brand_string: Intel(R) Core(TM) i7-3820QM CPU @ 2.70GHz\n"
        "hw.memsize: 17179869184\nsysctl: unknown oid 'hw.perflevel0.physicalcpu'\n"
    )
    assert "sysctl" not in values  # the error line is not a key
    with pytest.raises(ParseError, match="not Apple Silicon"):
        apple_silicon_device(values)


def test_sysctl_garbage():
    assert parse_sysctl("") == {}
    with pytest.raises(ParseError):
        apple_silicon_device(parse_sysctl("machdep.cpu.brand_string: Apple M1\nhw.memsize: lots\n"))


# ------------------------------------------------------------------ Termux / Android


def test_getprop_snapdragon_phone():
    props = parse_getprop(text("termux-galaxy-z-flip4/getprop.txt"))
    assert props["ro.soc.model"] == "SM8475"
    device = phone_device(props, "MemTotal:        7812345 kB\nMemAvailable:    3000000 kB\n")
    assert device.vendor == "qualcomm"
    assert device.name == "SM8475"
    assert device.total_memory_bytes == 7812345 * 1024
    assert device.free_memory_bytes == 3000000 * 1024
    assert device.unified_memory is True


def test_getprop_phone_without_soc_keys():
    props = parse_getprop(text("termux-asus-x86/getprop.txt"))
    assert props["sys.foregroundapp"] == "com.termux"
    device = phone_device(props, text("nvidia-h200/meminfo.txt"))
    assert device.vendor == "android" and device.name == "unknown SoC"


def test_getprop_broken():
    with pytest.raises(ParseError):
        phone_device(parse_getprop("getprop: not found\n"), "MemTotal: 1 kB\n")
    with pytest.raises(ParseError):
        phone_device({"ro.soc.model": "SM8475"}, "")


# ------------------------------------------------------------------ CPU text files


def test_meminfo_and_lscpu_of_the_h200_box():
    meminfo = parse_meminfo(text("nvidia-h200/meminfo.txt"))
    assert meminfo["MemTotal"] == 131981020 * 1024
    assert meminfo["MemAvailable"] == 131434584 * 1024
    assert meminfo["HugePages_Total"] == 0  # unitless lines are kept as plain numbers
    lscpu = parse_lscpu(text("nvidia-h200/lscpu.txt"))
    assert lscpu["Model name"] == "Intel(R) Xeon(R) Processor"
    assert lscpu_physical_cores(lscpu) == 16
    # and the psutil figures recorded on the same box agree
    psutil_side = json.loads(text("nvidia-h200/nvml_h.json"))["psutil"]
    assert psutil_side["cpu_count_physical"] == 16
    assert psutil_side["virtual_memory"]["total"] == meminfo["MemTotal"]


def test_cpu_text_garbage():
    assert parse_meminfo("") == {}
    assert parse_meminfo("MemTotal: lots\n") == {}
    with pytest.raises(ParseError):
        parse_lscpu("")
    with pytest.raises(ParseError):
        lscpu_physical_cores({"CPU(s)": "4"})
    assert cpu_model_name("processor\t: 0\nmodel name\t: AMD EPYC 7B13\n") == "AMD EPYC 7B13"
    assert cpu_model_name("") is None


class ReplayedNvml:
    """Stands in for the pynvml module (no GPU here): answers NVML's calls with the values of
    a recorded snapshot, so ``read_nvml_snapshot`` is checked to write what the parser reads."""

    NVML_TEMPERATURE_GPU = 0

    class NVMLError(Exception):
        pass

    def __init__(self, device: dict, compute: list, graphics: list | None) -> None:
        self.device, self.compute, self.graphics = device, compute, graphics

    def _value(self, key: str):
        value = self.device[key]
        if isinstance(value, dict) and "error" in value:
            raise self.NVMLError(value["error"])
        return value

    def nvmlInit(self): pass
    def nvmlShutdown(self): pass
    def nvmlDeviceGetCount(self): return 1
    def nvmlDeviceGetHandleByIndex(self, index): return index
    def nvmlDeviceGetName(self, handle): return self.device["name"].encode()
    def nvmlDeviceGetMemoryInfo(self, handle):
        return SimpleNamespace(**self.device["memory"])
    def nvmlDeviceGetUtilizationRates(self, handle):
        return SimpleNamespace(**self.device["utilization"])
    def nvmlDeviceGetTemperature(self, handle, sensor): return self._value("temperature_c")
    def nvmlDeviceGetPowerUsage(self, handle): return self._value("power_mw")
    def nvmlDeviceGetEnforcedPowerLimit(self, handle): return self._value("power_limit_mw")
    def nvmlDeviceGetComputeRunningProcesses(self, handle): return self.compute
    def nvmlDeviceGetGraphicsRunningProcesses(self, handle):
        if self.graphics is None:  # as on a headless datacentre card
            raise self.NVMLError("NVMLError_NotSupported: Not Supported")
        return self.graphics


def test_what_nvml_is_asked_for_is_what_the_parser_reads():
    [recorded] = json.loads(text("nvidia-h200/nvml_h.json"))["devices"]
    [expected] = parse_nvml_snapshot({"devices": [recorded]})
    snapshot = read_nvml_snapshot(ReplayedNvml(recorded, [], None))
    assert parse_nvml_snapshot(snapshot) == [expected]
    assert expected.power_watts == pytest.approx(125.169)


def test_a_process_nvml_lists_twice_is_kept_once_and_hidden_memory_is_unknown():
    busy = json.loads(text("nvidia-2x-rtx4090-synthetic/nvml.json"))["devices"][1]
    compute = [SimpleNamespace(pid=4242, usedGpuMemory=20401094656),
               SimpleNamespace(pid=1187, usedGpuMemory=None)]
    [device] = parse_nvml_snapshot(read_nvml_snapshot(ReplayedNvml(busy, compute, [compute[1]])))
    assert [(p.pid, p.used_memory_bytes) for p in device.processes] == [
        (4242, 20401094656), (1187, None)]
    assert device.power_watts is None  # NVML refused it: unknown, and the rest still read
    assert device.power_limit_watts == 450

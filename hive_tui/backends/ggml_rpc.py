"""ggml's RPC backend through ctypes, from the libraries llama-cpp-python ships.

No separate binary: the lender's child calls ``ggml_backend_rpc_start_server`` and the borrower
registers each tunnel entrance with ``ggml_backend_rpc_add_server`` + ``ggml_backend_register``
(what llama.cpp's ``--rpc`` flag does), after which llama.cpp's default device selection puts
the RPC devices first and splits offloaded layers across them by their free memory.

Only present when llama-cpp-python was built with ``-DGGML_RPC=ON`` (install.sh does that);
``rpc_library()`` is None otherwise.
"""

from __future__ import annotations

import ctypes
import functools
import sys
from pathlib import Path

from hive_tui.errors import HiveError

START_SERVER = "ggml_backend_rpc_start_server"
# enum ggml_backend_dev_type in ggml-backend.h
DEVICE_CPU, DEVICE_GPU, DEVICE_IGPU, DEVICE_ACCEL = 0, 1, 2, 3


def _lib_dir() -> Path | None:
    import importlib.util

    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "lib"


def _names(stem: str) -> list[str]:
    if sys.platform == "darwin":
        return [f"lib{stem}.0.dylib", f"lib{stem}.dylib"]
    if sys.platform == "win32":
        return [f"{stem}.dll"]
    # The soname first: wheels hold lib*.so and lib*.so.0 as two copies of one file (no
    # symlinks), and only the copy libllama linked is the registry llama.cpp reads.
    return [f"lib{stem}.so.0", f"lib{stem}.so"]


def _load(stem: str) -> ctypes.CDLL | None:
    folder = _lib_dir()
    if folder is None:
        return None
    for name in _names(stem):
        if (folder / name).exists():
            try:
                # RTLD_LOCAL, as llama-cpp-python loads them: global, ggml's gguf_* symbols
                # would shadow those of other libraries loaded later (MLX's GGUF reader).
                return ctypes.CDLL(str(folder / name))
            except OSError:
                return None
    return None


@functools.cache
def rpc_library() -> ctypes.CDLL | None:
    """The library exposing ggml's RPC backend, or None when it was built without it."""
    import llama_cpp  # noqa: F401 - loads libggml and friends first, as llama.cpp expects

    for stem in ("ggml-rpc", "ggml"):
        lib = _load(stem)
        if lib is not None and hasattr(lib, START_SERVER):
            return lib
    return None


def rpc_available() -> bool:
    return rpc_library() is not None


@functools.cache
def _ggml() -> ctypes.CDLL:
    lib = _load("ggml")
    if lib is None:
        raise OSError("libggml not found next to llama_cpp")
    lib.ggml_backend_dev_count.restype = ctypes.c_size_t
    lib.ggml_backend_dev_get.restype = ctypes.c_void_p
    lib.ggml_backend_dev_get.argtypes = [ctypes.c_size_t]
    lib.ggml_backend_dev_type.restype = ctypes.c_int
    lib.ggml_backend_dev_type.argtypes = [ctypes.c_void_p]
    lib.ggml_backend_dev_by_type.restype = ctypes.c_void_p
    lib.ggml_backend_dev_by_type.argtypes = [ctypes.c_int]
    lib.ggml_backend_register.restype = None
    lib.ggml_backend_register.argtypes = [ctypes.c_void_p]
    return lib


def lendable_devices(cpu_only: bool = False) -> list[int]:
    """Accelerators if there are any (as llama.cpp's rpc-server picks), else the CPU."""
    ggml = _ggml()
    found: list[int] = []
    if not cpu_only:
        for i in range(ggml.ggml_backend_dev_count()):
            dev = ggml.ggml_backend_dev_get(i)
            if ggml.ggml_backend_dev_type(dev) in (DEVICE_GPU, DEVICE_IGPU):
                found.append(dev)
    if not found:
        cpu = ggml.ggml_backend_dev_by_type(DEVICE_CPU)
        if cpu:
            found.append(cpu)
    return found


def start_server(endpoint: str, threads: int, cpu_only: bool = False) -> None:
    """Serve ggml RPC on ``endpoint`` (host:port) until the process ends; never returns
    unless the server could not start."""
    lib = rpc_library()
    if lib is None:
        raise OSError("llama-cpp-python was built without GGML_RPC (run ./install.sh)")
    devices = lendable_devices(cpu_only)
    array = (ctypes.c_void_p * len(devices))(*devices)
    fn = getattr(lib, START_SERVER)
    fn.restype = None
    fn.argtypes = [
        ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_void_p,
    ]
    fn(endpoint.encode(), None, threads, len(devices), array)


def add_server(endpoint: str) -> bool:
    """Make the RPC server at ``endpoint`` a device the next model load may use; False when
    it does not answer (or RPC is not built in)."""
    lib = rpc_library()
    if lib is None:
        return False
    fn = lib.ggml_backend_rpc_add_server
    fn.restype = ctypes.c_void_p
    fn.argtypes = [ctypes.c_char_p]
    reg = fn(endpoint.encode())
    if not reg:
        return False
    _ggml().ggml_backend_register(reg)
    return True


class RpcServerUnreachable(HiveError, RuntimeError):
    """A split model's RPC server did not answer when its worker loaded the model."""


def attach_servers(endpoints: list[str]) -> None:
    """Before a split model loads: every server in ``endpoints`` becomes a device (in this
    order, which is the order of ``tensor_split``); raises when one does not answer, so the
    worker fails to load instead of quietly running the whole model here."""
    if endpoints and not rpc_available():
        raise RpcServerUnreachable(
            "this llama-cpp-python was built without GGML_RPC; ./install.sh rebuilds it"
        )
    for endpoint in endpoints:
        if not add_server(endpoint):
            raise RpcServerUnreachable(f"the RPC server at {endpoint} does not answer")


def tensor_split_array(shares: list[float]) -> ctypes.Array[ctypes.c_float] | None:
    """llama.cpp's ``tensor_split`` (one float per device, LLAMA_MAX_DEVICES of them)."""
    if not shares:
        return None
    import llama_cpp

    most = int(llama_cpp.LLAMA_MAX_DEVICES)
    if len(shares) > most:
        raise ValueError(f"at most {most} devices, got {len(shares)}")
    array = (ctypes.c_float * most)()
    for i, share in enumerate(shares):
        array[i] = share
    return array

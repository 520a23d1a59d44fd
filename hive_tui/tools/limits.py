"""Resource limits for execute_bash, enforced by the kernel.

Two mechanisms, both applied where they work:

* **rlimits**, set by ``ulimit`` inside the sandbox, just before the command runs (so after
  bwrap made its user namespace): address space (``RLIMIT_AS``, so a 2 GiB allocation fails
  with the defaults), CPU seconds per process (``RLIMIT_CPU``), the size of any one file
  written (``RLIMIT_FSIZE``) and processes (``RLIMIT_NPROC``). Inside bwrap's user namespace
  the kernel counts ``RLIMIT_NPROC`` for the sandbox's own processes, not every process of the
  user; without the sandbox it would count them all, so it is left out there. The kernel never
  applies ``RLIMIT_NPROC`` to processes running as the real root user.
* **a pids cgroup** where this process may make one (root, or a delegated cgroup v2 subtree
  with the ``pids`` controller): the sandbox is started inside it with ``pids.max`` set, which
  bounds processes for root too.

The private ``/tmp`` is a tmpfs of the file size limit (bwrap ``--size``, where it has it).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from hive_tui.config import Settings

CGROUP_ROOT = Path("/sys/fs/cgroup")
# ulimit FLAG VALUE, lowered to the hard limit when that is already below VALUE.
_LIMIT_FUNCTION = (
    "_hive_limit() { local h; h=$(ulimit -H $1); "
    '[ "$h" != unlimited ] && [ "$h" -lt "$2" ] && set -- $1 "$h"; ulimit $1 "$2"; };'
)


@dataclass(frozen=True)
class ResourceLimits:
    processes: int = 128  # processes (and threads) the command may have at once
    memory_mb: int = 1024  # address space of each process
    cpu_s: int = 60  # CPU seconds of each process
    file_mb: int = 64  # largest file the command may write (and the size of its /tmp)

    @classmethod
    def from_settings(cls, settings: Settings) -> ResourceLimits:
        return cls(
            max(1, settings.tool_max_processes),
            max(1, settings.tool_max_memory_mb),
            max(1, settings.tool_max_cpu_s),
            max(1, settings.tool_max_file_mb),
        )

    def ulimit_line(self, processes: bool = True) -> str:
        """Bash that sets the limits (soft and hard; never above a hard limit already lower)
        or fails (exit 126) if it cannot."""
        limits = [("-v", self.memory_mb * 1024), ("-t", self.cpu_s)]
        limits.append(("-f", self.file_mb * 1024))  # bash counts -f in KiB outside POSIX mode
        if processes:
            limits.insert(0, ("-u", self.processes))
        calls = " && ".join(f"_hive_limit {flag} {value}" for flag, value in limits)
        return f"{_LIMIT_FUNCTION} {calls} || exit 126"

    def wrap(self, command: str, processes: bool = True) -> list[str]:
        """``/bin/bash`` argv that sets the limits, then runs ``command`` with bash."""
        script = f'{self.ulimit_line(processes)}; unset -f _hive_limit; exec /bin/bash -c "$1"'
        return ["/bin/bash", "-c", script, "hive-limits", command]

    def describe(self) -> str:
        return (
            f"{self.processes} processes, {self.memory_mb} MiB of memory, "
            f"{self.cpu_s} s of CPU, {self.file_mb} MiB per file"
        )


def _pids_parent() -> Path | None:
    """The pids cgroup folder this process is in (v1 or v2), if one can be found."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "pids" in controllers.split(","):
            return CGROUP_ROOT / "pids" / path.lstrip("/")
    for line in lines:
        if line.startswith("0::"):
            folder = CGROUP_ROOT / line[3:].lstrip("/")
            with contextlib.suppress(OSError):
                if "pids" in (folder / "cgroup.subtree_control").read_text().split():
                    return folder
    return None


class PidsCgroup:
    """A fresh pids cgroup with ``pids.max``; ``join`` is called in the child before exec."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def make(cls, limit: int) -> PidsCgroup | None:
        parent = _pids_parent()
        if parent is None:
            return None
        folder = parent / f"hive-sandbox-{uuid.uuid4().hex[:12]}"
        try:
            folder.mkdir()
        except OSError:
            return None
        group = cls(folder)
        try:
            (folder / "pids.max").write_text(str(limit))
        except OSError:
            group.remove()
            return None
        return group

    def join(self) -> None:
        """In the child, before exec: move this process into the cgroup."""
        with open(self.folder / "cgroup.procs", "w") as f:
            f.write(str(os.getpid()))

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            self.folder.rmdir()

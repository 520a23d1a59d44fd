"""Paths a tool may touch: always inside one working folder, whatever the model asked for.

The model writes paths; a path is a request, not a fact. ``resolve_inside`` turns it into a
real path under the folder or raises ``PathEscape``. Refused: NUL bytes, absolute paths, any
``..`` component, and anything whose resolved location (after following symlinks) is not the
folder or below it. The containment check compares path *components*, so ``/work/a-evil``
is not inside ``/work/a`` (a plain string-prefix test would say it is).

Resolving and then opening leaves a window in which a symlink could be swapped in; the
``open_*`` helpers close most of it by opening the final component with ``O_NOFOLLOW``.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath

from hive_tui.errors import HiveError

# A path is a short string; a megabyte of path is an attack, not a file name.
MAX_PATH_CHARS = 4096


class PathEscape(HiveError, ValueError):
    """The requested path is not allowed (outside the working folder, or malformed)."""


def is_within(path: Path, folder: Path) -> bool:
    """Both already resolved: is ``path`` the folder itself or below it (by components)?"""
    return path == folder or folder in path.parents


def resolve_inside(folder: Path | str, requested: str) -> Path:
    """The real location of ``requested`` (relative to ``folder``); raises ``PathEscape``.

    The target need not exist (``write_file`` creates files), but every existing part of the
    path is resolved through its symlinks before the containment check.
    """
    if not isinstance(requested, str) or not requested.strip():
        raise PathEscape("empty path")
    if len(requested) > MAX_PATH_CHARS:
        raise PathEscape("path too long")
    if "\x00" in requested:
        raise PathEscape("path contains a NUL byte")
    pure = PurePosixPath(requested)
    if pure.is_absolute() or requested.startswith("~"):
        raise PathEscape(f"absolute path {requested!r}: use a path relative to the working folder")
    if ".." in pure.parts:
        raise PathEscape(f"path {requested!r} contains '..'")
    root = Path(folder).resolve(strict=True)
    try:
        target = (root / pure).resolve(strict=False)
    except (OSError, RuntimeError) as exc:  # a symlink loop, a component that is a file...
        raise PathEscape(f"path {requested!r} cannot be resolved: {exc}") from exc
    if not is_within(target, root):
        raise PathEscape(f"path {requested!r} leads outside the working folder")
    return target


def open_for_read(folder: Path | str, requested: str) -> int:
    """A read-only descriptor for a regular file inside the folder (final component not a link)."""
    target = resolve_inside(folder, requested)
    fd = os.open(target, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    try:
        if not _is_regular(fd):
            raise PathEscape(f"{requested!r} is not a regular file")
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_for_write(folder: Path | str, requested: str, make_dirs: bool = True) -> int:
    """A write descriptor (created or truncated) for a file inside the folder."""
    target = resolve_inside(folder, requested)
    if make_dirs:
        target.parent.mkdir(parents=True, exist_ok=True)
        # The folders just made could have been raced into links: check again.
        target = resolve_inside(folder, requested)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
    fd = os.open(target, flags, 0o644)
    try:
        if not _is_regular(fd):
            raise PathEscape(f"{requested!r} is not a regular file")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _is_regular(fd: int) -> bool:
    return stat.S_ISREG(os.fstat(fd).st_mode)

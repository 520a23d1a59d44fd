"""Paths the model asks for never leave the working folder."""

from __future__ import annotations

import os
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hive_tui.tools.paths import (
    PathEscape,
    is_within,
    open_for_read,
    open_for_write,
    resolve_inside,
)


@pytest.fixture
def box(tmp_path: Path) -> Path:
    """tmp/work (the folder) beside tmp/work-evil (same prefix) and tmp/outside."""
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    (work / "sub" / "ok.txt").write_text("fine")
    (tmp_path / "work-evil").mkdir()
    (tmp_path / "work-evil" / "secret").write_text("secret")
    (tmp_path / "outside.txt").write_text("secret")
    os.symlink(tmp_path / "outside.txt", work / "link-out")
    os.symlink(tmp_path / "work-evil", work / "dir-out")
    os.symlink(tmp_path / "work-evil", work / "sub" / "deep-out")
    os.symlink("sub/ok.txt", work / "link-in")
    os.symlink(work / "link-loop", work / "link-loop")
    return work


ESCAPES = [
    "..",
    "../outside.txt",
    "sub/../../outside.txt",
    "sub/../..",
    "./../work-evil/secret",
    "../work-evil/secret",
    "/etc/passwd",
    "//etc/passwd",
    "~/x",
    "link-out",
    "dir-out/secret",
    "sub/deep-out/secret",
    "sub/deep-out",
    "ok\x00.txt",
    "sub/ok.txt\x00",
    "",
    "   ",
    "a/" * 3000,
    "link-loop",
    "link-loop/x",
]


@pytest.mark.parametrize("requested", ESCAPES)
def test_escapes_are_all_rejected(box: Path, requested: str) -> None:
    with pytest.raises(PathEscape):
        resolve_inside(box, requested)


def test_same_prefix_sibling_is_not_inside(box: Path) -> None:
    sibling = (box.parent / "work-evil").resolve()
    assert not is_within(sibling, box.resolve())
    assert str(sibling).startswith(str(box.resolve()))  # why a string test would be wrong


def test_plain_and_internal_paths_resolve_inside(box: Path) -> None:
    root = box.resolve()
    assert resolve_inside(box, "sub/ok.txt") == root / "sub" / "ok.txt"
    assert resolve_inside(box, "./sub/./ok.txt") == root / "sub" / "ok.txt"
    assert resolve_inside(box, "new/file.txt") == root / "new" / "file.txt"
    assert resolve_inside(box, "link-in") == root / "sub" / "ok.txt"
    assert resolve_inside(box, ".") == root


def test_open_follows_inside_links_only_and_refuses_non_files(box: Path, tmp_path: Path) -> None:
    fd = open_for_read(box, "link-in")
    assert os.read(fd, 10) == b"fine"
    os.close(fd)
    os.symlink(tmp_path / "not-yet", box / "dangling-out")
    with pytest.raises(PathEscape):
        open_for_write(box, "dangling-out")  # would create a file outside
    assert not (tmp_path / "not-yet").exists()
    with pytest.raises(PathEscape):
        open_for_read(box, "sub")
    os.mkfifo(box / "fifo")
    with pytest.raises((PathEscape, OSError)):
        open_for_read(box, "fifo")
    fd = open_for_write(box, "made/here.txt")
    os.write(fd, b"x")
    os.close(fd)
    assert (box / "made" / "here.txt").read_bytes() == b"x"


_SEGMENTS = st.sampled_from(
    [
        "..",
        ".",
        "sub",
        "link-out",
        "dir-out",
        "link-in",
        "link-loop",
        "sub/deep-out",
        "x",
        "",
        "/",
        "~",
        "work-evil",
        "\x00",
    ]
) | st.text(string.ascii_letters + "./-_~\x00", max_size=8)


@settings(max_examples=400, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(_SEGMENTS, max_size=6), lead=st.sampled_from(["", "/", "./", "../"]))
def test_every_accepted_path_resolves_inside(box: Path, parts: list[str], lead: str) -> None:
    requested = lead + "/".join(parts)
    root = box.resolve()
    try:
        target = resolve_inside(box, requested)
    except PathEscape:
        return
    assert is_within(target, root)
    # What the kernel would open is inside too (every existing link followed).
    assert is_within(Path(os.path.realpath(target)), root)

"""The knowledge bases of this node: one SQLite file each under ``<data folder>/knowledge``.

A knowledge base is private unless marked shared: only a shared one may ground an answer for
a peer's request (``check_access``), so a node never reads a private one for the hive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from hive_tui.errors import HiveError
from hive_tui.retrieval.store import Store
from hive_tui.swarm.request import InvalidRequest

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
DEFAULT_KB = "default"


class UnknownKnowledgeBase(InvalidRequest, LookupError):
    """A request named a knowledge base this node does not have (the API answers 400)."""

    def __init__(self, message: str) -> None:
        super().__init__("hive.kb", message)


class KnowledgeBaseNotShared(InvalidRequest, PermissionError):
    """A peer asked for a knowledge base this node keeps private."""

    def __init__(self, message: str) -> None:
        super().__init__("hive.kb", message)


@dataclass(frozen=True)
class KnowledgeBaseInfo:
    name: str
    shared: bool
    files: int
    chunks: int
    model: str


def knowledge_dir(data_dir: Path) -> Path:
    return data_dir / "knowledge"


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise HiveError(f"knowledge base name {name!r}: use letters, digits, '.', '_' or '-'")
    return name


def kb_path(data_dir: Path, name: str) -> Path:
    return knowledge_dir(data_dir) / f"{check_name(name)}.sqlite"


def exists(data_dir: Path, name: str) -> bool:
    return NAME.match(name) is not None and kb_path(data_dir, name).is_file()


def is_shared(data_dir: Path, name: str) -> bool:
    """Whether ``name`` is marked shared; reads the meta table only, never a passage."""
    if not exists(data_dir, name):
        return False
    store = Store(kb_path(data_dir, name))
    try:
        return store.get_meta("shared") == "1"
    finally:
        store.close()


def check_access(data_dir: Path, name: str, from_peer: bool) -> None:
    """Raise unless this request may read ``name``: it exists, and a peer's only if shared."""
    if not exists(data_dir, name):
        raise UnknownKnowledgeBase(f"no knowledge base {name!r} (hive index list)")
    if from_peer and not is_shared(data_dir, name):
        raise KnowledgeBaseNotShared(f"knowledge base {name!r} is not shared with the hive")


def open_kb(data_dir: Path, name: str, create: bool = False) -> Store:
    path = kb_path(data_dir, name)
    if not create and not path.is_file():
        raise UnknownKnowledgeBase(f"no knowledge base {name!r} (hive index list)")
    path.parent.mkdir(parents=True, exist_ok=True)
    return Store(path)


def list_kbs(data_dir: Path) -> list[KnowledgeBaseInfo]:
    infos = []
    folder = knowledge_dir(data_dir)
    for path in sorted(folder.glob("*.sqlite")) if folder.is_dir() else []:
        store = Store(path)
        try:
            files, chunks = store.counts()
            infos.append(KnowledgeBaseInfo(path.stem, store.get_meta("shared") == "1", files,
                                           chunks, Path(store.get_meta("model")).name))
        finally:
            store.close()
    return infos


def remove_kb(data_dir: Path, name: str) -> None:
    path = kb_path(data_dir, name)
    if not path.is_file():
        raise UnknownKnowledgeBase(f"no knowledge base {name!r} (hive index list)")
    for extra in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        extra.unlink(missing_ok=True)

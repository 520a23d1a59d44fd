"""A streaming reader for a GGUF file's header: metadata and tensor shapes, nothing else.

``gguf.GGUFReader`` maps the whole file and builds numpy views for every field, including the
~100k strings of a tokenizer vocabulary: 8-30 s for the embedded 98 MB model on this box,
every time hive starts. Reading the header sequentially and skipping the arrays we do not
need takes milliseconds. Layout (GGUF v2/v3, little-endian): magic, version, tensor count,
metadata count, then (key, type, value) entries, then (name, dims, type, offset) tensor infos.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from hive_tui.errors import HiveError

MAGIC = b"GGUF"
# value type id -> struct format of one scalar
_SCALARS = {
    0: "B",
    1: "b",
    2: "H",
    3: "h",
    4: "I",
    5: "i",
    6: "f",
    7: "?",
    10: "Q",
    11: "q",
    12: "d",
}
_STRING, _ARRAY = 8, 9
# Arrays longer than this are skipped (tokenizer vocabularies); short ones are kept.
MAX_ARRAY_KEPT = 1024
# A header claiming more entries than this is corrupt; stop before allocating for it.
MAX_ENTRIES = 1_000_000


class GGUFHeaderError(HiveError, ValueError):
    pass


@dataclass
class GGUFHeader:
    version: int
    metadata: dict[str, object] = field(default_factory=dict)
    tensor_elements: list[int] = field(default_factory=list)

    @property
    def parameter_count(self) -> int:
        return sum(self.tensor_elements)


class _Reader:
    def __init__(self, f: BinaryIO) -> None:
        self.f = f

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        size = struct.calcsize("<" + fmt)
        data = self.f.read(size)
        if len(data) < size:
            raise GGUFHeaderError("truncated GGUF header")
        return struct.unpack("<" + fmt, data)

    def string(self) -> str:
        (n,) = self.unpack("Q")
        if n > 1 << 24:
            raise GGUFHeaderError(f"string of {n} bytes in header")
        data = self.f.read(n)
        if len(data) < n:
            raise GGUFHeaderError("truncated GGUF string")
        return data.decode("utf-8", "replace")

    def skip_string(self) -> None:
        (n,) = self.unpack("Q")
        self.f.seek(n, 1)

    def value(self, kind: int) -> object:
        if kind in _SCALARS:
            return self.unpack(_SCALARS[kind])[0]
        if kind == _STRING:
            return self.string()
        if kind == _ARRAY:
            item_kind, count = self.unpack("IQ")
            if count > MAX_ARRAY_KEPT:
                self.skip_array(item_kind, count)
                return None
            return [self.value(item_kind) for _ in range(count)]
        raise GGUFHeaderError(f"unknown GGUF value type {kind}")

    def skip_array(self, item_kind: int, count: int) -> None:
        if item_kind in _SCALARS:
            self.f.seek(struct.calcsize("<" + _SCALARS[item_kind]) * count, 1)
        elif item_kind == _STRING:
            for _ in range(count):
                self.skip_string()
        else:
            for _ in range(count):
                self.value(item_kind)


def _open(f: BinaryIO) -> tuple[_Reader, int, int, int]:
    """Check the magic and version; the reader and (version, tensor count, key count)."""
    if f.read(4) != MAGIC:
        raise GGUFHeaderError("not a GGUF file (bad magic)")
    r = _Reader(f)
    (version,) = r.unpack("I")
    if version < 2:
        raise GGUFHeaderError(f"GGUF version {version} is not supported")
    n_tensors, n_kv = r.unpack("QQ")
    return r, version, n_tensors, n_kv


def read_gguf_header(path: Path | str) -> GGUFHeader:
    with open(path, "rb") as f:
        r, version, n_tensors, n_kv = _open(f)
        if n_tensors > MAX_ENTRIES or n_kv > MAX_ENTRIES:
            raise GGUFHeaderError("implausible GGUF header counts")
        header = GGUFHeader(version)
        for _ in range(n_kv):
            key = r.string()
            (kind,) = r.unpack("I")
            header.metadata[key] = r.value(kind)
        for _ in range(n_tensors):
            r.skip_string()
            (n_dims,) = r.unpack("I")
            if n_dims > 8:
                raise GGUFHeaderError(f"tensor with {n_dims} dimensions")
            dims = r.unpack("Q" * n_dims) if n_dims else ()
            r.unpack("IQ")  # type, offset
            header.tensor_elements.append(math.prod(dims))
        return header


TOKENS_KEY = "tokenizer.ggml.tokens"


def longest_token_bytes(path: Path | str) -> int | None:
    """The longest entry of the model's vocabulary, in UTF-8 bytes (None: no vocabulary).

    The entries are in the tokenizer's own alphabet (GPT-2's byte-to-unicode, SentencePiece's
    ``▁``, ``<0x0A>``), never shorter than the bytes they stand for: an upper bound on any
    token's length in text. Only the lengths are read, in milliseconds."""
    with open(path, "rb") as f:
        r, _version, _n_tensors, n_kv = _open(f)
        if n_kv > MAX_ENTRIES:
            raise GGUFHeaderError("implausible GGUF header counts")
        for _ in range(n_kv):
            key = r.string()
            (kind,) = r.unpack("I")
            if key != TOKENS_KEY or kind != _ARRAY:
                r.value(kind) if kind != _ARRAY else r.skip_array(*r.unpack("IQ"))
                continue
            item_kind, count = r.unpack("IQ")
            if item_kind != _STRING:
                r.skip_array(item_kind, count)
                continue
            longest = 0
            for _ in range(count):
                (n,) = r.unpack("Q")
                f.seek(n, 1)
                longest = max(longest, n)
            return longest
    return None


def read_tokenizer_metadata(path: Path | str) -> dict[str, Any]:
    """Every ``tokenizer.ggml.*`` entry, vocabulary and merges included (the arrays the header
    reader skips): what ``backends.gguf_tokenizer`` rebuilds a tokenizer from."""
    found: dict[str, Any] = {}
    with open(path, "rb") as f:
        r, _version, _n_tensors, n_kv = _open(f)
        if n_kv > MAX_ENTRIES:
            raise GGUFHeaderError("implausible GGUF header counts")
        for _ in range(n_kv):
            key = r.string()
            (kind,) = r.unpack("I")
            if not key.startswith("tokenizer.ggml."):
                r.value(kind) if kind != _ARRAY else r.skip_array(*r.unpack("IQ"))
            elif kind == _ARRAY:
                item_kind, count = r.unpack("IQ")
                if count > MAX_ENTRIES:
                    raise GGUFHeaderError(f"{key}: implausible array of {count}")
                found[key] = [r.value(item_kind) for _ in range(count)]
            else:
                found[key] = r.value(kind)
    return found

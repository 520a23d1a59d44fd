"""Frames between a process and its embedding child (``hive_tui.retrieval.embed_child``), and
the passage a grounded answer reports (``Passage``: in a request, the API's ``hive`` object).

Vectors travel as little-endian float32 bytes, one ``bytes`` per text: a tenth of the size of
a msgpack list of floats, and exactly what the store keeps in SQLite."""

from __future__ import annotations

import msgspec

from hive_tui.wire.framing import FrameError

# parent -> embedding child


class EmbedLoad(msgspec.Struct, tag="embed_load", frozen=True):
    model_path: str
    n_threads: int = 1
    n_ctx: int = 512  # also the longest text embedded, in tokens: longer texts are cut


class EmbedTexts(msgspec.Struct, tag="embed_texts", frozen=True):
    texts: list[str]


# embedding child -> parent


class EmbedReady(msgspec.Struct, tag="embed_ready", frozen=True):
    model: str
    dim: int
    pid: int
    load_s: float


class EmbedVectors(msgspec.Struct, tag="embed_vectors", frozen=True):
    vectors: list[bytes]  # float32, L2-normalised, one per text in order
    tokens: int  # tokens embedded (after cutting), for the progress and the bench
    seconds: float


class EmbedError(msgspec.Struct, tag="embed_error", frozen=True):
    message: str
    fatal: bool = False


class EmbedRefused(msgspec.Struct, tag="embed_refused", frozen=True):
    """A text of the batch the model cannot embed (the caller's input, not the child's fault):
    nothing of the batch was embedded, and the child is as ready as before."""

    index: int  # in the batch sent
    reason: str


EmbedFrame = EmbedLoad | EmbedTexts | EmbedReady | EmbedVectors | EmbedError | EmbedRefused

embed_frame_decoder = msgspec.msgpack.Decoder(EmbedFrame)


def decode_embed_frame(body: bytes) -> EmbedFrame:
    try:
        return embed_frame_decoder.decode(body)
    except msgspec.DecodeError as exc:
        raise FrameError(str(exc)) from exc


class Passage(msgspec.Struct, frozen=True):
    """One retrieved passage a grounded prompt carried: its source and its fused score."""

    kb: str
    path: str
    start_line: int
    end_line: int
    score: float
    text: str = ""

    @property
    def source(self) -> str:
        return f"{self.path}:{self.start_line}-{self.end_line}"

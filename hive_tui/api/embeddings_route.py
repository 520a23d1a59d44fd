"""``POST /v1/embeddings``: OpenAI's embeddings, from the node's embedding child.

No vote here: a vector is a function of the text, so one model answers (``Node.embeddings``,
started on the first request; which model: ``retrieval/node_embeddings``). The route sits
behind the same guard as the chat route (Host, API key, body size, an admission slot), and
its errors are the same OpenAI-style bodies. Rows are L2-normalised float32; ``base64`` (what
the official ``openai`` client asks for by default) is their little-endian bytes.
"""

from __future__ import annotations

import base64

import msgspec
import numpy as np
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hive_tui.api.embeddings_schemas import (
    Embedding,
    EmbeddingList,
    EmbeddingRequest,
    EmbeddingUsage,
    token_input,
)
from hive_tui.api.handling import ApiError, decoded
from hive_tui.api.schemas import decode_as
from hive_tui.node import Node
from hive_tui.retrieval.embedder import EmbedderFailed, EmbedInputRefused

PATH = "/v1/embeddings"
TOKENS_REFUSED = (
    "input as token arrays is not supported: token ids are a tokenizer's, and hive's "
    "embedding model has its own; send the text (a string or a list of strings)"
)


def request_of(body: bytes) -> EmbeddingRequest:
    if token_input(body):
        raise ApiError(400, TOKENS_REFUSED, "invalid_request_error", "input")
    return decoded(lambda: decode_as(body, EmbeddingRequest))


async def vectors(node: Node, texts: list[str], dimensions: int | None) -> tuple[np.ndarray, int]:
    """(rows, tokens) for ``texts``, cut to ``dimensions`` and renormalised when asked; a text
    the model cannot embed is a 400 naming it, the embedding model's failure a 503 (the next
    request starts it afresh)."""
    try:
        if dimensions is not None and dimensions > (dim := await node.embeddings.dimension()):
            raise ApiError(
                400,
                f"dimensions {dimensions} is over the embedding model's {dim}",
                "invalid_request_error",
                "dimensions",
            )
        rows, tokens = await node.embeddings.embed(texts)
    except EmbedInputRefused as exc:
        raise ApiError(400, f"{exc}", "invalid_request_error", "input") from exc
    except EmbedderFailed as exc:
        raise ApiError(503, f"embedding model unavailable: {exc}", "service_unavailable") from exc
    if dimensions is not None and dimensions < rows.shape[1]:
        rows = rows[:, :dimensions]
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        rows = rows / np.where(norms > 0, norms, 1.0)
    return rows.astype("<f4"), tokens


async def embeddings(request: Request) -> Response:
    node: Node = request.app.state.node
    req = request_of(await request.body())
    rows, tokens = await vectors(node, req.texts(), req.dimensions)

    def encoded(row: np.ndarray) -> list[float] | str:
        if req.encoding_format == "base64":
            return base64.b64encode(row.tobytes()).decode("ascii")
        return row.tolist()  # type: ignore[no-any-return]

    body = EmbeddingList(
        data=[Embedding(i, encoded(row)) for i, row in enumerate(rows)],
        model=req.model or node.embeddings.model_name,
        usage=EmbeddingUsage(tokens, tokens),
    )
    return Response(msgspec.json.encode(body), media_type="application/json")


ROUTES = [Route(PATH, embeddings, methods=["POST"])]

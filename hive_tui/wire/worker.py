"""Frames between a node and its worker child processes (stdin/stdout pipes)."""

from __future__ import annotations

import msgspec

from hive_tui.wire.framing import FrameError
from hive_tui.wire.values import ChatMessage, SamplingParams

# node -> worker


class Load(msgspec.Struct, tag="load", frozen=True):
    model_path: str
    n_ctx: int = 2048
    n_threads: int = 1
    n_gpu_layers: int = 0
    slots: int = 1
    # Speculative decoding (backends/speculative.py): "off", "lookup" (prompt n-grams) or
    # "draft" (a small model at draft_model); draft_max tokens proposed per step.
    speculative: str = "off"
    draft_max: int = 8
    draft_model: str = ""
    prompt_cache: bool = True  # reuse a sequence's cells for the next prompt's shared prefix
    # A model split across lenders (federation/borrower.py): host:port of each ggml RPC server
    # (always a tunnel entrance on 127.0.0.1), and the share of the offloaded layers each
    # takes, in the same order; n_gpu_layers says how many layers leave this node.
    rpc_servers: list[str] = []
    tensor_split: list[float] = []


# --- tools offered to the model; rendered into the prompt by the engine.
class ToolSpec(msgspec.Struct, frozen=True):
    name: str
    description: str = ""
    # The JSON schema of the arguments as JSON text: a client's schema may hold numbers that
    # msgpack cannot carry (integers past 64 bits), and the engine only renders it anyway.
    parameters_json: str = "{}"


class Generate(msgspec.Struct, tag="generate", frozen=True):
    request_id: str
    messages: list[ChatMessage]
    params: SamplingParams
    slot: int = 0
    tools: list[ToolSpec] = []  # empty = no tools offered
    # False skips the per-token log-probability (hive bench quality measures its cost).
    logprobs: bool = True


class Cancel(msgspec.Struct, tag="cancel", frozen=True):
    request_id: str
    slot: int | None = None  # None: every slot of the process serving this request


class Shutdown(msgspec.Struct, tag="shutdown", frozen=True):
    pass


# worker -> node


class Ready(msgspec.Struct, tag="ready", frozen=True):
    backend: str
    model: str
    n_ctx: int
    slots: int
    pid: int
    load_s: float


class TokenChunk(msgspec.Struct, tag="token", frozen=True):
    request_id: str
    text: str
    slot: int = 0


class Done(msgspec.Struct, tag="done", frozen=True):
    request_id: str
    text: str
    finish_reason: str  # "stop" | "length" | "cancelled"
    prompt_tokens: int
    completion_tokens: int
    ttft_s: float  # generate received -> first token
    gen_s: float  # generate received -> done
    mean_logprob: float | None = None
    slot: int = 0
    # Seconds of gen_s spent computing log-probabilities (their cost, for hive bench quality).
    logprob_s: float = 0.0
    # One entry per generated token (empty when log-probabilities were not asked for): its
    # log-probability, and the character offset in the raw generated text where it ends. The
    # vote reads the confidence of the part of an answer that differs from the others.
    token_logprobs: list[float] = []
    token_ends: list[int] = []
    # Prompt tokens whose cells came from the engine's prefix cache (not evaluated again).
    cached_tokens: int = 0
    stop_sequence: str | None = None  # the request's stop string that ended the text, if one did


class WorkerError(msgspec.Struct, tag="error", frozen=True):
    message: str
    request_id: str | None = None
    fatal: bool = False
    slot: int | None = None  # None: every slot of the process serving this request


WorkerFrame = Load | Generate | Cancel | Shutdown | Ready | TokenChunk | Done | WorkerError

worker_frame_decoder = msgspec.msgpack.Decoder(WorkerFrame)


def decode_worker_frame(body: bytes) -> WorkerFrame:
    try:
        return worker_frame_decoder.decode(body)
    except msgspec.DecodeError as exc:
        raise FrameError(str(exc)) from exc

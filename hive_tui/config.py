"""Settings: defaults, then a TOML file, then ``HIVE_*`` environment variables, then flags.

The file lives at ``<platformdirs user config dir>/hive/config.toml`` (``HIVE_CONFIG`` points
elsewhere). Every key is a field of ``Settings``; an unknown key is an error, so a typo in
the file is reported rather than silently ignored.
"""

from __future__ import annotations

import os
import socket
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec
import platformdirs

from hive_tui.errors import HiveError
from hive_tui.wire.values import (
    DEFAULT_MAX_TOKENS,
    DEFAULT_MIN_P,
    DEFAULT_TEMPERATURE,
    DEFAULT_TOP_P,
)

APP_NAME = "hive"
ENV_PREFIX = "HIVE_"
# What a prompt over the context gets (the ``context`` setting, ``hive.context``)
CONTEXT_POLICIES = ("error", "truncate", "compress")


class ConfigError(HiveError, ValueError):
    pass


class Settings(msgspec.Struct, forbid_unknown_fields=True):
    host: str = "127.0.0.1"
    port: int = 8420
    # The same API on a second port as well (Ollama clients look on 11434); None: none.
    ollama_port: int | None = None
    workers: int | None = None  # None: as many as the hardware plan says
    model: str | None = None  # a GGUF path or a catalogue name; None: the plan's choice
    models_dir: str = ""  # a folder of GGUF files the catalogue searches first
    backend: str = "llama"
    strategy: str = "confidence"
    threads: int | None = None  # per worker; None: chosen from the free cores
    slots: int | None = None  # most workers one process may serve; None: the plan's bound
    # Votes one worker serves at once, as sequences of its process's one batch (several users,
    # or an agent's parallel requests); None: the plan's (``hardware.plan.concurrent_votes``).
    concurrent_votes: int | None = None
    n_ctx: int | None = None  # None: the plan's (4096 at most), else node_plan.DEFAULT_N_CTX
    n_gpu_layers: int | None = None  # None: the plan's (all layers on a GPU that fits)
    temperature: float = DEFAULT_TEMPERATURE
    top_p: float = DEFAULT_TOP_P
    min_p: float = DEFAULT_MIN_P  # llama.cpp's min-p: drop tokens under min_p x the likeliest
    max_tokens: int = DEFAULT_MAX_TOKENS
    # A vote stops the workers still generating once it is settled (everyone answered, or a
    # strict majority after a grace), one of the winners going on to its end. On by default:
    # at the node's 512 tokens and N = 5 it saves 37-39% of the tokens and 42-45% of the wait,
    # for -0.5 points of accuracy on the benchmark's dev split, -0.7 on its test split
    # (docs/quality.md).
    early_exit: bool = True
    # A prompt over the context: "error" (the 400, as OpenAI answers), "truncate" (drop the
    # oldest turns) or "compress" (summarise them, cut a long input to what it asks about);
    # empty: the front end's default, "error" for the API and "compress" for the app.
    context: str = ""
    # Speculative decoding (docs/performance.md): "lookup" drafts from the text's own
    # n-grams (one-sequence and batched llama workers), "draft" from draft_model (one-sequence
    # workers only, --slots 1). Off by default: on the CPU it was measured slower here (a
    # batch of k tokens costs about k single decodes).
    speculative: str = "off"
    draft_max: int = 8
    draft_model: str = ""
    # Batched llama workers keep each sequence's cells after an answer and reuse the longest
    # cached prefix of the next prompt (a conversation's history, a shared system prompt).
    # Off: every prompt evaluated from scratch, so a seeded answer never depends on the last
    # request (reused cells come from another batch shape; docs/performance.md).
    prompt_cache: bool = True
    node_name: str = ""
    log_level: str = "info"
    access_log: bool = False  # one line per HTTP request on the node's log (hive.access)
    # The node id, the app's conversations and log; empty: the platformdirs data folder.
    # Several nodes on one machine each need their own (--data-dir, HIVE_DATA_DIR).
    data_dir: str = ""
    # The GGUF that /v1/embeddings and /api/embed answer with; empty: an embedding GGUF of the
    # catalogue, else the node's chat GGUF, else the embedded model (retrieval/node_embeddings)
    embedding_model: str = ""
    # federation (hive_tui.federation, docs/federation.md)
    federation: bool = True
    secret: str = ""  # the hive's shared secret; empty: the one in the config folder
    peers: list[str] = []  # HOST:PORT of nodes to dial (for networks without multicast)
    vote_deadline_s: float = 60.0  # how long the origin waits for peers' local results
    # Sharing memory across the hive (docs/federation.md, "Lending"): a lender runs a ggml RPC
    # server reachable only through its authenticated tunnel exit (lend_port; 0: any free
    # port); a borrower splits its model over lenders: "auto" (when the model does not fit
    # here), "off", or "PEER,..." (names or node ids of the lenders to split across).
    lend: bool = False
    lend_port: int = 0
    split: str = "auto"
    # --- a node that is safe to leave running: auth, DNS-rebinding guard, limits, shutdown ---
    api_key: str = ""  # required to bind a non-loopback address; HIVE_API_KEY / --api-key
    allowed_hosts: str | list[str] = []  # extra Host header names ("a,b" from the env); "*": any
    max_body_bytes: int = 4 * 1024 * 1024
    max_queue: int = 64  # chat requests admitted at once (running + waiting); more get 503
    shutdown_grace_s: float = 5.0  # SIGTERM: in-flight requests get this long, then cancelled
    # --- slow and hostile clients (api/guard.py, api/protocol.py; README "A node you can ...")
    max_connections: int = 256  # open HTTP connections; past it new requests get 503
    header_timeout_s: float = 10.0  # a request's headers must arrive within this, else closed
    body_timeout_s: float = 30.0  # ... and its body within this once headers are in (408)
    max_event_streams: int = 32  # /v1/hive/events subscribers at once; more get 503
    web_tabs: int = 4  # hive --web: browser tabs at once (each runs the app); more get 503
    # execute_bash's kernel-enforced limits (hive_tui/tools/limits.py)
    tool_max_processes: int = 128  # processes and threads at once in the sandbox
    tool_max_memory_mb: int = 1024  # address space of each process
    tool_max_cpu_s: int = 60  # CPU seconds of each process
    tool_max_file_mb: int = 64  # the largest file a command may write; also its /tmp's size

    def allowed_host_names(self) -> list[str]:
        hosts = self.allowed_hosts
        return [h for h in (hosts.split(",") if isinstance(hosts, str) else hosts) if h.strip()]


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir(configured: str = "") -> Path:
    """The ``data_dir`` setting when set, else ``<platformdirs user data dir>/hive``
    (``$XDG_DATA_HOME/hive`` on Linux)."""
    if configured:
        return Path(configured).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_path() -> Path:
    override = os.environ.get("HIVE_CONFIG")
    return Path(override) if override else config_dir() / "config.toml"


def _from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    fields = set(Settings.__struct_fields__)
    found = {}
    for key, value in environ.items():
        if key.startswith(ENV_PREFIX):
            name = key[len(ENV_PREFIX) :].lower()
            if name in fields:
                # list settings (HIVE_PEERS) come comma-separated
                found[name] = [v for v in value.split(",") if v] if name == "peers" else value
    return found


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    path: Path | None = None,
) -> Settings:
    """Merge the layers; ``overrides`` (from flags) win, ``None`` values in it are ignored."""
    environ = os.environ if environ is None else environ
    path = path or config_path()
    merged: dict[str, Any] = {}
    if path.exists():
        try:
            merged.update(tomllib.loads(path.read_text()))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: {exc}") from exc
    env = _from_env(environ)
    merged.update(env)
    merged.update({k: v for k, v in (overrides or {}).items() if v is not None})
    try:
        # strict=False lets "8080" from the environment become the int 8080.
        settings = msgspec.convert(merged, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"bad setting ({path}, HIVE_* or flags): {exc}") from exc
    if not settings.node_name:
        settings = msgspec.structs.replace(settings, node_name=socket.gethostname())
    return settings


def usable_cores() -> int:
    """Cores this process may run on, busy or not."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        return os.cpu_count() or 1


def free_cores() -> int:
    """Cores this process may use that are not already busy (by the 1-minute load average)."""
    usable = usable_cores()
    busy = int(os.getloadavg()[0] + 0.5) if hasattr(os, "getloadavg") else 0
    return max(1, usable - busy)


def threads_per_worker(n_workers: int, requested: int | None = None) -> int:
    """Never oversubscribe: a llama.cpp context with 2 threads on a 2-core box where the other
    core is busy was measured collapsing from ~160 to under 10 tokens/s; 1 thread held ~150."""
    if requested:
        return requested
    return max(1, free_cores() // max(1, n_workers))

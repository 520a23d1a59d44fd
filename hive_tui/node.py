"""A node: the swarm of local workers, its event bus and its identity, without any front end.

``hive --node`` puts the HTTP API in front of it; ``hive`` (the TUI) runs the same object in
process. Nothing here knows about HTTP or Textual. What it runs (the model, the workers, their
processes) is chosen before it starts: ``hive_tui.node_plan``.

The front ends (server, client, cli) take the service's vocabulary from here, not from the
swarm below it: ``SwarmRequest`` (built by ``resolve_request``), ``VoteResult``, ``SwarmError``,
``Subscription`` and ``CANCEL_GRACE_S`` are re-exported (``import X as X``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from hive_tui import wire
from hive_tui.bus import EventBus
from hive_tui.bus import Subscription as Subscription
from hive_tui.config import Settings, data_dir
from hive_tui.federation.identity import load_node_id as load_node_id
from hive_tui.node_plan import NodePlan
from hive_tui.retrieval.node_embeddings import NodeEmbeddings
from hive_tui.swarm.context import fit_context
from hive_tui.swarm.engine_process import EngineProcess, ProcessSpec
from hive_tui.swarm.prompt_size import FALLBACK_TOKEN_BYTES as FALLBACK_TOKEN_BYTES
from hive_tui.swarm.prompt_size import check_prompt_fits as check_prompt_fits
from hive_tui.swarm.prompt_size import token_bytes_bound as token_bytes_bound
from hive_tui.swarm.request import InvalidRequest as InvalidRequest
from hive_tui.swarm.request import RequestDefaults as RequestDefaults
from hive_tui.swarm.request import resolve_request as resolve_request
from hive_tui.swarm.swarm import CANCEL_GRACE_S as CANCEL_GRACE_S
from hive_tui.swarm.swarm import ContextLengthExceeded as ContextLengthExceeded
from hive_tui.swarm.swarm import Swarm
from hive_tui.swarm.swarm import SwarmError as SwarmError
from hive_tui.swarm.swarm import SwarmRequest as SwarmRequest
from hive_tui.swarm.swarm import VoteResult as VoteResult
from hive_tui.swarm.token_count import text_counter
from hive_tui.swarm.worker import Worker, WorkerSpec

if TYPE_CHECKING:
    from hive_tui.federation.local import AdmissionGate
    from hive_tui.federation.service import Federation

log = logging.getLogger("hive.node")

# Why a request ends unanswered once the node has stopped serving (see ``Node.end_requests``).
SHUTTING_DOWN = "the node is shutting down"


class Node:
    def __init__(self, settings: Settings, plan: NodePlan, node_id: str | None = None) -> None:
        self.settings = settings
        self.plan = plan
        self._claim = None
        if node_id is None:  # the id comes from the data folder: hold it while we run
            from hive_tui.federation.identity import FolderClaim

            folder = data_dir(settings.data_dir)
            self._claim = FolderClaim(folder)
            node_id = load_node_id(folder)
        self.node_id = node_id
        self.bus = EventBus()
        self.workers: list[Worker] = []
        self.engines: list[EngineProcess] = []
        for process in plan.processes():
            index = len(self.workers)  # a process is known by its first worker's index
            load = wire.Load(
                model_path=plan.model_path,
                n_ctx=plan.n_ctx,
                n_threads=process.threads,
                n_gpu_layers=plan.n_gpu_layers,
                slots=process.slots * plan.concurrency,  # sequences: every slot's votes
                speculative=self.settings.speculative,
                draft_max=self.settings.draft_max,
                draft_model=self.settings.draft_model,
                prompt_cache=self.settings.prompt_cache,
            )
            backend = process.backend or plan.backend
            engine = EngineProcess(ProcessSpec(index, backend, load), self.bus)
            self.engines.append(engine)
            for slot in range(process.slots):
                spec = WorkerSpec(
                    worker_id=f"w{index + slot}",
                    index=index + slot,
                    backend=backend,
                    load=load,
                    node_id=self.node_id,
                    slot=slot,
                    concurrency=plan.concurrency,
                )
                self.workers.append(Worker(spec, self.bus, engine))
        self.swarm = Swarm(self.workers, self.bus, self.node_id)
        # Set by the front end once the API port is bound (hive_tui.federation.service).
        self.federation: Federation | None = None
        # Set by the API (``max_queue``); peers' requests are admitted through it too.
        self.admission: AdmissionGate | None = None
        # Set by end_requests: requests still running are ended, new ones refused.
        self.closed = asyncio.Event()
        self._votes: set[asyncio.Future[VoteResult]] = set()
        # The embeddings routes' model, in its own child started on the first request.
        chat_gguf = plan.model_path if plan.backend == "llama" else None
        self.embeddings = NodeEmbeddings(
            settings.embedding_model, settings.models_dir, chat_gguf, settings.threads or 1
        )

    def request(
        self,
        messages: Sequence[wire.ChatMessage],
        *,
        strategy: str | None = None,
        seed: int | None = None,
        workers: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        min_p: float | None = None,
        max_tokens: int | None = None,
        stop: Sequence[str] = (),
        tools: Sequence[wire.ToolSpec] = (),
        request_id: str | None = None,
        early_exit: bool | None = None,
        context: str | None = None,
        kb: str | None = None,
        response_format: str = "text",
        json_schema: dict[str, Any] | None = None,
    ) -> SwarmRequest:
        """A request as this node answers it: what the caller leaves open comes from the
        settings, max_tokens fits the workers' context, the strategy is checked and the seed
        drawn (``hive_tui.swarm.request.resolve_request``, the one place that does); a prompt
        that cannot fit the context raises ``ContextLengthExceeded`` here, before any vote."""
        if response_format != "text" and self.plan.backend == "mlx":
            raise InvalidRequest(
                "response_format", "the MLX backend cannot constrain answers to a grammar"
            )
        request = resolve_request(
            messages,
            RequestDefaults.from_settings(self.settings, self.plan.n_ctx),
            strategy=strategy,
            seed=seed,
            workers=workers,
            temperature=temperature,
            top_p=top_p,
            top_k=top_k,
            min_p=min_p,
            max_tokens=max_tokens,
            stop=stop,
            tools=tools,
            request_id=request_id,
            early_exit=early_exit,
            context=context,
            kb=kb,
            response_format=response_format,
            json_schema=json_schema,
        )
        if request.context == "error":  # the other policies make it fit in answer()
            self.check_fits(request)
        return request

    def check_fits(self, request: SwarmRequest) -> None:
        """``ContextLengthExceeded`` unless the prompt may fit (``swarm/prompt_size.py``)."""
        bound = token_bytes_bound(self.plan.model_path)
        check_prompt_fits(request.messages, self.plan.n_ctx, request.tools, bound)

    async def start(self) -> None:
        log.info(
            "starting %d %s worker(s) on %s: %s",
            self.plan.workers,
            self.plan.backend,
            self.plan.model_name,
            "; ".join(self.plan.reasons),
        )
        await self.swarm.start()

    async def join_federation(self, host: str, api_port: int) -> Federation:
        """Join the hive once the API port is bound (it is advertised and peers dial it).
        ``federation.new_pairing_code`` is set when this node made the hive secret just now:
        the front end shows it, since the user copies it to the other machines."""
        from hive_tui.federation.service import Federation

        federation = Federation(self, host, api_port)
        self.federation = federation
        await federation.start()
        return federation

    async def split_model(
        self, rpc_servers: list[str], tensor_split: list[float], n_gpu_layers: int | None
    ) -> None:
        engine = self.engines[0]
        load = msgspec.structs.replace(
            engine.spec.load,
            rpc_servers=rpc_servers,
            tensor_split=tensor_split,
            n_gpu_layers=self.plan.n_gpu_layers if n_gpu_layers is None else n_gpu_layers,
        )
        await engine.reload(load)

    async def stop(self) -> None:
        if self.federation is not None:
            await self.federation.stop()
        await self.swarm.stop()
        await self.embeddings.close()
        if self._claim is not None:
            self._claim.release()

    async def answer(self, request: SwarmRequest) -> VoteResult:
        """Answer as the hive: the local vote alone, or a two-phase vote with the peers.

        Raises ``SwarmError(SHUTTING_DOWN)`` once ``end_requests`` has cut the vote short;
        cancelling the caller still cancels the vote and raises ``CancelledError``."""
        if self.closed.is_set():
            raise SwarmError(SHUTTING_DOWN)
        report = None
        if request.context != "error":  # truncate or compress, said in the result
            count, exact = await asyncio.to_thread(text_counter, self.plan.model_path)
            request, report = await fit_context(
                request, self.plan.n_ctx, count, exact, self.answer
            )
        self.check_fits(request)  # the app builds its requests without Node.request
        vote = asyncio.ensure_future(self._vote(request))
        self._votes.add(vote)
        try:
            result = await vote  # a cancelled caller cancels the vote too
            return result if report is None else dataclasses.replace(result, context=report)
        except asyncio.CancelledError:
            caller = asyncio.current_task()
            if self.closed.is_set() and caller is not None and not caller.cancelling():
                raise SwarmError(SHUTTING_DOWN) from None  # cut by end_requests, not the caller
            raise
        finally:
            self._votes.discard(vote)

    async def _vote(self, request: SwarmRequest) -> VoteResult:
        # Tools stay on the node that asked, whichever front end asked: peers are never
        # offered them, so a tool step is voted by this node's workers alone (and the tool
        # vote counts workers, a strict majority of all of them, as the README promises).
        if request.kb is not None and not request.passages:  # retrieve, then vote on that
            from hive_tui.retrieval.grounded_vote import grounded_vote, holds

            # A knowledge base held here grounds the prompt; one that is not is asked of the
            # peers (those that share it ground their answers on it).
            folder = data_dir(self.settings.data_dir)
            if self.federation is None or holds(folder, request.kb):
                return await grounded_vote(self._vote, request, folder)
        # Structured output too: the schema and its grammar are not sent to the peers.
        if self.federation is None or request.tools or request.structured:
            return await self.swarm.run(request)
        return await self.federation.answer(request)

    def end_requests(self) -> None:
        """The front end is shutting down and its grace period is over: every vote still running
        is cancelled (its workers told to stop) and its caller gets ``SwarmError(SHUTTING_DOWN)``,
        so a client gets an error it can read rather than a cut connection; ``closed`` is set
        for the streams that never end on their own (``/v1/hive/events``)."""
        self.closed.set()
        for vote in list(self._votes):
            vote.cancel()

    def health(self) -> wire.NodeHealth:
        statuses = self.swarm.statuses()
        return wire.NodeHealth(
            status=wire.node_state(statuses),
            node_id=self.node_id,
            node_name=self.settings.node_name,
            model=self.plan.model_name,
            backend=self.plan.backend,
            strategy=self.settings.strategy,
            workers_ready=wire.workers_ready(statuses),
            workers=statuses,
            plan=list(self.plan.reasons),
            peers=self.federation.view() if self.federation else [],
            prompt_cache=self._prompt_cache(),
            split=self.federation.sharing.split_view() if self.federation else None,
            lending=self.federation.sharing.lend_view() if self.federation else None,
        )

    def _prompt_cache(self) -> wire.PromptCacheView:
        read, cached = self.swarm.prompt_tokens_read, self.swarm.prompt_tokens_cached
        return wire.PromptCacheView(read, cached, round(cached / read, 4) if read else 0.0)

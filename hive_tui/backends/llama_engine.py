"""llama.cpp through llama-cpp-python, one sequence at a time (runs inside a worker child).

Why not ``create_chat_completion``: we need the log-probability of every chosen token for the
confidence vote, and llama-cpp-python only offers that with ``logits_all=True``, which keeps a
full-vocabulary row per token and made generation about 6x slower here. Instead we drive
``Llama.generate`` ourselves and read the one row of logits the context already holds for the
position just sampled (a single log-sum-exp over the vocabulary per token).

With ``prompt_cache`` (the default) llama-cpp-python keeps the cells of the last request and
evaluates only what the next prompt adds past their common prefix: a conversation's next turn
reads its new message, not its whole history. Off, every request starts from an empty KV cache,
so the same prompt and seed give the same answer whatever this worker generated before (prefix
reuse changes how the prompt is batched, and with it the floating-point rounding).
"""

from __future__ import annotations

import codecs
import os
import time
from collections.abc import Generator

from hive_tui import wire
from hive_tui.backends.answer import AnswerStream
from hive_tui.backends.engine import BackendUnavailable, EmitText, IsCancelled
from hive_tui.backends.ggml_rpc import attach_servers
from hive_tui.backends.prefix_cache import common_prefix
from hive_tui.backends.speculative import SPECULATIVE_MODES, lookup_draft
from hive_tui.tools.prompt import openai_tools, template_knows_tools, with_tools_prompt

try:
    import llama_cpp
    from llama_cpp._internals import LlamaModel
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter
    from llama_cpp.llama_grammar import LlamaGrammar

    from hive_tui.backends.llama_draft import DraftModel
    from hive_tui.backends.llama_speculative import Drafter, drafted_tokens
except ImportError as exc:  # pragma: no cover - exercised only without the dependency
    raise BackendUnavailable(f"llama-cpp-python is not installed: {exc}") from exc

# numpy only after llama_cpp: the other way round, loading a model onto the GPU crashed
# (SIGSEGV) with the CUDA build on the lent H200, where this order ran.
import numpy as np  # noqa: E402


class LlamaEngine:
    name = "llama"

    def __init__(self) -> None:
        self._llm: llama_cpp.Llama | None = None
        self._formatter: Jinja2ChatFormatter | None = None
        self._speculative = "off"
        self._draft_max = 0
        self._draft_model: DraftModel | None = None
        self._prompt_cache = True

    def load(self, spec: wire.Load) -> wire.Ready:
        # Checked before the model loads, so a bad setting fails fast.
        if spec.speculative not in SPECULATIVE_MODES:
            raise ValueError(f"speculative must be one of {', '.join(SPECULATIVE_MODES)}")
        if spec.speculative == "draft" and not spec.draft_model:
            raise ValueError("speculative=draft needs a draft model (--draft-model)")
        attach_servers(spec.rpc_servers)
        llm = llama_cpp.Llama(
            model_path=spec.model_path,
            tensor_split=spec.tensor_split or None,
            n_ctx=spec.n_ctx,
            n_threads=spec.n_threads,
            n_threads_batch=spec.n_threads,
            n_gpu_layers=spec.n_gpu_layers,
            # As the batched engine has it (see flash_attention_type). Llama takes a bool, so
            # "auto" is off here; the node gives GPU workers the batched engine anyway.
            flash_attn=flash_attention_type(spec.n_gpu_layers) == FLASH_ATTN_ON,
            verbose=False,
        )
        self._llm = llm
        self._speculative, self._draft_max = spec.speculative, spec.draft_max
        self._prompt_cache = spec.prompt_cache and spec.speculative == "off"
        if spec.speculative == "draft":
            self._draft_model = DraftModel(spec.draft_model, spec.n_ctx, spec.n_threads)
        self._formatter = chat_formatter(llm.metadata, llm._model)
        return wire.Ready(
            backend=self.name,
            model=os.path.basename(spec.model_path),
            n_ctx=llm.n_ctx(),
            slots=1,
            pid=os.getpid(),
            load_s=0.0,
        )

    def prompt_tokens(
        self, messages: list[wire.ChatMessage], tools: list[wire.ToolSpec] | None = None
    ) -> list[int]:
        assert self._llm is not None and self._formatter is not None
        prompt = render_prompt(self._formatter, messages, tools)
        # The template writes the BOS token itself when the model wants one.
        return self._llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)

    def generate(self, request: wire.Generate, emit: EmitText, cancelled: IsCancelled) -> wire.Done:
        llm = self._llm
        assert llm is not None
        started = time.perf_counter()
        params = request.params
        prompt = self.prompt_tokens(request.messages, request.tools)
        room = llm.n_ctx() - len(prompt)
        if room < 1:
            raise ValueError(
                f"prompt of {len(prompt)} tokens does not fit the context of {llm.n_ctx()}"
            )
        budget = min(params.max_tokens, room)

        if self._prompt_cache:  # Llama.generate drops the cells past the common prefix
            cached = _reused_prefix(llm, prompt)
        else:
            llm.reset()
            cached = 0
        llm.set_seed(params.seed & 0xFFFFFFFF)
        vocab = llm._model.vocab
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        answer = AnswerStream(request, emit, started)
        generated: list[int] = []
        logprobs: list[float] = []
        logprob_s = 0.0
        finish = "length"

        tokens = self._tokens(prompt, params, budget)
        for token, row in tokens:
            if cancelled():
                finish = "cancelled"
                break
            if llama_cpp.llama_vocab_is_eog(vocab, token):
                finish = "stop"
                break
            if request.logprobs:
                lp_started = time.perf_counter()
                logprobs.append(_token_logprob(row, token))
                logprob_s += time.perf_counter() - lp_started
            generated.append(token)
            answer.push(decoder.decode(llm.detokenize([token], prev_tokens=generated[:-1])))
            if answer.stopped:
                finish = "stop"
                break
            if len(generated) >= budget:
                break
        tokens.close()
        return answer.done(
            finish,
            tail=decoder.decode(b"", final=True),
            prompt_tokens=len(prompt),
            cached_tokens=cached,
            completion_tokens=len(generated),
            mean_logprob=(sum(logprobs) / len(logprobs)) if logprobs else None,
            logprob_s=logprob_s,
            token_logprobs=logprobs,
        )


    def _tokens(
        self, prompt: list[int], params: wire.SamplingParams, budget: int
    ) -> Generator[tuple[int, np.ndarray], None, None]:
        """(token, the logits row it was chosen from), drafted or one decode per token."""
        llm = self._llm
        assert llm is not None
        # A grammar constrains each token as it is sampled: drafted tokens would skip it.
        if self._speculative != "off" and self._draft_max > 0 and params.grammar is None:
            drafter: Drafter = self._draft_model.draft if self._draft_model else lookup_draft
            yield from drafted_tokens(llm, prompt, params, budget, drafter, self._draft_max)
            return
        n_vocab = llm.n_vocab()
        tokens = llm.generate(
            prompt,
            top_k=params.top_k,
            top_p=params.top_p,
            min_p=params.min_p,
            temp=params.temperature,
            repeat_penalty=1.0,
            reset=True,
            grammar=(
                LlamaGrammar.from_string(params.grammar, verbose=False)
                if params.grammar is not None
                else None
            ),
        )
        try:
            for token in tokens:
                ptr = llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1)
                yield token, np.ctypeslib.as_array(ptr, shape=(n_vocab,))
        finally:
            tokens.close()


def _reused_prefix(llm: llama_cpp.Llama, prompt: list[int]) -> int:
    """The prompt tokens ``Llama.generate`` will find in its cells (its own rule: a prompt held
    whole is cut by one token, whose decode gives the logits to sample from)."""
    held = llm.input_ids[: llm.n_tokens].tolist()
    n = common_prefix(held, prompt)
    return n - 1 if n == len(prompt) and n > 0 else n


def _token_logprob(logits: np.ndarray, token: int) -> float:
    """log p(token) under the model's own distribution, from the logits just used to sample it."""
    top = float(logits.max())
    lse = top + float(np.log(np.exp(logits - top).sum()))
    return float(logits[token]) - lse


FLASH_ATTN_ON = llama_cpp.LLAMA_FLASH_ATTN_TYPE_ENABLED


def flash_attention_type(n_gpu_layers: int) -> int:
    """Flash attention for a llama.cpp context: on when the model runs on the CPU, which
    always has the kernel (1.3-1.6x the plain one's tok/s at 4 slots here, and every worker
    computing alike keeps a slot's answer equal to a one-sequence worker's); llama.cpp's
    "auto" with GPU layers, so a build whose GPU lacks the kernel (a CUDA build with
    GGML_CUDA_FA=OFF, say) does not move every layer's attention to the CPU."""
    if n_gpu_layers == 0 or not llama_cpp.llama_supports_gpu_offload():
        return FLASH_ATTN_ON
    return llama_cpp.LLAMA_FLASH_ATTN_TYPE_AUTO


def render_prompt(
    formatter: Jinja2ChatFormatter,
    messages: list[wire.ChatMessage],
    tools: list[wire.ToolSpec] | None = None,
) -> str:
    """The chat prompt as the model's template writes it; tools go to a template that knows
    them, else into a system message (hive_tui.tools.prompt)."""
    extra: dict[str, object] = {}
    if tools and template_knows_tools(formatter.template):
        extra["tools"] = openai_tools(tools)
    elif tools:
        messages = with_tools_prompt(messages, tools)
    chat = [{"role": m.role, "content": m.content} for m in messages]
    # llama-cpp-python types messages and tools as OpenAI TypedDicts; its Jinja formatter
    # renders whatever dicts the template reads.
    return formatter(messages=chat, **extra).prompt  # type: ignore[arg-type]


def chat_formatter(metadata: dict[str, str], model: LlamaModel) -> Jinja2ChatFormatter:
    """The GGUF's own chat template (shared with the batched engine, so both format alike)."""
    template = metadata.get("tokenizer.chat_template")
    if not template:
        # Models without a template get ChatML, the most common instruction format.
        template = (
            "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
            "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
        )
    eos, bos = model.token_eos(), model.token_bos()
    # llama-cpp-python renders the template in a sandboxed (immutable) Jinja environment.
    return Jinja2ChatFormatter(
        template=template,
        eos_token=model.token_get_text(eos) if eos != -1 else "",
        bos_token=model.token_get_text(bos) if bos != -1 else "",
        add_generation_prompt=True,
    )

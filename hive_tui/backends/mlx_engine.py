"""MLX through mlx-lm, one sequence at a time (runs inside a worker child).

``Load.model_path`` is either an mlx-lm model folder or a GGUF file; a GGUF is converted once
into the user's cache (``hive_tui.backends.mlx_convert``), so MLX workers can run the same
embedded model as llama.cpp workers and vote beside them.

We drive ``mlx_lm.generate.generate_step`` rather than ``stream_generate``: the step gives each
token with the model's log-probabilities (before temperature, like the llama engine, for the
confidence vote), and leaves end-of-generation, stop strings, cancel and the token budget to
the same rules the other engines follow. Every request gets a fresh KV cache and reseeds
MLX's global generator, so a seed replays the same answer whatever ran before it.

MLX has no thread setting for its CPU backend; ``Load.n_threads`` is not used here.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from hive_tui import wire
from hive_tui.backends.answer import AnswerStream
from hive_tui.backends.engine import BackendUnavailable, EmitText, IsCancelled
from hive_tui.backends.mlx_convert import ensure_converted
from hive_tui.backends.mlx_models import display_name
from hive_tui.tools.prompt import openai_tools, template_knows_tools, with_tools_prompt

INSTALL_HINT = "run ./install.sh mlx in the hive checkout (or pip install -e '.[mlx]')"

# A local folder must never turn into a Hugging Face download because of a typo.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

try:
    import mlx.core as mx
    from mlx_lm import load as load_mlx_model
    from mlx_lm.generate import generate_step
    from mlx_lm.sample_utils import make_sampler
except ImportError as exc:
    raise BackendUnavailable(
        f"the MLX backend needs mlx and mlx-lm ({exc}): {INSTALL_HINT}"
    ) from exc

# For model folders without a chat template, as in the llama engine: ChatML.
CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def model_folder(model_path: str) -> Path:
    """The mlx-lm folder to load for ``Load.model_path`` (converting a GGUF first)."""
    path = Path(model_path).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise FileNotFoundError(f"{path} is not an mlx-lm model folder (no config.json)")
        return path
    if path.is_file() and path.suffix.lower() == ".gguf":
        return ensure_converted(path)
    raise FileNotFoundError(f"model {model_path!r} is neither an mlx-lm folder nor a GGUF file")


class MlxEngine:
    name = "mlx"

    def __init__(self) -> None:
        self._model: Any = None  # an mlx.nn.Module
        self._tokenizer: Any = None  # mlx_lm's TokenizerWrapper
        self._n_ctx = 0

    def load(self, spec: wire.Load) -> wire.Ready:
        folder = model_folder(spec.model_path)
        # mlx-lm annotates load() as returning (model, tokenizer); return_config adds a third.
        model, tokenizer, config = load_mlx_model(  # type: ignore[misc]
            str(folder), return_config=True
        )
        self._model, self._tokenizer = model, tokenizer
        trained = int(config.get("max_position_embeddings") or spec.n_ctx)
        self._n_ctx = min(spec.n_ctx, trained)
        return wire.Ready(
            backend=self.name,
            model=display_name(Path(spec.model_path).expanduser()),
            n_ctx=self._n_ctx,
            slots=1,
            pid=os.getpid(),
            load_s=0.0,
        )

    def prompt_tokens(
        self, messages: list[wire.ChatMessage], tools: list[wire.ToolSpec] | None = None
    ) -> list[int]:
        tokenizer = self._tokenizer
        assert tokenizer is not None
        template = tokenizer.chat_template or CHATML
        extra: dict[str, Any] = {}
        # Tools as the llama engine offers them: to a template that knows them, else in a
        # system message, so workers of both backends see the same prompt.
        if tools and template_knows_tools(template):
            extra["tools"] = openai_tools(tools)
        elif tools:
            messages = with_tools_prompt(messages, tools)
        chat = [{"role": m.role, "content": m.content} for m in messages]
        prompt = tokenizer.apply_chat_template(
            chat,
            add_generation_prompt=True,
            tokenize=False,
            chat_template=None if tokenizer.chat_template else CHATML,
            **extra,
        )
        # The template writes the BOS token itself when the model wants one.
        return list(tokenizer.encode(prompt, add_special_tokens=False))

    def generate(self, request: wire.Generate, emit: EmitText, cancelled: IsCancelled) -> wire.Done:
        model, tokenizer = self._model, self._tokenizer
        assert model is not None and tokenizer is not None
        started = time.perf_counter()
        params = request.params
        if params.grammar is not None:  # the node refuses these first (a 400)
            raise ValueError("response_format: the MLX backend cannot constrain to a grammar")
        prompt = self.prompt_tokens(request.messages, request.tools)
        room = self._n_ctx - len(prompt)
        if room < 1:
            raise ValueError(
                f"prompt of {len(prompt)} tokens does not fit the context of {self._n_ctx}"
            )
        budget = min(params.max_tokens, room)

        mx.random.seed(params.seed & 0xFFFFFFFF)
        sampler = make_sampler(
            params.temperature, top_p=params.top_p, min_p=params.min_p, top_k=params.top_k
        )
        detokenizer = tokenizer.detokenizer
        detokenizer.reset()
        eos = tokenizer.eos_token_ids
        answer = AnswerStream(request, emit, started)
        generated = 0
        logprobs: list[float] = []
        finish = "length"

        steps = generate_step(mx.array(prompt), model, max_tokens=budget, sampler=sampler)
        for token, step_logprobs in steps:
            if cancelled():
                finish = "cancelled"
                break
            if token in eos:
                finish = "stop"
                break
            # mlx annotates item() as int | float | complex; a log-probability is a float.
            logprobs.append(float(step_logprobs[token].item()))  # type: ignore[arg-type]
            generated += 1
            detokenizer.add_token(token)
            answer.push(detokenizer.last_segment)
            if answer.stopped:
                finish = "stop"
                break
        steps.close()
        detokenizer.finalize()
        return answer.done(
            finish,
            tail=detokenizer.last_segment,
            prompt_tokens=len(prompt),
            completion_tokens=generated,
            mean_logprob=(sum(logprobs) / generated) if generated else None,
            token_logprobs=logprobs,
        )

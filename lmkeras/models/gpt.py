"""A decoder-only Transformer language model (GPT) and its KV-cache step function.

`build_gpt()` builds the model from `lmkeras.layers`; `gpt_step_fn()` turns a built model into
the `step_fn(new_ids, state) -> (logits, state)` that `lmkeras.sampling.generate` and
`beam_search` drive, with or without a key/value cache; `gpt_generate()` compiles the whole
token loop; `gpt_attention_weights()` returns every block's attention map for a plot. Training
lives in `lmkeras.training` and the chapter-08 recipe in `lmkeras.recipes.char_gpt`.

Reference: Radford et al., "Language Models are Unsupervised Multitask Learners" (GPT-2), 2019;
Karpathy, nanoGPT.
"""

from __future__ import annotations

from typing import NamedTuple

import keras
import numpy as np
from keras import ops

from lmkeras._checks import (
    check_bool,
    check_callable,
    check_choice,
    check_int,
    check_optional_int,
    check_positive,
    check_rate,
    check_token_ids,
    check_type,
)
from lmkeras.backend import compile_step, loop_seed, seed_from_global
from lmkeras.layers.dropout import ThreefryDropout
from lmkeras.layers.initializers import get_initializer
from lmkeras.layers.positional import PositionEmbedding, SinusoidalEncoding, TrainedContext
from lmkeras.layers.transformer import (
    NORMS,
    LogitSoftCap,
    TiedEmbedding,
    TransformerDecoderBlock,
    activation_function,
    normalization,
)

POSITIONS = ("learned", "sinusoidal", "rope")


def check_gpt_options(
    position="learned",
    norm="layer",
    activation="gelu",
    qk_norm=False,
    tie_weights=True,
    zero_init_output=False,
    head_initializer=None,
    logit_soft_cap=None,
) -> None:
    """Refuse `build_gpt`'s architecture options by name, without building anything (so a
    config can check them at import time, before the backend starts)."""  # fmt: skip
    check_choice("position", position, POSITIONS)
    check_choice("norm", norm, NORMS)
    activation_function(activation)
    for name, value in (("qk_norm", qk_norm), ("tie_weights", tie_weights),
                        ("zero_init_output", zero_init_output)):  # fmt: skip
        check_bool(name, value)
    if head_initializer is not None and tie_weights:
        raise ValueError(
            f"`head_initializer` sets the untied output layer's weights, so it needs "
            f"tie_weights=False; received head_initializer={head_initializer!r} with "
            f"tie_weights=True."
        )
    if logit_soft_cap is not None:
        check_positive("logit_soft_cap", logit_soft_cap)


def build_gpt(
    vocabulary_size: int,
    sequence_length: int = 256,
    num_layers: int = 4,
    num_heads: int = 4,
    hidden_dim: int = 128,
    intermediate_dim: int | None = None,
    dropout: float = 0.0,
    position: str = "learned",
    tie_weights: bool = True,
    activation: str = "gelu",
    kernel_initializer="glorot_uniform",
    layer_norm_epsilon: float = 1e-5,
    norm: str = "layer",
    qk_norm: bool = False,
    zero_init_output: bool = False,
    head_initializer=None,
    logit_soft_cap: float | None = None,
    attention_dropout: float | None = None,
    name: str = "gpt",
) -> keras.Model:
    """Build a GPT: token + position embeddings, pre-LN decoder blocks, final LayerNorm, logits.

    The defaults build GPT-2's architecture at any size. The options after
    `layer_norm_epsilon` are the changes of recent fast GPT training recipes (modded-nanogpt,
    nanochat); each is off by default, and chapter 08 measures what each one buys.

    Args:
        vocabulary_size: int ≥ 1. Number of token ids.
        sequence_length: int ≥ 1. The context the model trains on: the size of the learned
            position table, or for sinusoidal and rotary positions the window generation
            slides at (kept in a `TrainedContext` layer). Defaults to `256`.
        num_layers: int ≥ 1. Decoder blocks. Defaults to `4`.
        num_heads: int ≥ 1. Attention heads; must divide `hidden_dim`. Defaults to `4`.
        hidden_dim: int ≥ 1. Model width. Defaults to `128`.
        intermediate_dim: int or None. MLP width; None means 4 × `hidden_dim`.
        dropout: float in [0, 1). Embedding, attention and residual dropout. Defaults to `0.0`.
        position: `"learned"`, `"sinusoidal"` or `"rope"`. Defaults to `"learned"`.
        tie_weights: bool. Reuse the token table as the output layer. Defaults to `True`.
        activation: str. The MLP's activation (`lmkeras.layers.ACTIVATIONS`); GPT-2 uses
            `"gelu_tanh"`. Defaults to `"gelu"`.
        kernel_initializer: initializer of the blocks' projections (and of an untied output
            layer). Defaults to `"glorot_uniform"`; GPT-2 uses normal with stddev 0.02.
        layer_norm_epsilon: float > 0. Defaults to `1e-5` (GPT-2's value).
        norm: `"layer"` (LayerNorm, GPT-2) or `"rms"` (RMSNorm) for every norm. Defaults to
            `"layer"`.
        qk_norm: bool. RMS-normalise queries and keys per head. Defaults to `False`.
        zero_init_output: bool. Each block's two output projections start at zero, so every
            block starts as the identity. Defaults to `False`.
        head_initializer: initializer of the untied output layer (`tie_weights=False`); None
            means `kernel_initializer`. `"zeros"` starts every prediction uniform.
        logit_soft_cap: float > 0 or None. Squash the logits into (-cap, cap) with
            `LogitSoftCap`. Defaults to `None` (no cap).
        attention_dropout: float in [0, 1) or None. Dropout on the attention weights; None
            means `dropout`. `0.0` keeps `dropout` on the embeddings and residual branches only:
            on a CPU, XLA draws a random mask for every attention weight, which halved the
            training speed of chapter 08's recipe (benchmarks/README.md). Defaults to `None`.
        name: str. Model name.

    Returns:
        `keras.Model` from int ids `(batch, T)` to float32 logits `(batch, T, vocabulary_size)`.

    Example:
    >>> model = build_gpt(10, sequence_length=8, num_layers=1, num_heads=2, hidden_dim=8)
    >>> tuple(model(np.zeros((2, 5), "int32")).shape)
    (2, 5, 10)
    """
    for key, value in (("vocabulary_size", vocabulary_size), ("sequence_length", sequence_length),
                       ("num_layers", num_layers), ("num_heads", num_heads),
                       ("hidden_dim", hidden_dim)):  # fmt: skip
        check_int(key, value)
    intermediate_dim = check_optional_int("intermediate_dim", intermediate_dim) or 4 * hidden_dim
    if hidden_dim % num_heads:
        raise ValueError(
            f"`num_heads` must divide `hidden_dim`; received hidden_dim={hidden_dim}, "
            f"num_heads={num_heads}."
        )
    check_gpt_options(position, norm, activation, qk_norm, tie_weights, zero_init_output,
                      head_initializer, logit_soft_cap)  # fmt: skip
    if position == "rope" and (hidden_dim // num_heads) % 2:
        raise ValueError(
            f"position='rope' needs an even head width; received {hidden_dim // num_heads}."
        )
    check_rate("dropout", dropout)
    if attention_dropout is not None:
        check_rate("attention_dropout", attention_dropout)
    check_positive("layer_norm_epsilon", layer_norm_epsilon)
    get_initializer("kernel_initializer", kernel_initializer)
    if head_initializer is not None:
        get_initializer("head_initializer", head_initializer)

    ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    tokens = TiedEmbedding(vocabulary_size, hidden_dim, name="token_embedding")
    if position == "learned":
        x = tokens(ids)
    else:
        x = tokens(TrainedContext(sequence_length, name="trained_context")(ids))
    if position == "learned":
        x = x + PositionEmbedding(sequence_length, name="position_embedding")(x)
    elif position == "sinusoidal":
        x = x + SinusoidalEncoding(name="position_embedding")(x)
    if dropout:
        x = ThreefryDropout(dropout, name="embedding_dropout")(x)
    for i in range(num_layers):
        x = TransformerDecoderBlock(
            num_heads,
            intermediate_dim,
            dropout,
            rotary=position == "rope",
            activation=activation,
            kernel_initializer=kernel_initializer,
            layer_norm_epsilon=layer_norm_epsilon,
            norm=norm,
            qk_norm=qk_norm,
            zero_init_output=zero_init_output,
            attention_dropout=attention_dropout,
            name=f"block_{i}",
        )(x)
    x = normalization(norm, layer_norm_epsilon, name="final_norm")(x)
    if tie_weights:
        logits = tokens(x, reverse=True)
    else:
        logits = keras.layers.Dense(
            vocabulary_size,
            kernel_initializer=head_initializer or kernel_initializer,
            name="logits",
            dtype="float32",
        )(x)
    if logit_soft_cap is not None:
        logits = LogitSoftCap(logit_soft_cap, name="logit_soft_cap")(logits)
    return keras.Model(ids, logits, name=name)


class GPTParts(NamedTuple):
    """The layers of a `build_gpt` model that the cached path calls one by one."""

    token_embedding: TiedEmbedding
    positions: keras.layers.Layer | None  # None for rotary positions (they live in the blocks)
    blocks: list
    final_norm: keras.layers.Layer
    logits: keras.layers.Layer | None  # None when the token table is tied to the output
    soft_cap: keras.layers.Layer | None = None  # `LogitSoftCap`, when the model has one
    trained_context: TrainedContext | None = None  # sinusoidal and rotary positions' context

    @property
    def vocabulary_size(self) -> int:
        return self.token_embedding.vocabulary_size

    @property
    def sequence_length(self) -> int | None:
        """The learned position table's length (the longest context), or None."""
        if isinstance(self.positions, PositionEmbedding):
            return self.positions.sequence_length
        return None

    @property
    def context_length(self) -> int | None:
        """The context the model trained on: the position table's length, else the length its
        `TrainedContext` records (None for a model saved before it had one)."""
        if self.sequence_length is not None:
            return self.sequence_length
        return None if self.trained_context is None else self.trained_context.sequence_length

    def head(self, x):
        x = self.final_norm(x)
        x = self.token_embedding(x, reverse=True) if self.logits is None else self.logits(x)
        return x if self.soft_cap is None else self.soft_cap(x)


def gpt_parts(model: keras.Model) -> GPTParts:
    """The one place that knows the layer names `build_gpt` gives; refuses any other model."""
    check_type("model", model, keras.Model, "a keras.Model built by `build_gpt`")
    layers = {layer.name: layer for layer in model.layers}
    if not isinstance(layers.get("token_embedding"), TiedEmbedding) or "final_norm" not in layers:
        raise TypeError(
            f"`model` must be a model built by `build_gpt`; received {model.__class__.__name__} "
            f"{model.name!r} without its `token_embedding`/`final_norm` layers."
        )
    blocks = [layer for layer in model.layers if isinstance(layer, TransformerDecoderBlock)]
    return GPTParts(
        layers["token_embedding"],
        layers.get("position_embedding"),
        blocks,
        layers["final_norm"],
        layers.get("logits"),
        layers.get("logit_soft_cap"),
        layers.get("trained_context"),
    )


def _cached_forward(parts: GPTParts, max_length: int):
    """`forward(ids, caches, index, at=None) -> (logits, caches)` and `empty(batch)` caches.

    The logits are those of the last of `ids`, or of the one at position `at` among them.
    """

    def forward(ids, caches, index, at=None):
        x = parts.token_embedding(ids)
        if parts.positions is not None:
            x = x + parts.positions(x, start_index=index)
        new_caches = []
        for block, cache in zip(parts.blocks, caches):
            x, cache = block(x, cache=cache, cache_index=index)
            new_caches.append(cache)
        x = x[:, -1:] if at is None else ops.take(x, ops.reshape(at, (1,)), axis=1)
        return parts.head(x)[:, 0], new_caches

    def empty(batch):
        return [block.attention.empty_cache(batch, max_length) for block in parts.blocks]

    return forward, empty


def _cache_length(parts: GPTParts, max_length: int | None) -> int:
    """The KV cache length: `max_length`, checked against a learned position table."""
    limit = parts.sequence_length
    if max_length is None:
        max_length = parts.context_length or 1024
    check_int("max_length", max_length)
    if limit is not None and max_length > limit:
        raise ValueError(
            f"`max_length` must be at most the model's sequence_length={limit} (learned "
            f"positions); received max_length={max_length}."
        )
    return max_length


def gpt_step_fn(model, use_cache=True, max_length=None, jit=True, bucket=64):
    """Make the `step_fn(new_ids, state) -> (logits, state)` of `lmkeras.sampling` for a GPT.

    With the cache, the state is `{"cache": [one (batch, 2, heads, max_length, head_dim) tensor
    per block], "index": (batch,) int32, "ids": the ids in the cache}`: each call embeds only
    the new tokens, writes their keys/values at `index` and attends to everything cached. When
    the cache is full, its last `max_length // 2` ids are fed again into a fresh cache, so
    generation can run past the context. Without the cache, the state is the ids so far and
    every call reruns the model on the whole prefix (cropped to the last `max_length` ids, the
    same window as the cache, right-padded to a multiple of `bucket` so a compiled step is
    reused). The ids and the index stay on the host, in NumPy (the caches on the device): they
    change at every token, and JAX compiles a program for every new shape it sees.

    Python drives the loop, one compiled call per token, so any strategy of `lmkeras.sampling`
    (beam search, n-gram bans, end tokens) works with it; `gpt_generate` compiles the whole
    loop instead, which is several times faster for small models.

    Args:
        model: a `keras.Model` built by `build_gpt()`.
        use_cache: bool. Defaults to `True`.
        max_length: int or None. Cache length; None means the context the model trained on
            (`build_gpt`'s `sequence_length`; learned positions cannot go past it, sinusoidal
            and rotary ones may). 1024 for a model that does not record it.
        jit: bool. Compile the step (XLA on TensorFlow, `jax.jit` on JAX). Defaults to `True`.
        bucket: int ≥ 1. Padding granularity of the uncached step. Defaults to `64`.

    Returns:
        The step function.
    """
    parts = gpt_parts(model)
    check_bool("use_cache", use_cache)
    check_bool("jit", jit)
    check_int("bucket", bucket)
    max_length = _cache_length(parts, max_length)
    forward, empty = _cached_forward(parts, max_length)

    def uncached(ids, last):
        logits = model(ids, training=False)  # (B, T, V)
        return ops.take(logits, last, axis=1)

    compiled_cached = compile_step(forward, model, jit)
    compiled_uncached = compile_step(uncached, model, jit)

    def step_fn(new_ids, state):
        new_ids = check_token_ids("new_ids", new_ids, parts.vocabulary_size, ndim=2)
        batch, length = new_ids.shape
        if not use_cache:
            ids = new_ids if state is None else np.concatenate([state, new_ids], axis=1)
            window = ids[:, -max_length:]
            size = window.shape[1]
            padded_size = min(-(-size // bucket) * bucket, max_length)
            padded = np.pad(window, [[0, 0], [0, padded_size - size]])
            return compiled_uncached(padded, np.int32(size - 1)), ids
        if length > max_length:
            raise ValueError(
                f"The KV cache holds max_length={max_length} positions; received {length} new "
                f"ids at once. Pass a larger `max_length` to gpt_step_fn (at most the model's "
                f"sequence_length with learned positions) or a shorter prompt."
            )
        start = 0 if state is None else int(state["index"][0])
        if state is not None and start + length > max_length:
            # Full: keep the last half of the context and refill a fresh cache from it (the
            # model never saw positions past max_length), then go on one token at a time.
            new_ids = np.concatenate([state["ids"], new_ids], axis=1)[
                :, -max(max_length // 2, length) :
            ]
            state, start, length = None, 0, new_ids.shape[1]
        if state is None:
            state = {"cache": empty(batch), "index": np.zeros(batch, "int32"),
                     "ids": new_ids[:, :0]}  # fmt: skip
        logits, caches = compiled_cached(new_ids, state["cache"], np.int32(start))
        ids = np.concatenate([state["ids"], new_ids], axis=1)
        return logits, {"cache": list(caches), "index": state["index"] + length, "ids": ids}

    return step_fn


def gpt_generate(
    model,
    prompt_ids,
    max_new_tokens,
    sampler=None,
    seed=None,
    use_cache=True,
    jit=True,
    max_length=None,
):
    """Generate with the token loop compiled: no Python work per token, any length.

    The loop (sample → write → forward) runs inside XLA (TensorFlow) or `jax.jit` (JAX) over a
    buffer of the model's context; on PyTorch it is a Python loop. Text longer than the
    context is made in windows, as `gpt_step_fn` does it: when the context is full, its last
    half is fed again into a fresh cache and the loop goes on, so the same compiled loop serves
    every prompt length, every number of tokens and every window (it is kept on the model, one
    per sampler and cache choice). `sampling.generate(gpt_step_fn(model), ...)` gives the same
    greedy tokens, and also does end tokens, n-gram bans and beam search.

    Args:
        model: a `keras.Model` built by `build_gpt()`.
        prompt_ids: int `(batch, prompt_len)`, 1 ≤ prompt_len ≤ the window (`max_length`).
        max_new_tokens: int ≥ 1.
        sampler: a sampler of `lmkeras.sampling` (any `sampler(logits, seed) -> ids`); None
            means greedy decoding (argmax).
        seed: int or None. An int makes stochastic samplers reproducible; None draws one from
            the global Keras seed.
        use_cache: bool. Keep keys/values (one position per step) or re-run the whole window
            every step. Defaults to `True`.
        jit: bool. Compile (XLA on TensorFlow, `jax.jit` on JAX). Defaults to `True`.
        max_length: int or None. The window: None means the context the model trained on
            (`build_gpt`'s `sequence_length`), or the whole text for a model that does not
            record it. Learned positions cannot go past their table.

    Returns:
        int32 `(batch, prompt_len + max_new_tokens)`: the prompt followed by the new tokens.

    Example:
    >>> model = build_gpt(10, sequence_length=8, num_layers=1, num_heads=2, hidden_dim=8)
    >>> tuple(gpt_generate(model, np.zeros((2, 3), "int32"), 20, jit=False).shape)
    (2, 23)
    """
    parts = gpt_parts(model)
    prompt = check_token_ids("prompt_ids", prompt_ids, parts.vocabulary_size, ndim=2)
    prompt = np.asarray(prompt, "int32")
    max_new_tokens = check_int("max_new_tokens", max_new_tokens)
    sampler = _argmax if sampler is None else check_callable("sampler", sampler)
    check_bool("use_cache", use_cache)
    check_bool("jit", jit)
    batch, prompt_len = prompt.shape
    # Past the context the model trained on, text degrades (for learned positions, the table
    # ends): the window slides there. A model without the record gets one pass.
    if max_length is None:
        max_length = parts.context_length or prompt_len + max_new_tokens - 1
    window = _cache_length(parts, max_length)
    if not 1 <= prompt_len <= window:
        raise ValueError(
            f"`prompt_ids` must hold 1 to max_length={window} ids per row (the window, by "
            f"default the model's context); received shape {prompt.shape}."
        )
    seed = check_int("seed", seed_from_global() if seed is None else seed, 0)
    compiled = model.__dict__.setdefault("_lmkeras_generate", {})
    # One seed generator for all the compiled loops, so its state runs on from window to window.
    seed_generator = model.__dict__.get("_lmkeras_generate_seed")
    if seed_generator is None:
        seed_generator = model.__dict__["_lmkeras_generate_seed"] = keras.random.SeedGenerator(0)
    if keras.backend.backend() != "jax":
        seed_generator.state.assign(ops.convert_to_tensor([seed, 0], seed_generator.state.dtype))
    buffer = np.zeros((batch, window + 1), "int32")
    buffer[:, :prompt_len] = prompt
    start, remaining, pieces, keep = prompt_len, max_new_tokens, [prompt], max(window // 2, 1)
    # A generation that slides starts every later window from `keep` ids: its first context is
    # padded as those are, so one compiled loop serves all its windows (compiling a loop takes
    # seconds; the longer first prefill, milliseconds).
    slides = prompt_len + max_new_tokens > window + 1
    for chunk in range(max_new_tokens):
        count = min(remaining, window + 1 - start)
        # JAX takes a raw key per window (its loop folds the position in); elsewhere the seed
        # generator's state runs on from window to window.
        jax_key = None
        if keras.backend.backend() == "jax":
            jax_key = ops.convert_to_tensor(np.array([seed, chunk], "uint32"))
        # The context is fed at once, padded to a power of two (at least 8, at most the window):
        # a few compiled loops serve every prompt length, and a short prompt is not padded to
        # the whole window (which cost 9-20% of the tokens/s of a 256-token generation).
        context = max(start, keep) if slides else start
        prefill = min(window, max(8, 1 << (context - 1).bit_length()))
        key = (repr(sampler), window, prefill, use_cache, jit)
        if key not in compiled:
            compiled[key] = _compile_generation(
                model, parts, sampler, window, prefill, use_cache, jit, seed_generator
            )
        run = compiled[key]
        sizes = (ops.convert_to_tensor(n, "int32") for n in (start, count))
        ids, finite = run(ops.convert_to_tensor(buffer), *sizes, jax_key)
        # A compiled loop cannot raise, so it returns a flag (see benchmarks/bench_checks.py).
        if not bool(ops.convert_to_numpy(finite)):
            raise ValueError(
                "The model's `logits` held NaN while generating (its weights or inputs hold "
                "NaN: a diverged training?); tokens drawn from them would be meaningless, so "
                "none are returned."
            )
        ids = np.asarray(ops.convert_to_numpy(ids))
        pieces.append(ids[:, start : start + count])
        remaining -= count
        if not remaining:
            break
        # The context is full: its last half starts the next window (as `gpt_step_fn`).
        buffer[:] = 0
        buffer[:, :keep] = ids[:, start + count - keep : start + count]
        start = keep
    return ops.convert_to_tensor(np.concatenate(pieces, axis=1), "int32")


def _argmax(logits, seed=None):
    return ops.argmax(logits, axis=-1)


def _compile_generation(model, parts, sampler, window, prefill, use_cache, jit, seed_generator):
    """`run(buffer, start, count, key) -> (buffer, finite)`: `count` new ids written at
    `start, ...` of `buffer` `(batch, window + 1)`, whose first `start ≤ prefill` ids are the
    context."""
    forward, empty = _cached_forward(parts, window)

    def run(buffer, start, count, key):
        key = seed_generator if key is None else key
        batch = ops.shape(buffer)[0]
        context = buffer[:, :prefill]
        # The context is fed at once (one shape for every prompt up to `prefill` ids); the cache
        # rows past `start` hold keys of padding until each position is written, before it is
        # read.
        if use_cache:
            logits, caches = forward(context, empty(batch), 0, at=start - 1)
        else:
            logits, caches = ops.take(model(context, training=False), start - 1, axis=1), []

        def finite(logits):
            return ops.logical_not(ops.any(ops.isnan(logits)))

        def sample(ids, logits, position):
            new = ops.cast(sampler(logits, seed=loop_seed(key, position)), "int32")
            zero = ops.zeros((), "int32")
            return ops.slice_update(ids, [zero, ops.cast(position, "int32")], new[:, None]), new

        def body(position, carry):
            ids, logits, caches = carry
            ids, new = sample(ids, logits, position)
            if use_cache:
                logits, caches = forward(new[:, None], caches, position)
            else:
                logits = ops.take(model(ids[:, :window], training=False), position, axis=1)
            return ids, logits, caches

        # NaN weights make every step's logits NaN, and a NaN met on the way stays in the cache
        # and the last logits: checking the first and the last logits costs two reductions per
        # call, where a check at every token doubled the time per token of a small model.
        ok = finite(logits)
        last = start + count - 1  # the last id needs no forward pass
        ids, logits, _ = ops.fori_loop(start, last, body, (buffer, logits, caches))
        ids, _ = sample(ids, logits, last)
        return ids, ops.logical_and(ok, finite(logits))

    return compile_step(run, model, jit)


def gpt_attention_weights(model: keras.Model, token_ids) -> np.ndarray:
    """Every block's causal self-attention weights for `token_ids`, for a heatmap.

    Runs the model's layers once with `return_attention_scores` (the functional graph does not
    return them), so it sees what `model(token_ids)` computes.

    Args:
        model: a `keras.Model` built by `build_gpt()`.
        token_ids: int `(batch, T)`, within the vocabulary.

    Returns:
        float32 NumPy array `(num_layers, batch, num_heads, T, T)`; each row sums to 1.

    Example:
    >>> model = build_gpt(10, sequence_length=8, num_layers=2, num_heads=2, hidden_dim=8)
    >>> gpt_attention_weights(model, np.array([[1, 2, 3]])).shape
    (2, 1, 2, 3, 3)
    """
    parts = gpt_parts(model)
    ids = ops.convert_to_tensor(
        check_token_ids("token_ids", token_ids, parts.vocabulary_size, ndim=2)
    )
    x = parts.token_embedding(ids)
    if parts.positions is not None:
        x = x + parts.positions(x)
    weights = []
    for block in parts.blocks:
        x, block_weights = block(x, return_attention_scores=True)
        weights.append(ops.convert_to_numpy(block_weights))
    return np.stack(weights).astype("float32")

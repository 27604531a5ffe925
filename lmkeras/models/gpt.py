"""A decoder-only Transformer language model (GPT), its KV-cache step function, and a trainer
that stops on a wall-clock budget.

`gpt()` builds the model from `lmkeras.layers`; `gpt_step_fn()` turns a built model into the
`step_fn(new_ids, state) -> (logits, state)` that `lmkeras.sampling.generate` and
`beam_search` drive, with or without a key/value cache; `train_with_time_budget()` trains any
next-token model for a fixed number of seconds with a warm-up + cosine learning rate over the
budget and records validation loss against seconds (the chapter-08 notebook, the command line
and `benchmarks/bench_gpt.py` all train through it).

Reference: Radford et al., "Language Models are Unsupervised Multitask Learners" (GPT-2), 2019;
Karpathy, nanoGPT.
"""

from __future__ import annotations

import math
import time

import keras
import numpy as np
from keras import ops

from lmkeras.layers.positional import PositionEmbedding, SinusoidalEncoding
from lmkeras.layers.transformer import TiedEmbedding, TransformerDecoderBlock

POSITIONS = ("learned", "sinusoidal", "rope")

# The chapter-08 recipe for character-level Shakespeare on a 2-core CPU: about as many
# parameters (0.8 M) as a 10-minute compute budget supports (Chinchilla: N ≈ √(C / 120)),
# a 128-character context, and a high peak learning rate with a cosine over the time budget.
CHAR_MODEL = {"num_layers": 4, "num_heads": 4, "hidden_dim": 128, "sequence_length": 128}
CHAR_TRAINING = {"sequence_length": 128, "batch_size": 32, "learning_rate": 3e-3,
                 "warmup_steps": 100, "min_lr_ratio": 0.1, "weight_decay": 0.1}  # fmt: skip


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"`{name}` must be a positive int; received {name}={value!r}.")


def gpt(
    vocabulary_size,
    sequence_length=256,
    num_layers=4,
    num_heads=4,
    hidden_dim=128,
    intermediate_dim=None,
    dropout=0.0,
    position="learned",
    tie_weights=True,
    name="gpt",
):
    """Build a GPT: token + position embeddings, pre-LN decoder blocks, final LayerNorm, logits.

    Args:
        vocabulary_size: int ≥ 1. Number of token ids.
        sequence_length: int ≥ 1. Longest context (size of the learned position table).
        num_layers: int ≥ 1. Decoder blocks. Defaults to `4`.
        num_heads: int ≥ 1. Attention heads; must divide `hidden_dim`. Defaults to `4`.
        hidden_dim: int ≥ 1. Model width. Defaults to `128`.
        intermediate_dim: int or None. MLP width; None means 4 × `hidden_dim`.
        dropout: float in [0, 1). Embedding, attention and residual dropout. Defaults to `0.0`.
        position: `"learned"`, `"sinusoidal"` or `"rope"`. Defaults to `"learned"`.
        tie_weights: bool. Reuse the token table as the output layer. Defaults to `True`.
        name: str. Model name.

    Returns:
        `keras.Model` from int ids `(batch, T)` to float32 logits `(batch, T, vocabulary_size)`.

    Example:
    >>> model = gpt(vocabulary_size=10, sequence_length=8, num_layers=1, num_heads=2, hidden_dim=8)
    >>> tuple(model(np.zeros((2, 5), "int32")).shape)
    (2, 5, 10)
    """
    for key, value in (("vocabulary_size", vocabulary_size), ("sequence_length", sequence_length),
                       ("num_layers", num_layers), ("num_heads", num_heads),
                       ("hidden_dim", hidden_dim)):  # fmt: skip
        _positive_int(key, value)
    intermediate_dim = 4 * hidden_dim if intermediate_dim is None else intermediate_dim
    _positive_int("intermediate_dim", intermediate_dim)
    if hidden_dim % num_heads:
        raise ValueError(
            f"`num_heads` must divide `hidden_dim`; received hidden_dim={hidden_dim}, "
            f"num_heads={num_heads}."
        )
    if position not in POSITIONS:
        raise ValueError(f"`position` must be one of {POSITIONS}; received position={position!r}.")
    if position == "rope" and (hidden_dim // num_heads) % 2:
        raise ValueError(
            f"position='rope' needs an even head width; received {hidden_dim // num_heads}."
        )
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
        raise ValueError(f"`dropout` must be a float in [0, 1); received dropout={dropout!r}.")

    ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    tokens = TiedEmbedding(vocabulary_size, hidden_dim, name="token_embedding")
    x = tokens(ids)
    if position == "learned":
        x = x + PositionEmbedding(sequence_length, name="position_embedding")(x)
    elif position == "sinusoidal":
        x = x + SinusoidalEncoding(name="position_embedding")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="embedding_dropout")(x)
    for i in range(num_layers):
        block = TransformerDecoderBlock(
            num_heads, intermediate_dim, dropout, rotary=position == "rope", name=f"block_{i}"
        )
        x = block(x)
    x = keras.layers.LayerNormalization(epsilon=1e-5, name="final_norm")(x)
    if tie_weights:
        logits = tokens(x, reverse=True)
    else:
        logits = keras.layers.Dense(vocabulary_size, name="logits", dtype="float32")(x)
    return keras.Model(ids, logits, name=name)


def compile_step(fn, model, jit=True):
    """Compile `fn(*tensors)` that calls `model`'s layers, the way Keras compiles `predict`.

    The only backend-specific code of the module: XLA through `tf.function` on TensorFlow,
    `jax.jit` with the weights passed in (stateless) on JAX, and plain eager calls on PyTorch.
    """
    backend = keras.backend.backend()
    if not jit or backend not in ("tensorflow", "jax"):
        return fn
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(fn, jit_compile=True, reduce_retracing=True)
    import jax

    variables = model.variables

    def stateless(values, *args):
        with keras.StatelessScope(state_mapping=list(zip(variables, values))):
            return fn(*args)

    compiled = jax.jit(stateless)
    return lambda *args: compiled([v.value for v in variables], *args)


def _head(model, x):
    x = model.get_layer("final_norm")(x)
    names = [layer.name for layer in model.layers]
    if "logits" in names:
        return model.get_layer("logits")(x)
    return model.get_layer("token_embedding")(x, reverse=True)


def _cached_forward(model, max_length):
    """`forward(ids, caches, index) -> (last logits, caches)` and `empty(batch)` caches."""
    blocks = [layer for layer in model.layers if isinstance(layer, TransformerDecoderBlock)]
    positions = _position_layer(model)

    def forward(ids, caches, index):
        x = model.get_layer("token_embedding")(ids)
        if positions is not None:
            x = x + positions(x, start_index=index)
        new_caches = []
        for block, cache in zip(blocks, caches):
            x, cache = block(x, cache=cache, cache_index=index)
            new_caches.append(cache)
        return _head(model, x[:, -1:])[:, 0], new_caches

    def empty(batch):
        first = blocks[0].attention
        shape = (batch, 2, first.num_heads, max_length, first.head_dim)
        return [ops.zeros(shape, model.compute_dtype) for _ in blocks]

    return forward, empty


def _position_layer(model):
    """The model's position layer, or None for rotary positions (they live in the blocks)."""
    names = [layer.name for layer in model.layers]
    return model.get_layer("position_embedding") if "position_embedding" in names else None


def _cache_length(model, max_length):
    """The KV cache length: `max_length`, checked against a learned position table."""
    positions = _position_layer(model)
    limit = positions.sequence_length if isinstance(positions, PositionEmbedding) else None
    if max_length is None:
        max_length = limit or 1024
    _positive_int("max_length", max_length)
    if limit is not None and max_length > limit:
        raise ValueError(
            f"`max_length` must be at most the model's sequence_length={limit} (learned "
            f"positions); received max_length={max_length}."
        )
    return max_length, limit


def gpt_step_fn(model, use_cache=True, max_length=None, jit=True, bucket=64):
    """Make the `step_fn(new_ids, state) -> (logits, state)` of `lmkeras.sampling` for a GPT.

    With the cache, the state is `{"cache": [one (batch, 2, heads, max_length, head_dim) tensor
    per block], "index": (batch,) int32, "ids": the ids in the cache}`: each call embeds only
    the new tokens, writes their keys/values at `index` and attends to everything cached. When
    the cache is full, its last `max_length // 2` ids are fed again into a fresh cache, so
    generation can run past the context. Without the cache, the state is the ids so far and
    every call reruns the model on the whole prefix (cropped to the last `sequence_length` ids,
    right-padded to a multiple of `bucket` so a compiled step is reused).

    Python drives the loop, one compiled call per token, so any strategy of `lmkeras.sampling`
    (beam search, n-gram bans, end tokens) works with it; `gpt_generate` compiles the whole
    loop instead, which is several times faster for small models.

    Args:
        model: a `keras.Model` built by `gpt()`.
        use_cache: bool. Defaults to `True`.
        max_length: int or None. Cache length; None means the model's `sequence_length`
            (learned positions cannot go past it), or 1024 for sinusoidal/rotary positions.
        jit: bool. Compile the step (XLA on TensorFlow, `jax.jit` on JAX). Defaults to `True`.
        bucket: int ≥ 1. Padding granularity of the uncached step. Defaults to `64`.

    Returns:
        The step function.
    """
    max_length, limit = _cache_length(model, max_length)
    forward, empty = _cached_forward(model, max_length)

    def uncached(ids, last):
        logits = model(ids, training=False)  # (B, T, V)
        return ops.take(logits, last, axis=1)

    compiled_cached = compile_step(forward, model, jit)
    compiled_uncached = compile_step(uncached, model, jit)

    def step_fn(new_ids, state):
        new_ids = ops.cast(new_ids, "int32")
        batch, length = ops.shape(new_ids)
        if not use_cache:
            ids = new_ids if state is None else ops.concatenate([state, new_ids], axis=1)
            window = ids[:, -limit:] if limit else ids
            size = window.shape[1]
            padded_size = min(-(-size // bucket) * bucket, limit or math.inf)
            padded = ops.pad(window, [[0, 0], [0, padded_size - size]])
            return compiled_uncached(padded, ops.convert_to_tensor(size - 1, "int32")), ids
        if length > max_length:
            raise ValueError(
                f"The KV cache holds max_length={max_length} positions; received {length} new "
                f"ids at once. Pass a larger `max_length` to gpt_step_fn (at most the model's "
                f"sequence_length with learned positions) or a shorter prompt."
            )
        start = 0 if state is None else int(ops.convert_to_numpy(state["index"][0]))
        if state is not None and start + length > max_length:
            # Full: keep the last half of the context and refill a fresh cache from it (the
            # model never saw positions past max_length), then go on one token at a time.
            new_ids = ops.concatenate([state["ids"], new_ids], axis=1)[
                :, -max(max_length // 2, length) :
            ]
            state, length = None, ops.shape(new_ids)[1]
        if state is None:
            state = {"cache": empty(batch), "index": ops.zeros((batch,), "int32"),
                     "ids": new_ids[:, :0]}  # fmt: skip
        logits, caches = compiled_cached(new_ids, state["cache"], state["index"][0])
        ids = ops.concatenate([state["ids"], new_ids], axis=1)
        return logits, {"cache": list(caches), "index": state["index"] + length, "ids": ids}

    return step_fn


def _loop_seed(key, step):
    """The seed a sampler gets at `step` of a compiled loop (see `gpt_generate`)."""
    if keras.backend.backend() == "jax":
        import jax

        return jax.random.fold_in(key, step)  # a raw key, as keras.random accepts on JAX
    return key  # a SeedGenerator, which advances its own state variable in the loop


def gpt_generate(
    model, prompt_ids, max_new_tokens, sampler=None, seed=None, use_cache=True, jit=True
):
    """Generate with the whole token loop compiled: one call, no Python work per token.

    The cache (or, without it, the id buffer that is re-run every step) has the fixed length
    prompt + `max_new_tokens`, and `keras.ops.fori_loop` runs sample → write → forward inside
    XLA (TensorFlow) or `jax.jit` (JAX); on PyTorch it is a Python loop. Use it for plain
    sampling within the context; `sampling.generate(gpt_step_fn(model), ...)` also does end
    tokens, n-gram bans, beam search and text longer than the context. The compiled loop is
    kept on the model for each (sampler, lengths, cache) and reused.

    Args:
        model: a `keras.Model` built by `gpt()`.
        prompt_ids: int `(batch, prompt_len)`, prompt_len ≥ 1.
        max_new_tokens: int ≥ 1. Prompt + new tokens must fit the model's `sequence_length`
            with learned positions.
        sampler: a sampler of `lmkeras.sampling`; None means `GreedySampler()`.
        seed: int or None. An int makes stochastic samplers reproducible; None draws one from
            the global Keras seed.
        use_cache: bool. Keep keys/values (one position per step) or re-run the whole buffer
            every step. Defaults to `True`.
        jit: bool. Compile (XLA on TensorFlow, `jax.jit` on JAX). Defaults to `True`.

    Returns:
        int32 `(batch, prompt_len + max_new_tokens)`: the prompt followed by the new tokens,
        the same tokens `sampling.generate` gives with greedy decoding.

    Example:
    >>> model = gpt(vocabulary_size=10, sequence_length=8, num_layers=1, num_heads=2, hidden_dim=8)
    >>> tuple(gpt_generate(model, np.zeros((2, 3), "int32"), 5, jit=False).shape)
    (2, 8)
    """
    from lmkeras import sampling

    prompt = ops.cast(sampling._check_prompt(prompt_ids), "int32")
    max_new_tokens = sampling._check_int("max_new_tokens", max_new_tokens, 1)
    sampler = sampling.GreedySampler() if sampler is None else sampler
    if not callable(sampler):
        raise TypeError(f"`sampler` must be callable; received {sampler!r}.")
    batch, prompt_len = ops.shape(prompt)
    total = prompt_len + max_new_tokens
    limit = _cache_length(model, None)[1]
    if limit is not None and total > limit:
        raise ValueError(
            f"prompt length + max_new_tokens must be at most the model's sequence_length="
            f"{limit}; received {prompt_len} + {max_new_tokens} = {total}. For longer text use "
            f"`sampling.generate(gpt_step_fn(model), ...)`, which slides the context."
        )
    if seed is None:
        seed = int(ops.convert_to_numpy(keras.random.randint((), 0, 2**31 - 1)))
    seed = sampling._check_int("seed", seed, 0)
    key = (repr(sampler), prompt_len, max_new_tokens, use_cache, jit)
    compiled = model.__dict__.setdefault("_lmkeras_generate", {})
    if key not in compiled:
        compiled[key] = _compile_generation(model, sampler, prompt_len, total, use_cache, jit)
    run, seed_generator = compiled[key]
    if keras.backend.backend() == "jax":
        return run(prompt, ops.convert_to_tensor(np.array([seed, 0], "uint32")))  # a raw key
    seed_generator.state.assign(ops.convert_to_tensor([seed, 0], seed_generator.state.dtype))
    return run(prompt, None)


def _compile_generation(model, sampler, prompt_len, total, use_cache, jit):
    forward, empty = _cached_forward(model, total)
    seed_generator = keras.random.SeedGenerator(0)

    def run(prompt, key):
        key = seed_generator if key is None else key
        batch = ops.shape(prompt)[0]
        ids = ops.pad(prompt, [[0, 0], [0, total - prompt_len]])
        if use_cache:
            logits, caches = forward(prompt, empty(batch), 0)
        else:
            logits, caches = model(ids, training=False)[:, prompt_len - 1], []

        def body(i, carry):
            ids, logits, caches = carry
            position = ops.cast(prompt_len + i, "int32")
            new = ops.cast(sampler(logits, seed=_loop_seed(key, i)), "int32")
            ids = ops.slice_update(ids, [ops.zeros((), "int32"), position], new[:, None])
            if use_cache:
                logits, caches = forward(new[:, None], caches, position)
            else:
                logits = ops.take(model(ids, training=False), position, axis=1)
            return ids, logits, caches

        return ops.fori_loop(0, total - prompt_len, body, (ids, logits, caches))[0]

    return compile_step(run, model, jit), seed_generator


def _lr_factor(fraction, step, warmup_steps, min_ratio):
    warm = min(1.0, (step + 1) / warmup_steps)
    cosine = 0.5 * (1 + math.cos(math.pi * min(fraction, 1.0)))
    return warm * (min_ratio + (1 - min_ratio) * cosine)


def _windows(ids, starts, length):
    return ids[starts[:, None] + np.arange(length)]


def compile_for_training(model, learning_rate=3e-3, weight_decay=0.1, jit_compile=None):
    """Compile a next-token model with AdamW (β₂ 0.99, clip 1.0) and cross-entropy on logits.

    `jit_compile=None` means True on TensorFlow and JAX (XLA), False on PyTorch. Returns the
    optimizer, whose `learning_rate` variable the caller may set between steps.
    """
    if jit_compile is None:
        jit_compile = keras.backend.backend() != "torch"
    optimizer = keras.optimizers.AdamW(
        learning_rate, weight_decay=weight_decay, beta_2=0.99, global_clipnorm=1.0
    )
    optimizer.exclude_from_weight_decay(var_names=["bias", "gamma", "beta"])
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        jit_compile=jit_compile,
    )
    return optimizer


def train_with_time_budget(
    model,
    train_ids,
    validation_ids,
    seconds,
    sequence_length=128,
    batch_size=32,
    learning_rate=3e-3,
    warmup_steps=100,
    min_lr_ratio=0.1,
    weight_decay=0.1,
    eval_every=60.0,
    eval_batches=8,
    max_steps=None,
    jit_compile=None,
    seed=0,
    verbose=1,
):
    """Train a next-token model for `seconds` of wall-clock time; record validation loss.

    Batches are random windows of `train_ids` (as nanoGPT's `get_batch`). The learning rate
    warms up linearly for `warmup_steps`, then follows a cosine from `learning_rate` down to
    `min_lr_ratio × learning_rate` over the *time* budget, so it ends at its floor when time is
    up whatever the machine's speed. The clock includes compilation and excludes evaluations.

    Args:
        model: `keras.Model` from int ids `(batch, T)` to logits `(batch, T, vocab)`.
        train_ids, validation_ids: 1-D int arrays (tokenized text).
        seconds: float > 0. Training budget.
        sequence_length, batch_size: ints ≥ 1. Window length and windows per step.
        learning_rate: float. Peak learning rate of AdamW. Defaults to `3e-3`.
        warmup_steps: int ≥ 1. Defaults to `100`.
        min_lr_ratio: float. Final learning rate as a fraction of the peak. Defaults to `0.1`.
        weight_decay: float. AdamW decay (not on biases and norms). Defaults to `0.1`.
        eval_every: float. Seconds of training between validation estimates. Defaults to `60`.
        eval_batches: int. Batches of fixed random validation windows per estimate.
        max_steps: int or None. Also stop after this many steps; the cosine then follows
            whichever budget (time or steps) is used up faster. Defaults to `None`.
        jit_compile: bool or None. None means True on TensorFlow/JAX, False on PyTorch.
        seed: int. Seed of the batch sampler.
        verbose: int. 1 shows a progress bar over the budget (for terminals), 2 prints one line
            per validation estimate (for notebooks and logs), 0 is silent.

    Returns:
        dict with lists `seconds`, `step`, `train_loss`, `val_loss` (one entry per estimate,
        the last at the end of the budget) and `tokens_per_second` (training throughput).
    """
    if not seconds > 0:
        raise ValueError(f"`seconds` must be > 0; received seconds={seconds!r}.")
    for key, value in (("sequence_length", sequence_length), ("batch_size", batch_size),
                       ("warmup_steps", warmup_steps), ("eval_batches", eval_batches)):  # fmt: skip
        _positive_int(key, value)
    train_ids, validation_ids = np.asarray(train_ids, "int32"), np.asarray(validation_ids, "int32")
    for key, ids in (("train_ids", train_ids), ("validation_ids", validation_ids)):
        if ids.ndim != 1 or len(ids) <= sequence_length + 1:
            raise ValueError(
                f"`{key}` must be 1-D with more than sequence_length + 1 = "
                f"{sequence_length + 1} ids; received shape {ids.shape}."
            )
    optimizer = compile_for_training(model, learning_rate, weight_decay, jit_compile)
    rng = np.random.default_rng(seed)
    last = len(validation_ids) - sequence_length - 1
    val_starts = rng.integers(0, last, (eval_batches, batch_size))
    history = {"seconds": [], "step": [], "train_loss": [], "val_loss": []}
    progress = keras.utils.Progbar(int(seconds), unit_name="s") if verbose == 1 else None
    clock, step, next_eval, recent, shown = 0.0, 0, eval_every, [], -1
    if max_steps is not None:
        _positive_int("max_steps", max_steps)
    total = max_steps or math.inf
    while clock < seconds and step < total:
        factor = _lr_factor(max(clock / seconds, step / total), step, warmup_steps, min_lr_ratio)
        optimizer.learning_rate.assign(learning_rate * factor)
        starts = rng.integers(0, len(train_ids) - sequence_length - 1, batch_size)
        tic = time.perf_counter()
        loss = model.train_on_batch(
            _windows(train_ids, starts, sequence_length),
            _windows(train_ids, starts + 1, sequence_length),
        )
        clock += time.perf_counter() - tic
        step, recent = step + 1, (recent + [float(loss)])[-50:]
        if progress is not None and int(clock) > shown:  # at most one update a second
            shown = min(int(clock), int(seconds))
            progress.update(shown, [("loss", float(loss))])
        if clock >= next_eval or clock >= seconds or step >= total:
            val = [model.test_on_batch(_windows(validation_ids, s, sequence_length),
                                       _windows(validation_ids, s + 1, sequence_length))
                   for s in val_starts]  # fmt: skip
            for key, value in (("seconds", clock), ("step", step),
                               ("train_loss", float(np.mean(recent))),
                               ("val_loss", float(np.mean(val)))):  # fmt: skip
                history[key].append(value)
            if verbose == 2:
                print(f"{clock:7.1f} s  step {step:5d}  train {history['train_loss'][-1]:.3f}  "
                      f"validation {history['val_loss'][-1]:.3f}")  # fmt: skip
            next_eval += eval_every
    history["tokens_per_second"] = step * batch_size * sequence_length / clock
    return history


def evaluate_loss(model, ids, sequence_length, batch_size=32):
    """Mean next-token cross-entropy (nats per token) over all non-overlapping windows of `ids`.

    Windows that do not fill the last batch are left out, so every batch has the compiled shape.
    """
    ids = np.asarray(ids, "int32")
    count = (len(ids) - 1) // sequence_length // batch_size * batch_size
    if count == 0:
        raise ValueError(
            f"`ids` must hold more than sequence_length × batch_size = "
            f"{sequence_length * batch_size} ids; received {len(ids)}."
        )
    starts = np.arange(count) * sequence_length
    losses = [model.test_on_batch(_windows(ids, s, sequence_length),
                                  _windows(ids, s + 1, sequence_length))
              for s in starts.reshape(-1, batch_size)]  # fmt: skip
    return float(np.mean(losses))


def train_char_gpt(seconds, text=None, model_kwargs=None, training_kwargs=None, verbose=1):
    """The chapter-08 run end to end: tokenize, split 90/10, build, train for `seconds`, score.

    Shared by the notebook's full mode, `python -m lmkeras.gpt_cli train` and
    `benchmarks/bench_gpt.py --quality-minutes`.

    Args:
        seconds: float. Training budget.
        text: str or None. Corpus; None loads tiny Shakespeare.
        model_kwargs, training_kwargs: dicts overriding `CHAR_MODEL` / `CHAR_TRAINING`.
        verbose: int. 1 shows a progress bar.

    Returns:
        dict with `model`, `tokenizer`, `history` and `final` (validation loss in nats/char
        over the whole validation split, and `tokens_per_second`).
    """
    from lmkeras.data import load_shakespeare, split_text
    from lmkeras.text import CharTokenizer

    text = load_shakespeare() if text is None else text
    tokenizer = CharTokenizer.from_text(text)
    train_text, validation_text = split_text(text, 0.1)
    train_ids, val_ids = tokenizer.encode(train_text), tokenizer.encode(validation_text)
    model_kwargs = {**CHAR_MODEL, **(model_kwargs or {})}
    training = {**CHAR_TRAINING, **(training_kwargs or {})}
    model = gpt(tokenizer.vocab_size, **model_kwargs)
    history = train_with_time_budget(
        model, train_ids, val_ids, seconds, verbose=verbose, **training
    )
    loss = evaluate_loss(model, val_ids, training["sequence_length"], training["batch_size"])
    final = {"val_loss": loss, "tokens_per_second": history["tokens_per_second"],
             "steps": history["step"][-1], "seconds": history["seconds"][-1]}  # fmt: skip
    return {"model": model, "tokenizer": tokenizer, "history": history, "final": final}

"""Decoding strategies for any language model that gives next-token logits.

Every strategy here drives a *step function* and knows nothing else about the model:

    step_fn(new_ids, state) -> (logits, state)

- `new_ids`: int32 `(batch, n)`, the tokens not yet fed to the model: the whole prompt on the
  first call (with `state=None`), then one token, `(batch, 1)`.
- `logits`: `(batch, vocab)`, the scores of the next token.
- `state`: any nest of tensors whose every leaf has the batch on axis 0 (RNN states, a KV
  cache, or simply the ids so far for a model without a cache). Beam search reorders it with
  `keras.ops.take(leaf, beam_indices, axis=0)`.

`prefix_step_fn(model)` turns any model mapping ids `(batch, length)` to logits
`(batch, length, vocab)` into such a step function by re-running the whole prefix; models with a
cache (`lmkeras.models.rnn.rnn_step_fn`, the GPT's KV cache) provide a faster one.

Samplers turn logits into ids: `GreedySampler`, `TemperatureSampler`, `TopKSampler`,
`TopPSampler`. `generate` runs any of them with an optional no-repeat n-gram constraint and an
end token; `beam_search` keeps the `num_beams` most probable continuations. The samplers are
written with `keras.ops` / `keras.random` (they also run inside compiled loops), so everything
runs on TensorFlow, JAX and PyTorch, and a `seed` makes stochastic sampling reproducible; called
eagerly with a `SeedGenerator`, as `generate` calls them, a draw runs as one compiled program
(`generate` with top-k or top-p: 1.8-2.2× its tokens/s with eager draws; see
benchmarks/bench_generation.py). The loops keep the ids generated so far on the host, in NumPy:
they grow by a token a step, and on JAX every new shape of a device array compiles new
programs (test_sampling.py on JAX: 112 s with the ids on the device, 60 s on the host,
2026-12-03).

Reference: Holtzman et al., "The Curious Case of Neural Text Degeneration" (2020), for top-p.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np
from keras import ops

from lmkeras._checks import (
    check_callable,
    check_float,
    check_int,
    check_positive,
    check_token_ids,
    known_value,
)
from lmkeras.backend import categorical, compile_draw, seed_from_global

StepFn = Callable[[Any, Any], tuple[Any, Any]]


# ----------------------------------------------------------------------------- validation
def _check_temperature(temperature: object) -> float:
    return check_positive("temperature", temperature)  # → 0 is GreedySampler


def _check_prompt(prompt_ids: Any, name: str = "prompt_ids") -> Any:
    """Int ids `(batch, length ≥ 1)`, none negative (checked when their values are known)."""
    if isinstance(prompt_ids, (list, tuple)):
        prompt_ids = np.asarray(prompt_ids)
    shape = tuple(ops.shape(prompt_ids))
    if len(shape) != 2 or shape[1] is None or shape[1] < 1:
        length = "prompt_len" if name == "prompt_ids" else "length"
        raise ValueError(
            f"`{name}` must be int ids of shape (batch, {length}) with {length} ≥ 1; received "
            f"shape {shape}."
        )
    dtype = keras.backend.standardize_dtype(prompt_ids.dtype)
    if "int" not in dtype:
        raise TypeError(f"`{name}` must hold integer ids; received dtype {dtype}.")
    values = known_value(prompt_ids)
    if values is not None:
        check_token_ids(name, values)
    return ops.cast(prompt_ids, "int32")


def _check_first_logits(logits: Any, ids: Any, name: str, end_id: int | None) -> int:
    """After the first step: logits `(batch, vocabulary)`, and the ids and `end_id` inside that
    vocabulary (the step function is the first place the vocabulary size is known)."""
    shape = tuple(logits.shape)
    if len(shape) != 2 or shape[0] != ops.shape(ids)[0]:
        raise ValueError(
            f"`step_fn` must return logits of shape (batch, vocabulary) with batch="
            f"{ops.shape(ids)[0]}; received shape {shape}."
        )
    vocabulary_size = int(shape[1])
    values = known_value(ids)
    if values is not None:
        check_token_ids(name, values, vocabulary_size)
    if end_id is not None and end_id >= vocabulary_size:
        raise ValueError(
            f"`end_id` must be an id below the vocabulary size {vocabulary_size}; received "
            f"end_id={end_id}."
        )
    return vocabulary_size


def _check_logits(logits: Any) -> np.ndarray | None:
    """Logits `(batch, vocabulary)` from which a token can be drawn: no NaN, no +inf, and not a
    whole row of -inf (banned tokens are -inf). Values are checked when they can be read (eager
    calls; returned as float32 NumPy); inside a compiled loop (None) `gpt_generate` checks after
    the loop."""
    shape = tuple(logits.shape)
    if len(shape) != 2:
        raise ValueError(f"`logits` must have shape (batch, vocabulary); received shape {shape}.")
    # In NumPy, on one host copy: this runs at every generated token, and a few backend ops
    # (each dispatched on its own in eager mode) cost more than the step of a small model.
    values = known_value(logits)
    if values is None:
        return None
    values = values.astype("float32", copy=False)
    if not np.all(values < np.inf):  # False exactly where a NaN or +inf is
        bad = np.isnan(values) | np.isposinf(values)
        row, token = (int(i) for i in np.argwhere(bad)[0])
        what = "NaN" if np.isnan(values[row, token]) else "+inf"
        raise ValueError(
            f"`logits` hold {what} (row {row}, token {token}), so no token can be drawn: the "
            f"model's output is not a number. Look for NaN weights or inputs (a diverged "
            f"training?)."
        )
    dead = np.flatnonzero(values.max(axis=-1) == -np.inf) if values.size else []
    if len(dead):
        raise ValueError(f"`logits` of row {int(dead[0])} are all -inf: every token is impossible.")
    return values


def _scaled(logits: Any, temperature: float) -> Any:
    """float32 logits shifted so the row maximum is 0, then divided by the temperature.

    The shift changes no probability but keeps `logits / temperature` finite for tiny
    temperatures and huge logits (one-hot × 1e9 in the tests).
    """
    logits = ops.cast(logits, "float32")
    return (logits - ops.max(logits, axis=-1, keepdims=True)) / temperature


# ----------------------------------------------------------------------------- samplers
# A sampler's draw compiled once per kind and settings (`repr`), shared by equal samplers.
_COMPILED_DRAWS: dict[str, Callable] = {}


class _Sampler:
    """Checks the logits, then draws: `_draw(logits, seed)`, written with `keras.ops`.

    Inside a compiled loop (`gpt_generate`) the draw is traced into the loop. Called eagerly
    with a `SeedGenerator` (as `generate` does at every token) on TensorFlow or JAX, the draw
    and the generator's step run as one compiled program (`backend.compile_draw`), on the seed
    `generator.next()` would give: the same ids as the eager ops, at a fraction of their cost
    (each eager op is dispatched on its own, and a top-p draw is a dozen of them).
    """

    def __call__(self, logits: Any, seed: Any = None) -> Any:
        values = _check_logits(logits)
        self._check(logits)
        compiles = keras.backend.backend() in ("tensorflow", "jax")
        if values is None or not compiles or not isinstance(seed, keras.random.SeedGenerator):
            return self._draw(logits, seed)  # traced into a loop, on PyTorch, or a plain seed
        key = f"{self!r}"
        draw = _COMPILED_DRAWS.get(key)
        if draw is None:
            draw = _COMPILED_DRAWS[key] = compile_draw(self._draw_and_step)
        ids, state = draw(logits, seed.state.value)
        seed.state.assign(state)
        return ids

    def _draw_and_step(self, logits: Any, state: Any) -> tuple[Any, Any]:
        """The draw on the seed a generator in `state` gives, and the generator's next state
        (`SeedGenerator.next()`'s step; a test holds the ids to the eager draw's)."""
        return self._draw(logits, state), state + ops.cast([0, 1], state.dtype)

    def _check(self, logits: Any) -> None:
        """Checks of the logits against the settings (at call time, eager)."""

    def _draw(self, logits: Any, seed: Any) -> Any:
        raise NotImplementedError


class GreedySampler(_Sampler):
    """Pick the most probable token: `argmax(logits)`. Deterministic; `seed` is ignored.

    Example:
    >>> np.asarray(GreedySampler()(np.array([[0.1, 2.0, 0.3]]))).tolist()
    [1]
    """

    def __call__(self, logits: Any, seed: Any = None) -> Any:
        values = _check_logits(logits)
        if values is None:
            return self._draw(logits, seed)
        # Eager: on the host copy the check made (the first maximum, as ops.argmax).
        return ops.convert_to_tensor(np.argmax(values, axis=-1).astype("int32"))

    def _draw(self, logits: Any, seed: Any) -> Any:
        return ops.cast(ops.argmax(ops.cast(logits, "float32"), axis=-1), "int32")

    def __repr__(self) -> str:
        return "GreedySampler()"


class TemperatureSampler(_Sampler):
    """Sample from `softmax(logits / temperature)`.

    Args:
        temperature: float > 0. Below 1 sharpens the distribution (→ greedy as it goes to 0),
            above 1 flattens it.

    Call arguments:
        logits: `(batch, vocab)`.
        seed: int, `keras.random.SeedGenerator` or None (the global Keras seed).

    Returns:
        int32 ids `(batch,)`.
    """

    def __init__(self, temperature: float):
        self.temperature = _check_temperature(temperature)

    def _draw(self, logits: Any, seed: Any) -> Any:
        return categorical(_scaled(logits, self.temperature), seed)

    def __repr__(self) -> str:
        return f"TemperatureSampler(temperature={self.temperature})"


class TopKSampler(_Sampler):
    """Sample among the `k` most probable tokens only, from `softmax(top-k logits / temperature)`.

    Args:
        k: int, 1 ≤ k ≤ vocab (checked against the logits at call time). `k=1` is greedy.
        temperature: float > 0. Defaults to `1.0`.

    Returns:
        int32 ids `(batch,)`, each one of the row's `k` largest logits.
    """

    def __init__(self, k: int, temperature: float = 1.0):
        self.k = check_int("k", k)
        self.temperature = _check_temperature(temperature)

    def _check(self, logits: Any) -> None:
        vocab = ops.shape(logits)[-1]
        if self.k > vocab:
            raise ValueError(f"`k` must be ≤ the vocabulary size {vocab}; received k={self.k}.")

    def _draw(self, logits: Any, seed: Any) -> Any:
        values, indices = ops.top_k(_scaled(logits, self.temperature), self.k)  # (B, k)
        choice = categorical(values, seed)  # (B,) index into the top k
        return ops.cast(ops.take_along_axis(indices, choice[:, None], axis=-1)[:, 0], "int32")

    def __repr__(self) -> str:
        return f"TopKSampler(k={self.k}, temperature={self.temperature})"


class TopPSampler(_Sampler):
    """Nucleus sampling: sample within the smallest set of most probable tokens whose mass ≥ p.

    Tokens are sorted by probability (after the temperature); a token is kept when the mass of
    the tokens before it is still below `p`, so the most probable token is always kept.

    Args:
        p: float, 0 < p ≤ 1. `p=1` keeps every token (plain temperature sampling).
        temperature: float > 0. Defaults to `1.0`.

    Returns:
        int32 ids `(batch,)`.
    """

    def __init__(self, p: float, temperature: float = 1.0):
        self.p = check_float("p", p, 0.0, 1.0, low_open=True)
        self.temperature = _check_temperature(temperature)

    def _draw(self, logits: Any, seed: Any) -> Any:
        vocab = ops.shape(logits)[-1]
        values, indices = ops.top_k(_scaled(logits, self.temperature), vocab)  # sorted, (B, V)
        probs = ops.softmax(values, axis=-1)
        mass_before = ops.cumsum(probs, axis=-1) - probs
        keep = mass_before < self.p
        masked = ops.where(keep, values, ops.full_like(values, -np.inf))
        choice = categorical(masked, seed)  # (B,) index into the sorted tokens
        return ops.cast(ops.take_along_axis(indices, choice[:, None], axis=-1)[:, 0], "int32")

    def __repr__(self) -> str:
        return f"TopPSampler(p={self.p}, temperature={self.temperature})"


# ----------------------------------------------------------------------------- constraints
def banned_ngram_mask(ids: Any, vocabulary_size: int, ngram_size: int) -> np.ndarray:
    """Tokens that would repeat an n-gram already in `ids` if appended next.

    Computed in NumPy on the host: the ids so far are a few small integers, and the decoding
    loops keep them there (see `generate`). The compiled loops use
    `lmkeras.hub.banned_ngram_mask_at`, which bans the same tokens.

    Args:
        ids: int `(batch, length)`, the sequences so far (NumPy or an eager tensor).
        vocabulary_size: int.
        ngram_size: int ≥ 1. `n`: with `n = 1` every token already present is banned.

    Returns:
        bool NumPy `(batch, vocabulary_size)`, True where the token is banned.

    Example:
    >>> mask = banned_ngram_mask(np.array([[1, 2, 1]]), 4, 2)  # "1 2" seen, last token 1
    >>> mask.astype(int).tolist()
    [[0, 0, 1, 0]]
    """
    vocabulary_size = check_int("vocabulary_size", vocabulary_size)
    n = check_int("ngram_size", ngram_size)
    if len(tuple(ops.shape(ids))) != 2:
        raise ValueError(f"`ids` must have 2 axes (batch, length); received shape {ids.shape}.")
    values = known_value(ids)
    if values is None:
        raise ValueError(
            "`ids` must be readable now (NumPy or an eager tensor), not symbolic; inside a "
            "compiled loop use lmkeras.hub.banned_ngram_mask_at."
        )
    check_token_ids("ids", values, vocabulary_size)
    return _banned(values, vocabulary_size, n)


def _banned(ids: np.ndarray, vocabulary_size: int, n: int) -> np.ndarray:
    batch, length = ids.shape
    banned = np.zeros((batch, vocabulary_size), dtype=bool)
    if length < n:  # no complete n-gram yet
        return banned
    # Row r, window j: the n-gram ids[r, j : j + n]. It bans its last token when its first
    # n - 1 tokens equal the sequence's last n - 1.
    windows = np.lib.stride_tricks.sliding_window_view(ids, n, axis=1)  # (B, W, n)
    suffix = ids[:, length - n + 1 :]  # (B, n - 1)
    match = np.all(windows[:, :, :-1] == suffix[:, None, :], axis=-1)  # (B, W)
    rows, starts = np.nonzero(match)
    banned[rows, windows[rows, starts, -1]] = True
    return banned


def _ban(logits: Any, ids: np.ndarray, ngram_size: int) -> Any:
    """`logits` (float32) with −∞ at the tokens that would repeat an n-gram of `ids` (NumPy,
    on the host): the mask has one shape at every step, so no backend compiles it twice."""
    logits = ops.cast(logits, "float32")
    if ngram_size == 0:
        return logits
    banned = _banned(ids, ops.shape(logits)[-1], ngram_size)
    if banned.all(axis=-1).any():
        raise ValueError(
            f"no_repeat_ngram_size={ngram_size} bans every token of the vocabulary for some "
            "sequence: it has used up all its n-grams. Use a larger no_repeat_ngram_size or "
            "fewer max_new_tokens."
        )
    return ops.where(banned, ops.full_like(logits, -np.inf), logits)


def _seed_generator(seed: Any) -> keras.random.SeedGenerator:
    if isinstance(seed, keras.random.SeedGenerator):
        return seed
    if seed is None:
        # From the global Keras seed, as gpt_generate does: a generator of its own lets the
        # samplers draw in one compiled program per token (the global one cannot be passed in).
        seed = seed_from_global()
    return keras.random.SeedGenerator(check_int("seed", seed, 0))


def _take_state(state: Any, indices: np.ndarray) -> Any:
    """The rows `indices` of every leaf; NumPy leaves (host-side ids) stay NumPy."""
    if state is None:
        return None
    on_device = ops.convert_to_tensor(indices)

    def take(leaf: Any) -> Any:
        return leaf[indices] if isinstance(leaf, np.ndarray) else ops.take(leaf, on_device, 0)

    return keras.tree.map_structure(take, state)


def _host_ids(ids: Any) -> np.ndarray:
    return np.asarray(ops.convert_to_numpy(ids)).astype("int32", copy=False)


# ----------------------------------------------------------------------------- generation
def generate(
    step_fn: StepFn,
    prompt_ids: Any,
    max_new_tokens: int,
    sampler: Callable[..., Any],
    no_repeat_ngram_size: int = 0,
    end_id: int | None = None,
    seed: Any = None,
) -> Any:
    """Extend each prompt by `max_new_tokens` tokens drawn by `sampler`.

    Args:
        step_fn: `step_fn(new_ids, state) -> (logits, state)` (see the module docstring).
        prompt_ids: int `(batch, prompt_len)`, prompt_len ≥ 1.
        max_new_tokens: int ≥ 0.
        sampler: a sampler (`GreedySampler()`, `TopKSampler(40)`, ...) or any callable
            `(logits, seed=...) -> ids (batch,)`.
        no_repeat_ngram_size: int ≥ 0. When n ≥ 1, never produce an n-gram that already occurs
            in the sequence (prompt included); composes with every sampler. `0` turns it off.
            Defaults to `0`.
        end_id: int or None. Once a sequence emits it, its later positions are `end_id` too.
        seed: int, `keras.random.SeedGenerator` or None. An int makes the whole call
            reproducible; None draws from the global Keras seed
            (`keras.utils.set_random_seed`).

    Returns:
        int32 `(batch, prompt_len + max_new_tokens)`: the prompt followed by the new tokens.

    Example:
    >>> table = np.eye(4, k=1)[[0, 1, 2, 3]] * 10  # a "model" that always says id + 1
    >>> step = lambda new, state: (table[np.asarray(new)[:, -1]], None)
    >>> np.asarray(generate(step, np.array([[0]]), 3, GreedySampler())).tolist()
    [[0, 1, 2, 3]]
    """
    check_callable("step_fn", step_fn)
    prompt = _check_prompt(prompt_ids)
    max_new_tokens = check_int("max_new_tokens", max_new_tokens, 0)
    no_repeat_ngram_size = check_int("no_repeat_ngram_size", no_repeat_ngram_size, 0)
    check_callable("sampler", sampler)
    if end_id is not None:
        end_id = check_int("end_id", end_id, 0)
    seed = _seed_generator(seed)
    if max_new_tokens == 0:
        return prompt
    # The sequences so far stay in NumPy (why: the module docstring); the logits, the sampler
    # and the model stay on the device.
    ids = _host_ids(prompt)
    logits, state = step_fn(prompt, None)
    _check_first_logits(logits, prompt, "prompt_ids", end_id)
    done = np.zeros(len(ids), dtype=bool)
    for step in range(max_new_tokens):
        logits = _ban(logits, ids, no_repeat_ngram_size)
        next_ids = _host_ids(sampler(logits, seed=seed))
        if end_id is not None:
            next_ids = np.where(done, end_id, next_ids).astype("int32")
            done |= next_ids == end_id
        ids = np.concatenate([ids, next_ids[:, None]], axis=1)
        if step == max_new_tokens - 1:
            break
        if end_id is not None and done.all():
            fill = np.full((len(ids), max_new_tokens - step - 1), end_id, "int32")
            ids = np.concatenate([ids, fill], axis=1)
            break
        logits, state = step_fn(ops.convert_to_tensor(next_ids[:, None]), state)
    return ops.convert_to_tensor(ids)


def beam_search(
    step_fn: StepFn,
    prompt_ids: Any,
    max_new_tokens: int,
    num_beams: int,
    length_penalty: float = 1.0,
    end_id: int | None = None,
    no_repeat_ngram_size: int = 0,
) -> tuple[Any, Any]:
    """Keep the `num_beams` most probable continuations at every step; return the best.

    Beams are ranked by their total log-probability while searching. A beam that emits
    `end_id` is finished: it keeps its score and is padded with `end_id`. At the end, beams are
    compared by `total log-probability / length ** length_penalty`, where `length` counts the
    generated tokens up to and including `end_id`; `length_penalty=0` compares raw totals, larger
    values favour longer sequences. Without `end_id` all beams have the same length and the
    penalty does not change which one wins.

    Args:
        step_fn: `step_fn(new_ids, state) -> (logits, state)`. It is called on
            `batch * num_beams` rows.
        prompt_ids: int `(batch, prompt_len)`.
        max_new_tokens: int ≥ 1.
        num_beams: int ≥ 1. `1` is greedy decoding.
        length_penalty: float ≥ 0. Defaults to `1.0` (compare mean log-probability per token).
        end_id: int or None.
        no_repeat_ngram_size: int ≥ 0, as in `generate`. Defaults to `0`.

    Returns:
        `(ids, scores)`: int32 `(batch, prompt_len + max_new_tokens)` and float32 `(batch,)`,
        the best beam of each prompt and its length-penalised score.

    Example:
    >>> table = np.log(np.array([[0.1, 0.5, 0.4], [0.4, 0.3, 0.3], [0.9, 0.05, 0.05]]))
    >>> step = lambda new, state: (table[np.asarray(new)[:, -1]], None)
    >>> ids, scores = beam_search(step, np.array([[0]]), 2, num_beams=2, length_penalty=0.0)
    >>> np.asarray(ids).tolist(), round(float(np.exp(scores[0])), 2)  # greedy: 0.5 * 0.4
    ([[0, 2, 0]], 0.36)
    """
    check_callable("step_fn", step_fn)
    prompt = _check_prompt(prompt_ids)
    max_new_tokens = check_int("max_new_tokens", max_new_tokens)
    num_beams = check_int("num_beams", num_beams)
    no_repeat_ngram_size = check_int("no_repeat_ngram_size", no_repeat_ngram_size, 0)
    length_penalty = check_float("length_penalty", length_penalty, 0.0)
    if end_id is not None:
        end_id = check_int("end_id", end_id, 0)
    batch, prompt_len = ops.shape(prompt)
    K = num_beams
    rows = batch * K
    # Every beam starts as a copy of the prompt; only beam 0 is live at first (the others score
    # -inf), so the first step picks K distinct tokens instead of K copies of the best one.
    # The beams' ids (and which have ended) live on the host, in NumPy, as in `generate`.
    ids = np.repeat(_host_ids(prompt), K, axis=0)  # (B*K, P)
    logits, state = step_fn(ops.convert_to_tensor(ids), None)
    _check_first_logits(logits, ids, "prompt_ids", end_id)
    first = np.full((batch, K), -np.inf, "float32")
    first[:, 0] = 0.0
    scores = ops.convert_to_tensor(first)  # (B, K)
    done = np.zeros(rows, dtype=bool)
    lengths = np.zeros(rows, dtype="int32")
    base = np.repeat(np.arange(batch, dtype="int32") * K, K)  # (B*K,) first row of each prompt
    for step in range(max_new_tokens):
        _check_logits(logits)
        logp = ops.log_softmax(_ban(logits, ids, no_repeat_ngram_size), axis=-1)  # (B*K, V)
        vocab = ops.shape(logp)[-1]
        if end_id is not None:
            # A finished beam can only continue with end_id, at no cost.
            frozen = ops.where(ops.arange(vocab)[None, :] == end_id, 0.0, -np.inf)
            logp = ops.where(done[:, None], frozen, logp)
        candidates = ops.reshape(scores, (rows, 1)) + logp  # (B*K, V)
        candidates = ops.reshape(candidates, (batch, K * vocab))  # (B, K*V)
        scores, flat = ops.top_k(candidates, K)  # (B, K)
        flat = _host_ids(flat).reshape(rows)
        beam = flat // vocab + base  # row each new beam extends
        token = (flat % vocab).astype("int32")
        ids = np.concatenate([ids[beam], token[:, None]], axis=1)
        was_done = done[beam]
        lengths = lengths[beam] + ~was_done
        if end_id is not None:
            done = was_done | (token == end_id)
            if step < max_new_tokens - 1 and done.all():
                # Every beam has ended: later steps would only append end_id at no cost.
                fill = np.full((rows, max_new_tokens - step - 1), end_id, "int32")
                ids = np.concatenate([ids, fill], axis=1)
                break
        if step < max_new_tokens - 1:
            logits, state = step_fn(ops.convert_to_tensor(token[:, None]), _take_state(state, beam))
    final = scores / ops.convert_to_tensor(lengths.reshape(batch, K).astype("float32")) ** (
        length_penalty
    )
    best = _host_ids(ops.argmax(final, axis=-1))  # (B,)
    best_scores = ops.take_along_axis(final, ops.convert_to_tensor(best[:, None]), axis=-1)
    return ops.convert_to_tensor(ids[np.arange(batch) * K + best]), best_scores[:, 0]


# ----------------------------------------------------------------------------- step functions
def prefix_step_fn(model: Callable[[Any], Any]) -> StepFn:
    """A step function for a model without a cache: re-run the whole prefix every step.

    Args:
        model: maps int ids `(batch, length)` to logits `(batch, length, vocab)`.

    Returns:
        `step_fn(new_ids, state) -> (logits, state)` whose state is the ids so far. Each step
        costs a full forward pass over the prefix, so generating T tokens costs O(T²); a model
        that carries its state (`lmkeras.models.rnn.rnn_step_fn`) costs O(T).
    """
    check_callable("model", model)

    def step_fn(new_ids: Any, state: Any) -> tuple[Any, Any]:
        new_ids = ops.cast(new_ids, "int32")
        ids = new_ids if state is None else ops.concatenate([state, new_ids], axis=1)
        logits = model(ids, training=False)
        return ops.cast(logits[:, -1, :], "float32"), ids

    return step_fn


def sequence_log_likelihood(step_fn: StepFn, ids: Any, prompt_len: int) -> Any:
    """Total log-probability the model gives to `ids[:, prompt_len:]` after the prompt.

    Args:
        step_fn: a step function.
        ids: int `(batch, length)`.
        prompt_len: int, 1 ≤ prompt_len ≤ length.

    Returns:
        float32 `(batch,)`: `sum_t log p(ids[:, t] | ids[:, :t])` over the generated part.
    """
    check_callable("step_fn", step_fn)
    ids = _check_prompt(ids, "ids")
    length = ops.shape(ids)[1]
    prompt_len = check_int("prompt_len", prompt_len)
    if prompt_len > length:
        raise ValueError(f"`prompt_len` must be ≤ {length}; received prompt_len={prompt_len}.")
    total = ops.zeros((ops.shape(ids)[0],), "float32")
    host = _host_ids(ids)  # sliced at every position: in NumPy, no program per slice (JAX)
    logits, state = step_fn(ops.convert_to_tensor(host[:, :prompt_len]), None)
    _check_first_logits(logits, host, "ids", None)
    for t in range(prompt_len, length):
        _check_logits(logits)
        logp = ops.log_softmax(ops.cast(logits, "float32"), axis=-1)
        picked = ops.take_along_axis(logp, ops.convert_to_tensor(host[:, t : t + 1]), axis=-1)
        total = total + ops.reshape(picked, (-1,))
        if t < length - 1:
            logits, state = step_fn(ops.convert_to_tensor(host[:, t : t + 1]), state)
    return total


__all__ = [
    "GreedySampler",
    "TemperatureSampler",
    "TopKSampler",
    "TopPSampler",
    "banned_ngram_mask",
    "beam_search",
    "generate",
    "prefix_step_fn",
    "sequence_log_likelihood",
]

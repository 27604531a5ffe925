"""The KerasHub bridge: a no-repeat n-gram sampler for `generate`, presets with an offline fallback.

`NoRepeatNGramSampler` is a `keras_hub.samplers.Sampler`: pass it to
`causal_lm.compile(sampler=...)` and `causal_lm.generate(...)` never writes a token that would
repeat an n-gram already in the sequence (prompt included) — the `no_repeat_ngram_size` option
of other frameworks' `generate`, which KerasHub lacks. The ban runs inside KerasHub's compiled
generation loop (XLA on TensorFlow, `jax.jit` on JAX), on the fixed-length token buffer the loop
writes into, and it bans what `lmkeras.sampling.banned_ngram_mask` bans.

`load_gpt2(preset)` downloads a pretrained GPT-2 and, when it cannot (no network, as in class and
CI), says so in one line and builds a tiny randomly initialised GPT-2 instead
(`tiny_gpt2_causal_lm`: a `GPT2Backbone` as KerasHub's own tests build one, and a byte-level BPE
tokenizer in GPT-2's format trained from scratch with `lmkeras.bpe`), so the same cells run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import keras
import keras_hub
import numpy as np
from keras import ops

from lmkeras._checks import (
    check_choice,
    check_int,
    check_optional_int,
    check_positive,
    check_str,
    check_texts,
)
from lmkeras.bpe import BPETokenizer

END_TOKEN = "<|endoftext|>"
_FALLBACK_TEXTS = (
    "Hello! How are you today? I am fine, thank you, and how are you?",
    "What is your name? My name is Tom. Nice to meet you, Tom.",
)


def banned_ngram_mask_at(ids, index, vocabulary_size: int, ngram_size: int):
    """Tokens that, written at position `index` of `ids`, would repeat an n-gram of `ids[:, :index]`
    (the ids before it).

    The compiled-loop form of `lmkeras.sampling.banned_ngram_mask(ids[:, :index], ...)`: `ids`
    is a fixed-length buffer and `index` may be a traced scalar, so one compiled function serves
    every step; positions from `index` on are ignored.

    Args:
        ids: int `(batch, length)`, with a static `length`.
        index: int or scalar int tensor. Number of valid leading positions.
        vocabulary_size: int ≥ 1.
        ngram_size: int ≥ 1. With 1, every token already present is banned.

    Returns:
        bool `(batch, vocabulary_size)`, True where the token is banned.

    Example:
    >>> ids = np.array([[1, 2, 1, 0, 0]])  # "1 2" seen, last valid token 1, then padding
    >>> ops.convert_to_numpy(banned_ngram_mask_at(ids, 3, 4, 2)).astype(int).tolist()
    [[0, 0, 1, 0]]
    """
    n = check_int("ngram_size", ngram_size)
    vocabulary_size = check_int("vocabulary_size", vocabulary_size)
    ids = ops.cast(ids, "int32")
    batch, length = ops.shape(ids)[0], ids.shape[1]
    windows = length - n + 1  # n-grams that fit the buffer
    if windows < 1:
        return ops.zeros((batch, vocabulary_size), "bool")
    index = ops.cast(index, "int32")
    # The n-gram starting at j is in the sequence when it ends before `index`.
    inside = ops.arange(windows, dtype="int32") + n <= index  # (W,)
    match = ops.broadcast_to(inside[None, :], (batch, windows))
    for k in range(n - 1):
        # ids[:, j + k] must equal the k-th token of the (n - 1)-token suffix before `index`.
        suffix_token = ops.take(ids, ops.maximum(index - (n - 1) + k, 0), axis=1)  # (B,)
        match = ops.logical_and(match, ids[:, k : k + windows] == suffix_token[:, None])
    followers = ids[:, n - 1 :]  # (B, W): the token that completed each n-gram
    rows = ops.broadcast_to(ops.arange(batch, dtype="int32")[:, None], (batch, windows))
    indices = ops.reshape(ops.stack([rows, followers], axis=-1), (-1, 2))  # (B*W, 2)
    # A scatter adds up the matches per token: O(batch × (length + vocabulary)) memory.
    hits = ops.scatter(indices, ops.reshape(ops.cast(match, "float32"), (-1,)),
                       (batch, vocabulary_size))  # fmt: skip
    return hits > 0


@keras.saving.register_keras_serializable(package="lmkeras")
class NoRepeatNGramSampler(keras_hub.samplers.Sampler):
    """A KerasHub sampler that never completes an n-gram already in the sequence.

    At each step of KerasHub's generation loop the banned tokens' logits become −∞, then the
    wrapped sampler (greedy, top-k, top-p, random) picks among the rest. Only samplers that use
    KerasHub's standard loop can be wrapped (not beam or contrastive search). In the rare case
    that a row has every token of the vocabulary banned, that row is sampled without the ban
    (inside a compiled loop nothing can be raised).

    Args:
        ngram_size: int ≥ 1. The n of the banned n-grams; the source material's chatbot used 2.
            Defaults to `2`.
        sampler: a `keras_hub.samplers.Sampler` or its name (`"greedy"`, `"top_k"`,
            `"top_p"`, `"random"`), or a serialized one. Defaults to `"greedy"`.

    Example:
    ```python
    causal_lm = keras_hub.models.GPT2CausalLM.from_preset("gpt2_base_en")
    causal_lm.compile(sampler=NoRepeatNGramSampler(2))
    causal_lm.generate("My name is", max_length=50)
    ```
    """

    def __init__(self, ngram_size: int = 2, sampler: Any = "greedy"):
        self.ngram_size = check_int("ngram_size", ngram_size)
        if isinstance(sampler, str):
            check_choice("sampler", sampler, ("greedy", "top_k", "top_p", "random"))
        elif not isinstance(sampler, (dict, keras_hub.samplers.Sampler)):
            raise TypeError(
                f"`sampler` must be a keras_hub.samplers.Sampler, its name or its config; "
                f"received sampler={sampler!r}."
            )
        base = keras_hub.samplers.get(sampler)
        if isinstance(base, NoRepeatNGramSampler) or not isinstance(
            base, keras_hub.samplers.Sampler
        ):
            raise TypeError(
                f"`sampler` must be a keras_hub.samplers.Sampler other than a "
                f"NoRepeatNGramSampler; received sampler={sampler!r}."
            )
        if type(base).__call__ is not keras_hub.samplers.Sampler.__call__:
            raise ValueError(
                f"`sampler` must use KerasHub's standard generation loop; received "
                f"{type(base).__name__}, which runs its own (beam or contrastive search)."
            )
        super().__init__(temperature=base.temperature)
        self.sampler = base

    @property
    def variables(self):
        return self.sampler.variables  # the wrapped sampler's random seed state

    def compute_probabilities(self, logits):
        return self.sampler.compute_probabilities(logits)

    def get_next_token(self, probabilities):
        return self.sampler.get_next_token(probabilities)

    def ban(self, logits, ids, index):
        """`logits` (float32) with −∞ at the tokens `banned_ngram_mask_at` bans."""
        logits = ops.cast(logits, "float32")
        banned = banned_ngram_mask_at(ids, index, logits.shape[-1], self.ngram_size)
        banned = ops.logical_and(banned, ops.logical_not(ops.all(banned, axis=-1, keepdims=True)))
        return ops.where(banned, ops.full_like(logits, -np.inf), logits)

    def __call__(self, next, prompt, cache=None, index=0, mask=None, stop_token_ids=None,
                 hidden_states=None, model=None, **kwargs):  # fmt: skip
        # KerasHub's `Sampler.__call__` (0.26 to 0.32), with `ban` between logits and sampling.
        index = ops.cast(index, "int32")
        max_length = ops.cast(ops.shape(prompt)[-1], "int32")
        mask = ops.zeros_like(prompt, "bool") if mask is None else ops.cast(mask, "bool")
        cache = () if cache is None else cache

        def cond(prompt, cache, index, mask):
            if stop_token_ids is None:
                return ops.convert_to_tensor(True, "bool")
            ended = ops.zeros_like(prompt, "bool")
            for token in stop_token_ids:
                ended = ops.logical_or(ended, prompt == token)
            # Stop when every row has written a *new* stop token.
            return ops.logical_not(ops.all(ops.any(ended & ~mask, axis=-1)))

        def body(prompt, cache, index, mask):
            logits, _, cache = next(prompt, cache, index)
            probabilities = self.compute_probabilities(self.ban(logits, prompt, index))
            token = ops.cast(self.get_next_token(probabilities), prompt.dtype)
            token = ops.where(mask[:, index], prompt[:, index], token)  # keep prompt tokens
            prompt = ops.slice_update(prompt, [0, index], token[:, None])
            return prompt, cache, index + 1, mask

        prompt, _, _, _ = self.run_loop(
            cond, body, loop_vars=(prompt, cache, index, mask),
            maximum_iterations=max_length - index, model=model,
        )  # fmt: skip
        return prompt

    def get_config(self):
        return {
            "ngram_size": self.ngram_size,
            "sampler": keras_hub.samplers.serialize(self.sampler),
        }


def tiny_gpt2_backbone(
    vocabulary_size: int = 50,
    num_layers: int = 2,
    num_heads: int = 2,
    hidden_dim: int = 8,
    intermediate_dim: int | None = None,
    max_sequence_length: int = 64,
    stddev: float = 0.02,
    seed: int = 0,
):
    """A small randomly initialised KerasHub `GPT2Backbone`, the same for the same arguments.

    Every weight is drawn from a seeded NumPy generator — normal with `stddev`, around 1 for
    LayerNorm scales — so biases and norms are not 0 and 1 and a weight converter that drops
    one is caught. Dropout is 0.

    Args:
        vocabulary_size, num_layers, num_heads, hidden_dim: ints ≥ 1. Defaults 50, 2, 2, 8.
        intermediate_dim: int or None (4 × `hidden_dim`).
        max_sequence_length: int ≥ 1. Defaults to `64`.
        stddev: float > 0. Defaults to `0.02` (GPT-2's initialisation scale).
        seed: int ≥ 0. Defaults to `0`.

    Returns:
        `keras_hub.models.GPT2Backbone`.

    Example:
    >>> tiny_gpt2_backbone().count_params()
    2672
    """
    for key, value in (("vocabulary_size", vocabulary_size), ("num_layers", num_layers),
                       ("num_heads", num_heads), ("hidden_dim", hidden_dim),
                       ("max_sequence_length", max_sequence_length)):  # fmt: skip
        check_int(key, value)
    check_optional_int("intermediate_dim", intermediate_dim)
    if hidden_dim % num_heads:
        raise ValueError(
            f"`num_heads` must divide `hidden_dim`; received hidden_dim={hidden_dim}, "
            f"num_heads={num_heads}."
        )
    stddev = check_positive("stddev", stddev)
    rng = np.random.default_rng(check_int("seed", seed, 0))
    backbone = keras_hub.models.GPT2Backbone(
        vocabulary_size=vocabulary_size,
        num_layers=num_layers,
        num_heads=num_heads,
        hidden_dim=hidden_dim,
        intermediate_dim=intermediate_dim or 4 * hidden_dim,
        dropout=0.0,
        max_sequence_length=max_sequence_length,
    )
    for variable in backbone.weights:
        center = 1.0 if variable.path.endswith("gamma") else 0.0
        variable.assign(rng.normal(center, stddev, variable.shape).astype("float32"))
    return backbone


def tiny_gpt2_tokenizer(texts: Sequence[str], vocabulary_size: int = 512):
    """A KerasHub `GPT2Tokenizer` with a byte-level BPE trained on `texts` (`lmkeras.bpe`).

    GPT-2's format — 256 byte symbols, learned merges, `<|endoftext|>` as the last id — at a
    size that trains in a second.

    Args:
        texts: list of str. The merges are learned from them (training stops early, with fewer
            ids, when no pair of symbols occurs twice).
        vocabulary_size: int ≥ 258. Most ids, `<|endoftext|>` included. Defaults to `512`.

    Returns:
        `keras_hub.models.GPT2Tokenizer`.
    """
    check_int("vocabulary_size", vocabulary_size, 258)
    bpe = BPETokenizer.train(check_texts("texts", texts), vocabulary_size - 1)
    if not bpe.merges:  # KerasHub's tokenizer needs at least one merge
        raise ValueError(
            f"`texts` must repeat some pair of characters, for at least one merge; received "
            f"{len(bpe.vocabulary)} symbols and no merge from {len(texts)} text(s)."
        )
    vocabulary = dict(bpe.vocabulary)
    vocabulary[END_TOKEN] = len(vocabulary)
    return keras_hub.models.GPT2Tokenizer(vocabulary=vocabulary, merges=list(bpe.merges))


def tiny_gpt2_causal_lm(
    texts: Sequence[str],
    vocabulary_size: int = 512,
    sequence_length: int = 64,
    **backbone_kwargs,
):
    """A tiny random `GPT2CausalLM` with its tokenizer and preprocessor, built offline.

    Args:
        texts: list of str. Text to train the tokenizer's merges on.
        vocabulary_size: int ≥ 257. Defaults to `512`.
        sequence_length: int ≥ 1. Longest prompt + generation (the position table's length).
            Defaults to `64`.
        **backbone_kwargs: passed to `tiny_gpt2_backbone` (`hidden_dim`, `seed`, ...).

    Returns:
        `keras_hub.models.GPT2CausalLM`, whose `generate` takes strings.
    """
    check_int("sequence_length", sequence_length)
    tokenizer = tiny_gpt2_tokenizer(texts, vocabulary_size)
    backbone = tiny_gpt2_backbone(
        vocabulary_size=tokenizer.vocabulary_size(),
        max_sequence_length=sequence_length,
        **backbone_kwargs,
    )
    preprocessor = keras_hub.models.GPT2CausalLMPreprocessor(
        tokenizer, sequence_length=sequence_length
    )
    return keras_hub.models.GPT2CausalLM(backbone, preprocessor)


class LoadedGPT2(NamedTuple):
    """What `load_gpt2` returns: the model, whether it is pretrained, and one line saying so."""

    causal_lm: Any
    pretrained: bool
    message: str


def load_gpt2(preset: str = "gpt2_base_en", fallback_texts: Sequence[str] | None = None,
              **tiny_kwargs) -> LoadedGPT2:  # fmt: skip
    """`GPT2CausalLM.from_preset(preset)`, or a tiny random GPT-2 when it cannot be downloaded.

    Args:
        preset: str. A KerasHub preset name or path. Defaults to `"gpt2_base_en"` (124 M
            parameters).
        fallback_texts: list of str or None. Text for the fallback tokenizer's merges; None
            means two sentences of the source material's kind (a tokenizer of ~300 ids).
        **tiny_kwargs: passed to `tiny_gpt2_causal_lm` for the fallback.

    Returns:
        `LoadedGPT2(causal_lm, pretrained, message)`; `message` is one line for the reader.
    """
    check_str("preset", preset)
    try:
        causal_lm = keras_hub.models.GPT2CausalLM.from_preset(preset)
    except Exception as error:  # no network, a proxy, no Kaggle access: fall back, say so
        causal_lm = tiny_gpt2_causal_lm(fallback_texts or _FALLBACK_TEXTS, **tiny_kwargs)
        backbone = causal_lm.backbone
        return LoadedGPT2(causal_lm, False, (
            f"Could not load the preset {preset!r} ({type(error).__name__}: no network?); using "
            f"a tiny random GPT-2 built here ({backbone.num_layers} layers, width "
            f"{backbone.hidden_dim}, {backbone.vocabulary_size} tokens): its text is noise."
        ))  # fmt: skip
    backbone = causal_lm.backbone
    return LoadedGPT2(causal_lm, True, f"Loaded the pretrained preset {preset!r} "
                      f"({backbone.count_params():,} parameters).")  # fmt: skip


__all__ = [
    "LoadedGPT2",
    "NoRepeatNGramSampler",
    "banned_ngram_mask_at",
    "load_gpt2",
    "tiny_gpt2_backbone",
    "tiny_gpt2_causal_lm",
    "tiny_gpt2_tokenizer",
]

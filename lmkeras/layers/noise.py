"""Noise on word ids, for denoising autoencoders and the sentence VAE.

`WordCorruption` spoils the input of a denoising autoencoder: each real word is picked with
probability `rate`, and a picked word is dropped, masked (replaced by `[UNK]`) or swapped with
its neighbour (Lample et al., 2018, use drop and local shuffle; masking is BERT's corruption).
`WordDropout` is Bowman et al.'s (2016) word dropout for the decoder of a sentence VAE: it
replaces words of the decoder's input by `[UNK]`, so the decoder cannot rebuild a sentence from
its own prefix alone and has to read the code.

Both act only when `training=True`, like `keras.layers.Dropout`; id 0 is padding, which they
never change. Ids are padded at the end (`[w1, w2, w3, 0, 0]`).

Reference: Vincent et al., "Extracting and composing robust features with denoising
autoencoders" (2008); Lample et al., "Unsupervised Machine Translation Using Monolingual
Corpora Only" (2018); Bowman et al., "Generating Sentences from a Continuous Space" (2016).
"""

from __future__ import annotations

import keras
from keras import ops

from lmkeras._checks import check_bool, check_int, check_optional_int, check_rate

KINDS = ("drop", "mask", "swap")


@keras.saving.register_keras_serializable(package="lmkeras")
class WordCorruption(keras.layers.Layer):
    """Drop, mask or swap a fraction `rate` of the words of each sentence (training only).

    Each real word (id ≠ 0) is picked independently with probability `rate`; a picked word gets
    one of `kinds`, chosen uniformly:

    - `"drop"`: the word is removed; later words move one place left, padding fills the end.
    - `"mask"`: the word becomes `mask_id`.
    - `"swap"`: the word moves one place later, trading places with the next word (a picked
      last word, or one whose next word moves too, stays where it is).

    Args:
        rate: float in [0, 1). Probability that a word is picked. Defaults to `0.1`.
        kinds: sequence of `"drop"`, `"mask"`, `"swap"`. Defaults to all three.
        mask_id: int ≥ 1. The id of masked words. Defaults to `1` (`[UNK]`).
        seed: int or None. Seed of the draws. Defaults to `None`.
        **kwargs: base layer arguments (`name`, ...).

    Call arguments:
        inputs: int ids `(batch, length)`, padded with 0 at the end.
        training: bool or None. Without `training=True` the ids pass unchanged.

    Returns:
        int ids `(batch, length)`, padded with 0 at the end, in the input's dtype.

    Example:
    >>> layer = WordCorruption(0.9999, kinds=("mask",), mask_id=1, seed=0)
    >>> ids = ops.convert_to_tensor([[5, 6, 7, 0]])
    >>> ops.convert_to_numpy(layer(ids, training=True)).tolist()
    [[1, 1, 1, 0]]
    >>> ops.convert_to_numpy(layer(ids)).tolist()  # not training: unchanged
    [[5, 6, 7, 0]]
    """

    def __init__(
        self,
        rate: float = 0.1,
        kinds: tuple[str, ...] | list[str] = KINDS,
        mask_id: int = 1,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.rate = check_rate("rate", rate)
        if isinstance(kinds, str) or not isinstance(kinds, (list, tuple)) or not kinds:
            raise TypeError(f"`kinds` must be a non-empty list of {KINDS}; received {kinds!r}.")
        unknown = [k for k in kinds if k not in KINDS] or len(set(kinds)) != len(kinds)
        if unknown:
            raise ValueError(f"`kinds` must hold distinct names of {KINDS}; received {kinds!r}.")
        self.kinds = tuple(kinds)
        self.mask_id = check_int("mask_id", mask_id, 1)
        self.seed = check_optional_int("seed", seed, 0)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.built = True

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        ids = ops.cast(inputs, "int32")
        length = ops.shape(ids)[1]
        real = ops.not_equal(ids, 0)
        # One uniform draw per word decides both: picked when u < rate, and then, since
        # u / rate is uniform on [0, 1), which kind.
        u = keras.random.uniform(ops.shape(ids), seed=self.seed_generator)
        picked = ops.logical_and(real, u < self.rate)
        kind = ops.minimum(ops.cast(u / self.rate * len(self.kinds), "int32"), len(self.kinds) - 1)

        def chosen(name):
            if name not in self.kinds:
                return ops.zeros_like(picked)
            return ops.logical_and(picked, ops.equal(kind, self.kinds.index(name)))

        ids = ops.where(chosen("mask"), self.mask_id, ids)
        # Reorder by a sort key: kept words at their position (+1.5 for a swap, which lands it
        # after its neighbour), then padding, then dropped words, which are cleared below.
        position = ops.cast(ops.arange(length)[None, :], "float32")  # (1, L)
        size = ops.cast(length, "float32")
        key = position + 1.5 * ops.cast(chosen("swap"), "float32")
        key = ops.where(real, key, size + position)
        key = ops.where(chosen("drop"), 2 * size + position, key)
        order = ops.argsort(key, axis=1)  # (B, L)
        out = ops.take_along_axis(ids, order, axis=1)
        kept = ops.sum(ops.cast(ops.logical_and(real, ops.logical_not(chosen("drop"))), "int32"), 1)
        out = ops.where(ops.arange(length)[None, :] < kept[:, None], out, 0)
        return ops.cast(out, inputs.dtype)

    def compute_output_spec(self, inputs, *args, **kwargs):
        # A fresh symbolic tensor: `call` may return its input object itself.
        return keras.KerasTensor(inputs.shape, dtype=inputs.dtype)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "rate": self.rate,
                "kinds": list(self.kinds),
                "mask_id": self.mask_id,
                "seed": self.seed,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="lmkeras")
class WordDropout(keras.layers.Layer):
    """Replace a fraction `rate` of the words by `[UNK]` (training only): Bowman's word dropout.

    Args:
        rate: float in [0, 1). Probability that a word is replaced. Defaults to `0.25`.
        unknown_id: int ≥ 1. The replacement id. Defaults to `1` (`[UNK]`).
        keep_first: bool. Never replace the first position (a decoder's `[start]`). Defaults to
            `True`.
        seed: int or None. Defaults to `None`.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: int ids `(batch, length)`; padding (0) is never replaced.
        training: bool or None. Without `training=True` the ids pass unchanged.

    Returns:
        int ids `(batch, length)`, in the input's dtype.

    Example:
    >>> layer = WordDropout(0.9999, seed=0)
    >>> ops.convert_to_numpy(layer(ops.convert_to_tensor([[2, 5, 6, 0]]), training=True)).tolist()
    [[2, 1, 1, 0]]
    """

    def __init__(
        self,
        rate: float = 0.25,
        unknown_id: int = 1,
        keep_first: bool = True,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.rate = check_rate("rate", rate)
        self.unknown_id = check_int("unknown_id", unknown_id, 1)
        self.keep_first = check_bool("keep_first", keep_first)
        self.seed = check_optional_int("seed", seed, 0)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.built = True

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        ids = ops.cast(inputs, "int32")
        drop = keras.random.uniform(ops.shape(ids), seed=self.seed_generator) < self.rate
        drop = ops.logical_and(drop, ops.not_equal(ids, 0))
        if self.keep_first:
            drop = ops.logical_and(drop, ops.arange(ops.shape(ids)[1])[None, :] > 0)
        return ops.cast(ops.where(drop, self.unknown_id, ids), inputs.dtype)

    def compute_output_spec(self, inputs, *args, **kwargs):
        # A fresh symbolic tensor: `call` may return its input object itself.
        return keras.KerasTensor(inputs.shape, dtype=inputs.dtype)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "rate": self.rate,
                "unknown_id": self.unknown_id,
                "keep_first": self.keep_first,
                "seed": self.seed,
            }
        )
        return config

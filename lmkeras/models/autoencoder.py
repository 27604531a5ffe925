"""Autoencoders: dense, sequence (GRU), denoising and variational, with their step function.

An autoencoder is an encoder φ that compresses an input x into a code and a decoder L that
rebuilds x from the code, trained to minimise the reconstruction error:

    min_θ E_x[ l(L(φ(x); θ), x) ]

A *bottleneck* (a code smaller than the input) forces the code to keep what matters.

    dense:       x (B, D) ─ Dense ─ code (B, C) ─ Dense ─ x̂ (B, D)            l = squared error
    sequence:    ids (B, S) ─ E ─ bidirectional GRU (final states) ─ Dense ─ code (B, C)
                 [start] w1 … wn (B, T) ─ E ─ + W code ─ GRU (initial state tanh(W' code))
                        ─ Dense ─ · Eᵀ ─ logits for w1 … wn [end] (B, T, V)
    denoising:   the same with `WordCorruption` in front of the encoder (training only)
    variational: the encoder gives μ and log σ² (B, C); `GaussianKL` adds β · KL to the loss,
                 `GaussianSampling` draws z = μ + σ ε; optional `WordDropout` on the
                 decoder's input (Bowman et al., 2016)

The sequence models use **one** word table E (a `TiedEmbedding`) for the encoder's input, the
decoder's input and the decoder's output: an autoencoder reads and writes the same language,
and a word that is rare in training gets gradient from all three places. The code also enters
every decoder step (W code is added to each input), not only the initial state, so the decoder
never has to carry it through its recurrence. On the course's English sentences both choices
reached a given reconstruction accuracy in fewer steps than separate tables and an
initial-state-only decoder (chapter 11 quotes the runs).

A sequence autoencoder that rebuilds its input is chapter 09's encoder–decoder without
attention; let the decoder write another language and it is a translator. The dense model has
sub-models `"encoder"` and `"decoder"`; the sequence models share the word table between
encoder and decoder, so they are one graph, and `autoencoder_parts(model).encoder` is the
encoder alone (ids → code, or → [μ, log σ²]).

Reference: Rumelhart, Hinton and Williams (1986); Vincent et al. (2008); Kingma and Welling
(2014); Bowman et al., "Generating Sentences from a Continuous Space" (2016).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import keras
import numpy as np  # noqa: F401 (the doctests use it)
from keras import ops

from lmkeras._checks import (
    check_float,
    check_int,
    check_optional_int,
    check_rate,
    check_token_ids,
    check_type,
)
from lmkeras.layers.noise import KINDS, WordCorruption, WordDropout
from lmkeras.layers.transformer import TiedEmbedding
from lmkeras.layers.variational import GaussianKL, GaussianSampling


def build_dense_autoencoder(
    input_dim: int, code_dim: int, hidden_dim: int | None = None, activation: str = "relu"
) -> keras.Model:
    """A dense autoencoder: input → (hidden) → code → (hidden) → reconstruction.

    Args:
        input_dim: int ≥ 1. Size of each input vector.
        code_dim: int ≥ 1. Size of the code (the bottleneck).
        hidden_dim: int ≥ 1 or None. One hidden layer on each side; None makes the model
            linear (it then learns the principal subspace, like PCA). Defaults to `None`.
        activation: str. Activation of the hidden layers. Defaults to `"relu"`.

    Returns:
        `keras.Model` mapping `(batch, input_dim)` to `(batch, input_dim)`, with sub-models
        `"encoder"` and `"decoder"`. Train it with the mean squared error.

    Example:
    >>> model = build_dense_autoencoder(8, 2)
    >>> x = np.ones((3, 8), "float32")
    >>> tuple(model(x).shape), tuple(model.get_layer("encoder")(x).shape)
    ((3, 8), (3, 2))
    """
    input_dim = check_int("input_dim", input_dim)
    code_dim = check_int("code_dim", code_dim)
    hidden = [] if hidden_dim is None else [check_optional_int("hidden_dim", hidden_dim)]

    x = keras.Input((input_dim,), name="x")
    h = x
    for i, width in enumerate(hidden):
        h = keras.layers.Dense(width, activation=activation, name=f"hidden_{i}")(h)
    encoder = keras.Model(x, keras.layers.Dense(code_dim, name="code")(h), name="encoder")
    code = keras.Input((code_dim,), name="code")
    h = code
    for i, width in enumerate(hidden):
        h = keras.layers.Dense(width, activation=activation, name=f"hidden_{i}")(h)
    decoder = keras.Model(code, keras.layers.Dense(input_dim, name="output")(h), name="decoder")
    return keras.Model(x, decoder(encoder(x)), name="dense_autoencoder")


def _check_sizes(vocabulary_size, code_dim, embedding_dim, units) -> None:
    check_int("vocabulary_size", vocabulary_size, 4)
    check_int("code_dim", code_dim)
    check_int("embedding_dim", embedding_dim)
    if check_int("units", units, 2) % 2:
        raise ValueError(
            f"`units` must be even (the encoder reads each way with units // 2); received "
            f"units={units}."
        )


def _sequence_model(
    vocabulary_size, code_dim, embedding_dim, units, name, corruption=None, variational=None
) -> keras.Model:
    """The graph all three sequence builders share; `variational` = (GaussianKL, sampling)."""
    ids = keras.Input((None,), dtype="int32", name="ids")
    decoder_inputs = keras.Input((None,), dtype="int32", name="decoder_inputs")
    table = TiedEmbedding(vocabulary_size, embedding_dim, name="embedding")
    read = ids if corruption is None else corruption(ids)
    encoder = keras.layers.Bidirectional(keras.layers.GRU(units // 2), name="encoder_gru")
    h = encoder(table(read), mask=ops.not_equal(read, 0))  # (B, units): both final states
    fed = decoder_inputs
    if variational is None:
        code = keras.layers.Dense(code_dim, name="code")(h)
    else:
        kl, sampling, word_dropout = variational
        mean = keras.layers.Dense(code_dim, name="mean")(h)
        log_var = keras.layers.Dense(code_dim, name="log_var")(h)
        mean, log_var = kl([mean, log_var])
        code = sampling([mean, log_var])
        fed = decoder_inputs if word_dropout is None else word_dropout(decoder_inputs)
    to_inputs = keras.layers.Dense(embedding_dim, use_bias=False, name="code_to_inputs")(code)
    y = keras.layers.Add(name="add_code")(
        [table(fed), keras.layers.Reshape((1, embedding_dim))(to_inputs)]  # (B, T, E) + (B, 1, E)
    )
    state = keras.layers.Dense(units, activation="tanh", name="initial_state")(code)
    out = keras.layers.GRU(units, return_sequences=True, name="decoder_gru")(
        y, initial_state=[state]
    )
    logits = table(keras.layers.Dense(embedding_dim, name="projection")(out), reverse=True)
    return keras.Model([ids, decoder_inputs], logits, name=name)


def build_sequence_autoencoder(
    vocabulary_size: int,
    code_dim: int = 256,
    embedding_dim: int = 128,
    units: int = 256,
    name: str = "sequence_autoencoder",
) -> keras.Model:
    """A GRU sequence autoencoder: sentence → fixed-size code → the same sentence.

    Args:
        vocabulary_size: int ≥ 4. Ids, padding (0), `[UNK]` (1), `[start]` (2) and `[end]` (3)
            included.
        code_dim: int ≥ 1. Size of the code. Defaults to `256`.
        embedding_dim: int ≥ 1. Width of the shared word table. Defaults to `128`.
        units: even int ≥ 2. Decoder state; the encoder reads each way with `units // 2`.
            Defaults to `256`.
        name: str. Defaults to `"sequence_autoencoder"`.

    Returns:
        `keras.Model` mapping `(ids (B, S), decoder_inputs (B, T))` to float32 logits
        `(B, T, vocabulary_size)`: ids are the sentence's words padded with 0, decoder inputs
        `[start] w1 … wn`, targets `w1 … wn [end]`. `autoencoder_parts(model).encoder` maps ids
        to codes `(B, code_dim)`.

    Example:
    >>> model = build_sequence_autoencoder(20, code_dim=4, embedding_dim=4, units=6)
    >>> tuple(model((np.array([[5, 6, 0]]), np.array([[2, 5, 6, 0]]))).shape)
    (1, 4, 20)
    """
    _check_sizes(vocabulary_size, code_dim, embedding_dim, units)
    return _sequence_model(vocabulary_size, code_dim, embedding_dim, units, name)


def build_denoising_autoencoder(
    vocabulary_size: int,
    rate: float = 0.1,
    kinds: tuple[str, ...] | list[str] = KINDS,
    mask_id: int = 1,
    seed: int | None = None,
    code_dim: int = 256,
    embedding_dim: int = 128,
    units: int = 256,
) -> keras.Model:
    """A sequence autoencoder trained to rebuild the clean sentence from a corrupted one.

    In training, `WordCorruption(rate, kinds, mask_id)` drops, masks or swaps a fraction
    `rate` of the words before the encoder reads them; at inference the input passes as is.
    Its weights have the same names and shapes as `build_sequence_autoencoder`'s, so a plain
    autoencoder's weights can start it (`set_weights`).

    Args:
        vocabulary_size: int ≥ 4.
        rate: float in [0, 1). Fraction of words corrupted. Defaults to `0.1`.
        kinds: subset of `("drop", "mask", "swap")`. Defaults to all three.
        mask_id: int ≥ 1. Id of masked words. Defaults to `1` (`[UNK]`).
        seed: int or None. Seed of the corruption. Defaults to `None`.
        code_dim, embedding_dim, units: as in `build_sequence_autoencoder`.

    Returns:
        `keras.Model`, as `build_sequence_autoencoder`, with a `"corruption"` layer.
    """
    _check_sizes(vocabulary_size, code_dim, embedding_dim, units)
    corruption = WordCorruption(rate, kinds, mask_id, seed, name="corruption")
    return _sequence_model(
        vocabulary_size, code_dim, embedding_dim, units, "denoising_autoencoder", corruption
    )


def build_variational_autoencoder(
    vocabulary_size: int,
    code_dim: int = 32,
    embedding_dim: int = 128,
    units: int = 256,
    kl_weight: float = 1.0,
    anneal_steps: int = 0,
    word_dropout: float = 0.0,
    seed: int | None = None,
) -> keras.Model:
    """A sentence VAE (Bowman et al., 2016): code z ~ q(z | x) = N(μ, σ²), prior N(0, I).

    Compile it with `SentenceCrossEntropy` (nats per sentence); the model adds β · KL itself
    (`GaussianKL`), so the loss is −ELBO once β = 1. Not training, z = μ (no draw).

    Args:
        vocabulary_size: int ≥ 4.
        code_dim: int ≥ 1. Size of z. Defaults to `32`.
        embedding_dim, units: as in `build_sequence_autoencoder`.
        kl_weight: float ≥ 0. Final β. Defaults to `1.0`.
        anneal_steps: int ≥ 0. Linear warm-up of β over this many training steps (KL
            annealing); `0` uses `kl_weight` from the first step. Defaults to `0`.
        word_dropout: float in [0, 1). Fraction of decoder input words replaced by `[UNK]`
            in training (`WordDropout`). Defaults to `0.0`.
        seed: int or None. Seed of z's draws and of the word dropout. Defaults to `None`.

    Returns:
        `keras.Model` `(ids, decoder_inputs) → logits` with layers `"mean"`, `"log_var"`,
        `"kl"` and `"sampling"`; `autoencoder_parts(model).encoder` maps ids to [μ, log σ²].

    Example:
    >>> model = build_variational_autoencoder(20, code_dim=3, embedding_dim=4, units=6)
    >>> mean, log_var = autoencoder_parts(model).encoder(np.array([[5, 6, 0]]))
    >>> tuple(mean.shape), tuple(log_var.shape)
    ((1, 3), (1, 3))
    """
    _check_sizes(vocabulary_size, code_dim, embedding_dim, units)
    kl = GaussianKL(
        check_float("kl_weight", kl_weight, 0.0),
        check_int("anneal_steps", anneal_steps, 0),
        name="kl",
    )
    sampling = GaussianSampling(seed, name="sampling")
    word_dropout = check_rate("word_dropout", word_dropout)
    dropout = WordDropout(word_dropout, seed=seed, name="word_dropout") if word_dropout else None
    return _sequence_model(
        vocabulary_size,
        code_dim,
        embedding_dim,
        units,
        "variational_autoencoder",
        variational=(kl, sampling, dropout),
    )


class AutoencoderParts(NamedTuple):
    """The layers of a sequence autoencoder that decoding calls one by one."""

    encoder: keras.Model  # ids → code, or → [μ, log σ²] for a VAE
    embedding: TiedEmbedding
    code_to_inputs: keras.layers.Layer
    initial_state: keras.layers.Layer
    decoder_gru: keras.layers.Layer
    projection: keras.layers.Layer

    @property
    def code_dim(self) -> int:
        return int(self.code_to_inputs.kernel.shape[0])


def autoencoder_parts(model: keras.Model) -> AutoencoderParts:
    """The one place that knows the layer names the sequence builders give.

    Example:
    >>> parts = autoencoder_parts(build_sequence_autoencoder(20, 4, 4, 6))
    >>> parts.code_dim, tuple(parts.encoder(np.array([[5, 6, 0]])).shape)
    (4, (1, 4))
    """
    check_type("model", model, keras.Model, "a keras.Model built by build_sequence_autoencoder")
    layers = {layer.name: layer for layer in model.layers}
    if not isinstance(layers.get("embedding"), TiedEmbedding) or "decoder_gru" not in layers:
        raise TypeError(
            "`model` must be built by build_sequence/denoising/variational_autoencoder; "
            f"received {model.__class__.__name__} {model.name!r} without its `embedding` and "
            "`decoder_gru` layers."
        )
    if "code" in layers:
        outputs = layers["code"].output
    else:
        outputs = [layers["mean"].output, layers["log_var"].output]
    return AutoencoderParts(
        keras.Model(model.inputs[0], outputs, name="encoder"),
        layers["embedding"],
        layers["code_to_inputs"],
        layers["initial_state"],
        layers["decoder_gru"],
        layers["projection"],
    )


def _check_codes(codes: Any, code_dim: int) -> Any:
    shape = tuple(ops.shape(codes))
    if len(shape) != 2 or shape[1] != code_dim:
        raise ValueError(
            f"`codes` must have shape (batch, {code_dim}) for this model's code size "
            f"{code_dim}; received codes of shape {shape}."
        )
    return ops.cast(ops.convert_to_tensor(codes), "float32")


def autoencoder_step_fn(model: keras.Model, codes: Any):
    """A step function of `lmkeras.sampling`'s contract that decodes sentences from `codes`.

    The prompt is `[[start]]` per row. On the first call `new_ids` may hold k rows per code
    (beam search), which repeat the codes. The state carries the decoder GRU's state and the
    code's contribution to each input, so each new word costs one cell update.

    Args:
        model: a sequence, denoising or variational autoencoder.
        codes: float `(batch, code_dim)`: from the encoder, from the prior, or in between.

    Returns:
        `step_fn(new_ids, state) -> (logits (rows, vocabulary_size) float32, state)`.

    Example:
    >>> model = build_sequence_autoencoder(20, code_dim=4, embedding_dim=4, units=6)
    >>> step = autoencoder_step_fn(model, np.zeros((2, 4), "float32"))
    >>> logits, state = step(np.array([[2], [2]]), None)
    >>> tuple(logits.shape), tuple(state["hidden"].shape)
    ((2, 20), (2, 6))
    """
    parts = autoencoder_parts(model)
    codes = _check_codes(codes, parts.code_dim)
    batch = int(ops.shape(codes)[0])
    initial = parts.initial_state(codes)  # (batch, units)
    added = parts.code_to_inputs(codes)  # (batch, E)

    def step_fn(new_ids, state):
        new_ids = ops.cast(new_ids, "int32")
        if state is None:
            rows = int(ops.shape(new_ids)[0])
            if rows % batch:
                raise ValueError(f"`new_ids` has {rows} rows, not a multiple of the {batch} codes.")
            k = rows // batch
            state = {"hidden": ops.repeat(initial, k, 0), "added": ops.repeat(added, k, 0)}
        hidden = state["hidden"]
        for t in range(int(ops.shape(new_ids)[1])):
            x = parts.embedding(new_ids[:, t]) + ops.cast(
                state["added"], parts.embedding.compute_dtype
            )
            output, (hidden,) = parts.decoder_gru.cell(x, [hidden])
        logits = parts.embedding(parts.projection(output), reverse=True)
        return logits, {**state, "hidden": hidden}

    return step_fn


def decode_with_codes(model: keras.Model, decoder_inputs: Any, codes: Any) -> Any:
    """Teacher-forced logits of the decoder for given codes (e.g. a VAE's drawn z).

    Args:
        model: a sequence, denoising or variational autoencoder.
        decoder_inputs: int `(batch, T)`, `[start] w1 … wn` padded with 0.
        codes: float `(batch, code_dim)`.

    Returns:
        float32 logits `(batch, T, vocabulary_size)`; with the encoder's codes they equal
        `model((ids, decoder_inputs))`.
    """
    parts = autoencoder_parts(model)
    codes = _check_codes(codes, parts.code_dim)
    decoder_inputs = check_token_ids(
        "decoder_inputs", decoder_inputs, parts.embedding.vocabulary_size, ndim=2
    )
    y = parts.embedding(ops.convert_to_tensor(decoder_inputs, "int32"))
    y = y + ops.cast(parts.code_to_inputs(codes)[:, None, :], y.dtype)  # (B, T, E)
    out = parts.decoder_gru(y, initial_state=[parts.initial_state(codes)])
    return parts.embedding(parts.projection(out), reverse=True)


__all__ = [
    "AutoencoderParts",
    "autoencoder_parts",
    "autoencoder_step_fn",
    "build_dense_autoencoder",
    "build_denoising_autoencoder",
    "build_sequence_autoencoder",
    "build_variational_autoencoder",
    "decode_with_codes",
]

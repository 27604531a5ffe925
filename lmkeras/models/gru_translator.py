"""A GRU encoder–decoder translator, with or without additive (Bahdanau) attention.

    source ids (B, S) ─ Embedding ─ (bidirectional) GRU ─┬─ encoder outputs (B, S, units)
                                                         └─ final state     (B, units)
                                                                 │ initial state
    decoder inputs (B, T) ─ Embedding ─ GRU ─ outputs h_t (B, T, units)
      without attention:  logits = Dense(h_t)
      with attention:     c_t, a_t = AdditiveAttention(query=h_t, keys=encoder outputs)
                          logits = Dense(tanh(W [c_t; h_t]))                (B, T, vocab)

Training feeds the decoder the true previous word at every position (*teacher forcing*), so the
decoder GRU runs once over the whole target: fast. With `teacher_forcing_ratio < 1`, training
instead decodes step by step and, at each position, feeds the model's own previous prediction
(argmax) with probability `1 − ratio` (Bengio et al., 2015, "scheduled sampling" at a fixed
rate), which exposes the model to its own mistakes during training.

The attention ordering is the one of the TensorFlow "NMT with attention" tutorial and of
Luong et al. (2015): the decoder GRU runs first and its outputs are the queries. Bahdanau et
al. (2015) attend with the *previous* state and feed the context into the GRU's input, which
forces a step loop even in training; attending after the GRU keeps training one fast
whole-sequence GRU call, and the alignment plots look the same.

Reference: Cho et al. (2014); Sutskever et al. (2014); Bahdanau, Cho and Bengio (2015);
Luong, Pham and Manning (2015).
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from lmkeras._checks import (
    check_bool,
    check_float,
    check_int,
    check_pair,
    check_rate,
    check_token_ids,
)
from lmkeras._compat import renamed_config_keys
from lmkeras.layers.additive_attention import AdditiveAttention


@keras.saving.register_keras_serializable(package="lmkeras")
class GRUTranslator(keras.Model):
    """GRU encoder–decoder for translation; optional additive attention over the source.

    Follows the course's translator interface (see `lmkeras.recipes.translation.translate`).

    Args:
        source_vocabulary_size: int ≥ 2. Source ids, padding (0) included.
        target_vocabulary_size: int ≥ 4. Target ids, padding, `[UNK]`, `[start]`, `[end]` included.
        embedding_dim: int ≥ 1. Size of the word vectors (source and target). Defaults to `256`.
        units: int ≥ 1. Size of the decoder's state and of the encoder's outputs (a
            bidirectional encoder has `units // 2` per direction, so `units` must be even).
            Defaults to `256`.
        attention: bool. Attend over the encoder's outputs at every target position.
            Defaults to `True`.
        bidirectional: bool. Read the source both ways. Defaults to `True`.
        dropout: float in [0, 1). Dropout on the embeddings and before the output layer.
            Defaults to `0.0`.
        teacher_forcing_ratio: float in [0, 1]. In training, the probability of feeding the
            true previous word (otherwise the model's own argmax prediction). `1.0` is pure
            teacher forcing, trained with one whole-sequence GRU call; below 1 training
            decodes step by step (slower). Inference is unaffected. Defaults to `1.0`.
        seed: int or None. Seed of the teacher-forcing coin flips. Defaults to `None`.
        **kwargs: `keras.Model` arguments (`name`, ...).

    Call arguments:
        inputs: `(source_ids, decoder_inputs)`, int `(batch, S)` and `(batch, T)`; id 0 is
            padding (masked in the source; ignored by the loss in the target).
        training: bool or None.

    Returns:
        float32 logits `(batch, T, target_vocabulary_size)`.

    Example:
    >>> model = GRUTranslator(20, 12, embedding_dim=8, units=8)
    >>> src, dec = np.array([[5, 6, 7, 0]]), np.array([[2, 9, 4]])
    >>> tuple(model((src, dec)).shape), tuple(model.attention_weights(src, dec).shape)
    ((1, 3, 12), (1, 3, 4))
    """

    def __init__(
        self,
        source_vocabulary_size: int,
        target_vocabulary_size: int,
        embedding_dim: int = 256,
        units: int = 256,
        attention: bool = True,
        bidirectional: bool = True,
        dropout: float = 0.0,
        teacher_forcing_ratio: float = 1.0,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_int("source_vocabulary_size", source_vocabulary_size, 2)
        check_int("target_vocabulary_size", target_vocabulary_size, 4)
        check_int("embedding_dim", embedding_dim, 1)
        check_int("units", units, 1)
        check_bool("attention", attention)
        check_bool("bidirectional", bidirectional)
        if bidirectional and units % 2:
            raise ValueError(
                "`units` must be even with `bidirectional=True` (units // 2 per direction); "
                f"received units={units}."
            )
        check_rate("dropout", dropout)
        check_float("teacher_forcing_ratio", teacher_forcing_ratio, 0.0, 1.0)
        if seed is not None:
            check_int("seed", seed, 0)
        self.source_vocabulary_size = int(source_vocabulary_size)
        self.target_vocabulary_size = int(target_vocabulary_size)
        self.embedding_dim = int(embedding_dim)
        self.units = int(units)
        self.attention = attention
        self.bidirectional = bidirectional
        self.dropout = float(dropout)
        self.teacher_forcing_ratio = float(teacher_forcing_ratio)
        self.seed = seed

        self.source_embedding = keras.layers.Embedding(
            source_vocabulary_size, embedding_dim, name="source_embedding"
        )
        self.target_embedding = keras.layers.Embedding(
            target_vocabulary_size, embedding_dim, name="target_embedding"
        )
        if bidirectional:
            gru = keras.layers.GRU(units // 2, return_sequences=True, return_state=True)
            self.encoder = keras.layers.Bidirectional(gru, name="encoder")
        else:
            self.encoder = keras.layers.GRU(
                units, return_sequences=True, return_state=True, name="encoder"
            )
        self.decoder_gru = keras.layers.GRU(
            units, return_sequences=True, return_state=True, name="decoder_gru"
        )
        self.attention_layer = AdditiveAttention(units, name="attention") if attention else None
        self.combine = (
            keras.layers.Dense(units, activation="tanh", name="combine") if attention else None
        )
        self.dropout_layer = keras.layers.Dropout(dropout, name="dropout")
        self.output_dense = keras.layers.Dense(
            target_vocabulary_size, dtype="float32", name="logits"
        )
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape=None):
        embed = (None, None, self.embedding_dim)
        self.source_embedding.build((None, None))
        self.target_embedding.build((None, None))
        self.encoder.build(embed)
        self.decoder_gru.build(embed)
        if self.attention:
            self.attention_layer.build(((None, None, self.units), (None, None, self.units)))
            self.combine.build((None, None, 2 * self.units))
        self.output_dense.build((None, None, self.units))
        self.built = True

    def _ensure_built(self):
        if not self.built:
            self.build()

    # ------------------------------------------------------------------ pieces
    def encode(self, source_ids: Any, training: Any = None) -> tuple[Any, Any, Any]:
        """`(encoder outputs (B, S, units), final state (B, units), source mask (B, S))`."""
        source_ids = ops.cast(source_ids, "int32")
        mask = ops.not_equal(source_ids, 0)  # (B, S): False on padding
        x = self.dropout_layer(self.source_embedding(source_ids), training=training)
        outputs = self.encoder(x, mask=mask, training=training)
        if self.bidirectional:
            sequence, forward, backward = outputs
            state = ops.concatenate([forward, backward], axis=-1)  # (B, units)
        else:
            sequence, state = outputs
        return sequence, state, mask

    def _head(self, hidden, keys, mask, training, projected_keys=None, noise=None):
        """Decoder outputs `(B, T, units)` → float32 logits, and attention weights or None."""
        weights = None
        if self.attention:
            context, weights = self.attention_layer(
                (hidden, keys), source_mask=mask, projected_keys=projected_keys
            )
            hidden = self.combine(ops.concatenate([context, hidden], axis=-1))
        # The step loop draws its dropout masks (`noise`) outside `scan`.
        hidden = self.dropout_layer(hidden, training=training) if noise is None else hidden * noise
        return ops.cast(self.output_dense(hidden), "float32"), weights

    def _decode_sequence(self, decoder_inputs, keys, state, mask, training):
        """Teacher forcing: one GRU call over the whole target."""
        y = self.dropout_layer(self.target_embedding(decoder_inputs), training=training)
        hidden, _ = self.decoder_gru(y, initial_state=[state], training=training)
        return self._head(hidden, keys, mask, training)

    def _decode_loop(self, decoder_inputs, keys, state, mask, ratio, training):
        """Step by step: feed the true word with probability `ratio`, else the prediction."""
        decoder_inputs = ops.cast(decoder_inputs, "int32")
        batch, length = ops.shape(decoder_inputs)[0], ops.shape(decoder_inputs)[1]
        coin = keras.random.uniform((length, batch), seed=self.seed_generator) < ratio
        truth = ops.concatenate([ops.ones((1, batch), "bool"), coin[1:]], axis=0)  # [start]
        # Dropout masks are drawn outside the loop: random ops inside `scan` break on JAX.
        ones = ops.ones((length, batch, self.embedding_dim), self.compute_dtype)
        input_noise = self.dropout_layer(ones, training=training)
        output_noise = self.dropout_layer(ops.ones((length, batch, self.units)), training=training)
        projected = self.attention_layer.project_keys(keys) if self.attention else None

        true_ids = ops.transpose(decoder_inputs)  # (T, B), time-major like the rest

        def step(carry, t):
            h, previous, _ = carry
            ids = ops.where(truth[t], true_ids[t], previous)  # (B,)
            y = self.target_embedding(ids) * input_noise[t]  # (B, E)
            out, new = self.decoder_gru.cell(y, [h], training=training)
            logits, _ = self._head(
                out[:, None, :], keys, mask, training, projected, output_noise[t][:, None, :]
            )
            logits = logits[:, 0]  # (B, V)
            prediction = ops.cast(ops.argmax(logits, axis=-1), "int32")
            carry = (new[0], prediction, logits)
            # TensorFlow's scan wants outputs shaped like the carry: emit the whole carry.
            return carry, carry

        init = (
            state,
            ops.zeros((batch,), "int32"),
            ops.zeros((batch, self.target_vocabulary_size), "float32"),
        )
        # Scan over the time index alone: Keras' TensorFlow scan accepts an unknown length
        # (tf.data batches of varying shapes) only with a single `xs`.
        _, (_, _, logits) = ops.scan(step, init, ops.arange(length))  # logits (T, B, V)
        return ops.transpose(logits, (1, 0, 2))

    # ------------------------------------------------------------------ public API
    def call(self, inputs, training=None):
        source_ids, decoder_inputs = check_pair("inputs", inputs, "(source_ids, decoder_inputs)")
        keys, state, mask = self.encode(source_ids, training)
        if training and self.teacher_forcing_ratio < 1.0:
            return self._decode_loop(
                decoder_inputs, keys, state, mask, self.teacher_forcing_ratio, training
            )
        return self._decode_sequence(
            ops.cast(decoder_inputs, "int32"), keys, state, mask, training
        )[0]

    def decode_step_by_step(
        self, source_ids: Any, decoder_inputs: Any, teacher_forcing_ratio: float = 1.0
    ) -> Any:
        """Logits from the step-by-step decoder (the training path of `ratio < 1`), no dropout.

        With `teacher_forcing_ratio=1.0` it equals `model((source_ids, decoder_inputs))`; with
        `0.0` each position sees the model's own previous prediction: free-running decoding.
        """
        check_float("teacher_forcing_ratio", teacher_forcing_ratio, 0.0, 1.0)
        source_ids, decoder_inputs = self._checked_ids(source_ids, decoder_inputs)
        self._ensure_built()
        keys, state, mask = self.encode(source_ids, training=False)
        return self._decode_loop(
            decoder_inputs, keys, state, mask, float(teacher_forcing_ratio), training=False
        )

    def attention_weights(self, source_ids: Any, decoder_inputs: Any) -> Any:
        """Attention weights `(batch, T, S)` (float32) under teacher forcing, for plots."""
        if not self.attention:
            raise ValueError("`attention_weights` needs a model built with attention=True.")
        source_ids, decoder_inputs = self._checked_ids(source_ids, decoder_inputs)
        self._ensure_built()
        keys, state, mask = self.encode(source_ids, training=False)
        decoder_inputs = ops.cast(decoder_inputs, "int32")
        return self._decode_sequence(decoder_inputs, keys, state, mask, training=False)[1]

    def _checked_ids(self, source_ids: Any, decoder_inputs: Any) -> tuple[Any, Any]:
        """Both id batches checked against the vocabularies (for the eager helpers)."""
        return (
            check_token_ids("source_ids", source_ids, self.source_vocabulary_size, ndim=2),
            check_token_ids("decoder_inputs", decoder_inputs, self.target_vocabulary_size, 2),
        )

    def step_fn(self, source_ids: Any, use_cache: bool = True):
        """A step function of the `lmkeras.sampling` contract that translates `source_ids`.

        The source is encoded once. Its prompt is `[[START_ID]]` per row; on the first call
        `new_ids` may hold k rows per source (beam search), which repeat the encoder's outputs.
        With `use_cache` the state carries the decoder GRU's state and each step runs one cell
        update; without it the state carries the ids so far and each step re-runs the decoder
        over the whole prefix (same logits, slower).

        Returns:
            `step_fn(new_ids, state) -> (logits (rows, vocab), state)`; `state` is a dict whose
            every leaf has the rows on axis 0.
        """
        self._ensure_built()
        check_bool("use_cache", use_cache)
        source_ids = check_token_ids("source_ids", source_ids, self.source_vocabulary_size, ndim=2)
        source_ids = ops.convert_to_tensor(source_ids)
        keys, initial, mask = self.encode(source_ids, training=False)
        projected = self.attention_layer.project_keys(keys) if self.attention else keys
        batch = int(ops.shape(source_ids)[0])

        def step_fn(new_ids, state):
            host_ids = check_token_ids("new_ids", new_ids, self.target_vocabulary_size, ndim=2)
            new_ids = ops.convert_to_tensor(host_ids)
            if state is None:
                rows = int(ops.shape(new_ids)[0])
                if rows % batch:
                    raise ValueError(
                        f"`new_ids` has {rows} rows, not a multiple of the {batch} sources."
                    )
                k = rows // batch
                state = {
                    "keys": ops.repeat(keys, k, axis=0),
                    "projected": ops.repeat(projected, k, axis=0),
                    "mask": ops.repeat(mask, k, axis=0),
                    "initial": ops.repeat(initial, k, axis=0),
                }
                state["ids"] = host_ids  # in NumPy, as in lmkeras.sampling
                y = self.target_embedding(new_ids)
                hidden, h = self.decoder_gru(y, initial_state=[state["initial"]])
                hidden = hidden[:, -1:]
            elif use_cache:
                y = self.target_embedding(new_ids[:, -1])
                out, new = self.decoder_gru.cell(y, [state["hidden"]])
                hidden, h = out[:, None, :], new[0]
            else:
                ids = np.concatenate([state["ids"], host_ids], axis=1)
                state = {**state, "ids": ids}
                hidden, h = self.decoder_gru(
                    self.target_embedding(ops.convert_to_tensor(ids)),
                    initial_state=[state["initial"]],
                )
                hidden = hidden[:, -1:]
            state = {**state, "hidden": h} if use_cache else state
            projected_keys = state["projected"] if self.attention else None
            logits, _ = self._head(hidden, state["keys"], state["mask"], False, projected_keys)
            return logits[:, 0], state

        return step_fn

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "source_vocabulary_size": self.source_vocabulary_size,
                "target_vocabulary_size": self.target_vocabulary_size,
                "embedding_dim": self.embedding_dim,
                "units": self.units,
                "attention": self.attention,
                "bidirectional": self.bidirectional,
                "dropout": self.dropout,
                "teacher_forcing_ratio": self.teacher_forcing_ratio,
                "seed": self.seed,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**renamed_config_keys(config))

"""An encoder–decoder Transformer for translation, with a key/value cache for decoding.

The encoder reads the whole source sentence with self-attention (padded positions hidden); the
decoder predicts the target one token at a time with causal self-attention and
cross-attention to the encoder's outputs, masked by the *source's* padding mask. Blocks are
pre-LayerNorm (`lmkeras.layers`); the target embedding table doubles as the output layer.

`TransformerTranslator.step_fn(source_ids)` gives the step function that
`lmkeras.sampling.generate` / `beam_search` (and `lmkeras.recipes.translation.translate`)
drive. With the cache, each step embeds only the newest token, writes its keys/values into a
fixed-size cache and reuses the encoder's keys/values, computed once per sentence; without it,
each step re-runs the decoder on the whole prefix.

Reference: Vaswani et al., "Attention Is All You Need", 2017.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from lmkeras._checks import (
    check_bool,
    check_int,
    check_optional_int,
    check_pair,
    check_rate,
    check_token_ids,
)
from lmkeras._compat import renamed_config_keys
from lmkeras.backend import compile_step
from lmkeras.layers.positional import PositionEmbedding
from lmkeras.layers.transformer import (
    TiedEmbedding,
    TransformerDecoderBlock,
    TransformerEncoderBlock,
)


@keras.saving.register_keras_serializable(package="lmkeras")
class TransformerTranslator(keras.Model):
    """Encoder–decoder Transformer from source ids and decoder inputs to next-token logits.

    Args:
        source_vocabulary_size: int ≥ 1. Source ids (0 is padding).
        target_vocabulary_size: int ≥ 1. Target ids (0 is padding).
        max_length: int ≥ 1. Longest source and longest target (with `[start]`) in tokens: the
            size of the learned position tables and of the decoding cache. Defaults to `66`.
        hidden_dim: int ≥ 1. Model width. Defaults to `256`.
        num_encoder_layers: int ≥ 1. Defaults to `3`.
        num_decoder_layers: int ≥ 1. Defaults to `3`.
        num_heads: int ≥ 1, dividing `hidden_dim`. Defaults to `4`.
        intermediate_dim: int or None. MLP width; None means 4 × `hidden_dim`.
        dropout: float in [0, 1). Defaults to `0.1`.
        **kwargs: `keras.Model` arguments (`name`, ...).

    Call arguments:
        inputs: `(source_ids, decoder_inputs)`, int `(batch, S)` and `(batch, T)`.
        training: bool or None.

    Returns:
        float32 logits `(batch, T, target_vocabulary_size)`.

    Example:
    >>> model = TransformerTranslator(20, 30, max_length=8, hidden_dim=8, num_heads=2,
    ...                               num_encoder_layers=1, num_decoder_layers=1)
    >>> source, target = np.array([[5, 6, 0]]), np.array([[2, 7]])
    >>> tuple(model((source, target)).shape)
    (1, 2, 30)
    """

    def __init__(
        self,
        source_vocabulary_size,
        target_vocabulary_size,
        max_length=66,
        hidden_dim=256,
        num_encoder_layers=3,
        num_decoder_layers=3,
        num_heads=4,
        intermediate_dim=None,
        dropout=0.1,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for key, value in (
            ("source_vocabulary_size", source_vocabulary_size),
            ("target_vocabulary_size", target_vocabulary_size),
            ("max_length", max_length),
            ("hidden_dim", hidden_dim),
            ("num_encoder_layers", num_encoder_layers),
            ("num_decoder_layers", num_decoder_layers),
            ("num_heads", num_heads),
        ):
            check_int(key, value)
        intermediate_dim = (
            check_optional_int("intermediate_dim", intermediate_dim) or 4 * hidden_dim
        )
        if hidden_dim % num_heads:
            raise ValueError(
                f"`num_heads` must divide `hidden_dim`; received hidden_dim={hidden_dim}, "
                f"num_heads={num_heads}."
            )
        check_rate("dropout", dropout)
        self.source_vocabulary_size = source_vocabulary_size
        self.target_vocabulary_size = target_vocabulary_size
        self.max_length = max_length
        self.hidden_dim = hidden_dim
        self.num_encoder_layers = num_encoder_layers
        self.num_decoder_layers = num_decoder_layers
        self.num_heads = num_heads
        self.intermediate_dim = intermediate_dim
        self.dropout = dropout

        init = keras.initializers.RandomNormal(stddev=0.02)
        self.source_embedding = keras.layers.Embedding(
            source_vocabulary_size, hidden_dim, embeddings_initializer=init, name="source_embedding"
        )
        self.target_embedding = TiedEmbedding(
            target_vocabulary_size, hidden_dim, name="target_embedding"
        )
        self.source_positions = PositionEmbedding(max_length, name="source_positions")
        self.target_positions = PositionEmbedding(max_length, name="target_positions")
        self.encoder_blocks = [
            TransformerEncoderBlock(num_heads, intermediate_dim, dropout, name=f"encoder_{i}")
            for i in range(num_encoder_layers)
        ]
        self.decoder_blocks = [
            TransformerDecoderBlock(
                num_heads, intermediate_dim, dropout, cross_attention=True, name=f"decoder_{i}"
            )
            for i in range(num_decoder_layers)
        ]
        self.encoder_norm = keras.layers.LayerNormalization(epsilon=1e-5, name="encoder_norm")
        self.decoder_norm = keras.layers.LayerNormalization(epsilon=1e-5, name="decoder_norm")
        self.embedding_dropout = keras.layers.Dropout(dropout) if dropout else None

    def build(self, input_shape=None):
        sequence = (None, None, self.hidden_dim)
        for layer, shape in (
            (self.source_embedding, (None, None)),
            (self.target_embedding, (None, None)),
            (self.source_positions, sequence),
            (self.target_positions, sequence),
            (self.encoder_norm, sequence),
            (self.decoder_norm, sequence),
            *((block, sequence) for block in self.encoder_blocks + self.decoder_blocks),
        ):
            if not layer.built:  # never rebuild a built child (keras #21147)
                layer.build(shape)
        self.built = True

    def _check_length(self, ids, name, start=0):
        length = ids.shape[1]
        if length is not None and isinstance(start, int) and start + length > self.max_length:
            raise ValueError(
                f"`{name}` has {start + length} positions; this model's max_length is "
                f"{self.max_length}."
            )

    def _embed(self, ids, table, positions, start=0, training=None):
        x = table(ids)
        x = x + positions(x, start_index=start)
        return x if self.embedding_dropout is None else self.embedding_dropout(x, training=training)

    def encode(self, source_ids, training=None):
        """Encoder outputs `(batch, S, hidden_dim)` and source mask `(batch, S)`, True at words."""
        source_ids = ops.cast(source_ids, "int32")
        self._check_length(source_ids, "source_ids")
        mask = ops.not_equal(source_ids, 0)
        x = self._embed(source_ids, self.source_embedding, self.source_positions, 0, training)
        for block in self.encoder_blocks:
            x = block(x, padding_mask=mask, training=training)
        return self.encoder_norm(x), mask

    def decode(self, decoder_inputs, encoder_outputs, source_mask, training=None):
        """Next-token logits `(batch, T, target_vocabulary_size)` for `decoder_inputs`."""
        decoder_inputs = ops.cast(decoder_inputs, "int32")
        self._check_length(decoder_inputs, "decoder_inputs")
        x = self._embed(decoder_inputs, self.target_embedding, self.target_positions, 0, training)
        for block in self.decoder_blocks:
            x = block(x, encoder_outputs, source_mask, training=training)
        return self.target_embedding(self.decoder_norm(x), reverse=True)

    def call(self, inputs, training=None):
        source_ids, decoder_inputs = check_pair("inputs", inputs, "(source_ids, decoder_inputs)")
        encoder_outputs, source_mask = self.encode(source_ids, training=training)
        return self.decode(decoder_inputs, encoder_outputs, source_mask, training=training)

    def cross_attention_weights(self, source_ids, decoder_inputs):
        """Cross-attention weights of every decoder block: `(layers, batch, heads, T, S)`."""
        source_ids = check_token_ids("source_ids", source_ids, self.source_vocabulary_size, 2)
        decoder_inputs = check_token_ids(
            "decoder_inputs", decoder_inputs, self.target_vocabulary_size, 2
        )
        encoder_outputs, mask = self.encode(source_ids)
        x = self._embed(ops.cast(decoder_inputs, "int32"), self.target_embedding,
                        self.target_positions)  # fmt: skip
        weights = []
        for block in self.decoder_blocks:
            x, _, cross = block(x, encoder_outputs, mask, return_attention_scores=True)
            weights.append(cross)
        return ops.stack(weights)

    def step_fn(self, source_ids, use_cache=True, jit=True, bucket=8):
        """The `step_fn(new_ids, state) -> (logits, state)` of `lmkeras.sampling` for `source_ids`.

        The encoder runs once, here, with each decoder block's cross-attention keys/values. With
        `use_cache`, the state holds the ids so far and each block's self-attention cache
        (`MultiHeadAttention.empty_cache`), grown `bucket` positions at a time; without, each
        step re-runs the decoder on the prefix (right-padded to a multiple of `bucket`, so a
        compiled step is reused). On the first call `new_ids` may have k × as many rows as
        `source_ids`: each source row is repeated k times, as beam search needs. The encoder's
        tensors stay in the step function, not in the state, since beam search reorders rows
        only among the beams of one sentence.

        Args:
            source_ids: int `(batch, S)`, 0-padded.
            use_cache: bool. Defaults to `True`.
            jit: bool. Compile the steps (XLA on TensorFlow, `jax.jit` on JAX).
            bucket: int ≥ 1. Growth step of the cache, and padding granularity of the uncached
                step. Defaults to `8`.

        Returns:
            The step function.
        """
        check_int("bucket", bucket)
        if not self.built:
            self.build()
        check_bool("use_cache", use_cache)
        check_bool("jit", jit)
        source_ids = check_token_ids("source_ids", source_ids, self.source_vocabulary_size, ndim=2)
        source_ids = ops.convert_to_tensor(source_ids)
        self._check_length(source_ids, "source_ids")
        batch = ops.shape(source_ids)[0]
        blocks = self.decoder_blocks
        encode, compiled_cached, compiled_uncached = self._compiled_steps(jit)
        outputs, mask, cross = encode(source_ids)
        # Beam search only reorders rows within a sentence's beams, and every beam of a
        # sentence has the same source: the encoder's tensors stay here, out of the state.
        source = {}

        def step(new_ids, state):
            # The ids so far stay in NumPy, as in lmkeras.sampling (no new device shape a token).
            host_ids = check_token_ids("new_ids", new_ids, self.target_vocabulary_size, ndim=2)
            rows, length = host_ids.shape
            if state is None:
                if rows % batch:
                    raise ValueError(
                        f"The first `new_ids` must have a multiple of the {batch} source rows; "
                        f"received {rows} rows."
                    )
                k = rows // batch
                source["mask"] = ops.repeat(mask, k, axis=0)
                source["outputs"] = ops.repeat(outputs, k, axis=0)
                source["cross"] = [ops.repeat(kv, k, axis=0) for kv in cross]
                state = {"ids": host_ids[:, :0]}
                if use_cache:
                    state["cache"] = [
                        b.attention.empty_cache(rows, 0, outputs.dtype) for b in blocks
                    ]
            ids = np.concatenate([state["ids"], host_ids], axis=1)
            if ids.shape[1] > self.max_length:
                raise ValueError(
                    f"Decoding past this model's max_length={self.max_length} positions: "
                    f"received {ids.shape[1]} positions; ask for fewer new tokens."
                )
            state = {**state, "ids": ids}
            if use_cache:
                caches = state["cache"]
                if ids.shape[1] > blocks[0].attention.cache_length(caches[0]):
                    # Grow the cache in steps of `bucket` positions: short sentences keep a
                    # small cache, and a compiled step is reused until the next growth.
                    size = min(-(-ids.shape[1] // bucket) * bucket, self.max_length)
                    caches = [b.attention.grow_cache(c, size) for b, c in zip(blocks, caches)]
                index = np.int32(ids.shape[1] - length)  # compiled steps take NumPy
                logits, caches = compiled_cached(
                    host_ids, source["mask"], source["cross"], caches, index
                )
                return logits, {**state, "cache": list(caches)}
            size = ids.shape[1]
            padded = np.pad(
                ids, [[0, 0], [0, min(-(-size // bucket) * bucket, self.max_length) - size]]
            )
            last = np.int32(size - 1)
            return compiled_uncached(padded, source["outputs"], source["mask"], last), state

        return step

    def _compiled_steps(self, jit):
        """The encoder pass and the two decoder steps, compiled once per model (and shape)."""
        cache = self.__dict__.setdefault("_step_cache", {})
        if jit in cache:
            return cache[jit]
        blocks = self.decoder_blocks

        def encode(ids):
            outputs, mask = self.encode(ids)
            return (
                outputs,
                mask,
                [b.cross_attention_layer.project_key_value(outputs) for b in blocks],
            )

        def cached(new_ids, mask, cross, caches, index):
            x = self._embed(new_ids, self.target_embedding, self.target_positions, index)
            new_caches = []
            for block, key_value, cache in zip(blocks, cross, caches):
                x, cache = block(
                    x, None, mask, cache=cache, cache_index=index, cross_key_value=key_value
                )
                new_caches.append(cache)
            logits = self.target_embedding(self.decoder_norm(x[:, -1:]), reverse=True)
            return logits[:, 0], new_caches

        def uncached(ids, outputs, mask, last):
            return ops.take(self.decode(ids, outputs, mask), last, axis=1)

        cache[jit] = tuple(compile_step(fn, self, jit) for fn in (encode, cached, uncached))
        return cache[jit]

    def get_config(self):
        config = super().get_config()
        config.update(
            source_vocabulary_size=self.source_vocabulary_size,
            target_vocabulary_size=self.target_vocabulary_size,
            max_length=self.max_length,
            hidden_dim=self.hidden_dim,
            num_encoder_layers=self.num_encoder_layers,
            num_decoder_layers=self.num_decoder_layers,
            num_heads=self.num_heads,
            intermediate_dim=self.intermediate_dim,
            dropout=self.dropout,
        )
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**renamed_config_keys(config))

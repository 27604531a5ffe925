"""word2vec skip-gram with negative sampling (Mikolov et al. 2013) as a Keras model.

Each word has two vectors: a *target* vector, used when it is the centre word, and a
*context* vector, used when it appears next to one. The model scores a (target, context)
pair by the dot product of the two vectors; a sigmoid of that score is the probability that
the pair was seen in the corpus rather than drawn as noise. Trained with binary
cross-entropy on one true context and a few noise words per target (see
`lmkeras.skipgram.skipgram_dataset`), the target vectors become the word embeddings.

Reference:
    Mikolov, Sutskever, Chen, Corrado, Dean, "Distributed Representations of Words and
    Phrases and their Compositionality", NeurIPS 2013.
"""

from __future__ import annotations

import keras
import numpy as np

from lmkeras._checks import check_choice, check_int, check_type


def build_word2vec(
    vocabulary_size: int, embedding_dim: int = 64, name: str = "word2vec"
) -> keras.Model:
    """Build the skip-gram model: target and context embeddings and their dot products.

    Args:
        vocabulary_size: int ≥ 1. Number of word ids.
        embedding_dim: int ≥ 1. Size of each word vector. Defaults to `64`.
        name: str. Model name. Defaults to `"word2vec"`.

    Returns:
        keras.Model with inputs `{"target": int (batch,), "context": int (batch, C)}` and
        output the logits `(batch, C)`, one per context word: train it with
        `keras.losses.BinaryCrossentropy(from_logits=True)`. Its layers `target_embedding`
        and `context_embedding` hold the two vector tables (see `word_vectors`).

    Example:
    >>> model = build_word2vec(vocabulary_size=10, embedding_dim=4)
    >>> logits = model({"target": np.array([1, 2]), "context": np.array([[3, 4, 5], [6, 7, 8]])})
    >>> tuple(logits.shape)
    (2, 3)
    """
    check_int("vocabulary_size", vocabulary_size)
    check_int("embedding_dim", embedding_dim)
    target = keras.Input(shape=(), dtype="int32", name="target")
    context = keras.Input(shape=(None,), dtype="int32", name="context")
    target_vectors = keras.layers.Embedding(
        vocabulary_size, embedding_dim, name="target_embedding"
    )(target)  # (B, D)
    context_vectors = keras.layers.Embedding(
        vocabulary_size, embedding_dim, name="context_embedding"
    )(context)  # (B, C, D)
    # One dot product per context word: (B, C, D) · (B, D) -> (B, C).
    logits = keras.layers.Dot(axes=(2, 1), name="logits")([context_vectors, target_vectors])
    return keras.Model({"target": target, "context": context}, logits, name=name)


def word_vectors(model: keras.Model, which: str = "target") -> np.ndarray:
    """The trained word vectors of a `build_word2vec` model, one row per word id.

    Args:
        model: keras.Model built by `build_word2vec` (or loaded from its `.keras` file).
        which: str. `"target"` (the usual word embeddings), `"context"`, or `"sum"` of both.
            Defaults to `"target"`.

    Returns:
        float32 NumPy array `(vocabulary_size, embedding_dim)`.

    Example:
    >>> word_vectors(build_word2vec(10, 4)).shape
    (10, 4)
    """
    check_choice("which", which, ("target", "context", "sum"))
    check_type("model", model, keras.Model, "a keras.Model built by `build_word2vec`")
    names = [layer.name for layer in model.layers]
    if "target_embedding" not in names or "context_embedding" not in names:
        raise TypeError(
            f"`model` must be a build_word2vec model with layers 'target_embedding' and "
            f"'context_embedding'; received a model with layers {names}."
        )

    def table(layer_name: str) -> np.ndarray:
        weights = model.get_layer(layer_name).embeddings
        return np.asarray(keras.ops.convert_to_numpy(weights), dtype="float32")

    if which == "sum":
        return table("target_embedding") + table("context_embedding")
    return table(f"{which}_embedding")

"""Tests of the skip-gram word2vec builder (lmkeras.models.word2vec)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from lmkeras import vectors
from lmkeras.datasets import skipgram
from lmkeras.models.word2vec import build_word2vec, word_vectors
from lmkeras.testing import check_model

BCE = keras.losses.BinaryCrossentropy(from_logits=True)


def _batch():
    inputs = {
        "target": np.array([1, 2, 3], "int32"),
        "context": np.array([[4, 5, 6], [7, 8, 9], [3, 3, 0]], "int32"),
    }
    labels = np.array([[1, 0, 0]] * 3, "float32")
    return inputs, labels


def test_builder_passes_the_shared_model_checks():
    keras.utils.set_random_seed(0)
    inputs, labels = _batch()
    logits = check_model(build_word2vec(12, 8), inputs, target=labels, loss=BCE)
    assert tuple(logits.shape) == (3, 3)


def test_logits_are_dot_products_of_target_and_context_vectors():
    model = build_word2vec(12, 8)
    inputs, _ = _batch()
    target, context = word_vectors(model, "target"), word_vectors(model, "context")
    expected = np.einsum("bd,bcd->bc", target[inputs["target"]], context[inputs["context"]])
    got = keras.ops.convert_to_numpy(model(inputs))
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_loss_is_the_sigmoid_cross_entropy_of_the_scores():
    model = build_word2vec(12, 8)
    inputs, labels = _batch()
    logits = keras.ops.convert_to_numpy(model(inputs)).astype("float64")
    probability = 1 / (1 + np.exp(-logits))
    by_hand = -np.mean(labels * np.log(probability) + (1 - labels) * np.log(1 - probability))
    got = float(keras.ops.convert_to_numpy(BCE(labels, model(inputs))))
    assert got == pytest.approx(by_hand, abs=1e-6)


def test_any_number_of_context_words():
    model = build_word2vec(12, 4)
    out = model({"target": np.array([1, 2], "int32"), "context": np.ones((2, 7), "int32")})
    assert tuple(out.shape) == (2, 7)


def test_word_vectors_choices_and_errors():
    model = build_word2vec(12, 4)
    total = word_vectors(model, "sum")
    np.testing.assert_allclose(total, word_vectors(model) + word_vectors(model, "context"))
    assert word_vectors(model).dtype == np.float32
    with pytest.raises(ValueError, match="which"):
        word_vectors(model, "both")
    other = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(TypeError, match="target_embedding"):  # the wrong kind of model
        word_vectors(other)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"vocabulary_size": 0}, "vocabulary_size=0"),
        ({"vocabulary_size": 5.0}, "vocabulary_size=5.0"),
        ({"embedding_dim": -1}, "embedding_dim=-1"),
        ({"embedding_dim": True}, "embedding_dim=True"),
    ],
)
def test_bad_sizes_are_named(kwargs, message):
    arguments = {"vocabulary_size": 10, "embedding_dim": 4}
    arguments.update(kwargs)
    with pytest.raises((ValueError, TypeError), match=message):  # TypeError for 5.0 and True
        build_word2vec(**arguments)


# The number of batches changes a little each epoch (random subsampling and reach), so Keras
# learns it at the end of the first epoch and says so; harmless here.
@pytest.mark.filterwarnings("ignore:Your input ran out of data", "ignore:`shuffle=True`")
def test_short_run_on_a_planted_corpus_separates_the_two_groups():
    # Two groups of six words; every sentence draws its words from one group only.
    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    groups = {"a": [f"a{i}" for i in range(6)], "b": [f"b{i}" for i in range(6)]}
    vocabulary = ["", "[UNK]"] + groups["a"] + groups["b"]
    sentences = [2 + 6 * (s % 2) + rng.integers(0, 6, 8) for s in range(600)]
    ids, segments = skipgram.concatenate_sentences(sentences)
    dataset = skipgram.skipgram_dataset(
        ids,
        14,
        2,
        num_negatives=4,
        batch_size=128,
        segment_ids=segments,
        subsample=None,
        drop_ids=(0, 1),
        seed=0,
    )
    model = build_word2vec(14, 8)
    model.compile(keras.optimizers.Adam(0.05), BCE)
    before = vectors.group_score(word_vectors(model), vocabulary, groups)
    history = model.fit(dataset, epochs=3, verbose=0)
    after = vectors.group_score(word_vectors(model), vocabulary, groups)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert after.accuracy == 1.0
    assert after.within > after.across + 0.5
    assert after.within - after.across > before.within - before.across + 0.5

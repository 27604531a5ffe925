import numpy as np
import pytest

from lmkeras.datasets import char_lm_dataset, next_token_windows, word_lm_dataset
from lmkeras.text import CharTokenizer, WordTokenizer


def test_windows_are_shifted_by_one_and_cover_the_ids():
    ids = np.arange(101)
    batches = list(next_token_windows(ids, sequence_length=10, batch_size=5, shuffle=False))
    assert len(batches) == 2
    x = np.concatenate([b[0].numpy() for b in batches])
    y = np.concatenate([b[1].numpy() for b in batches])
    assert x.shape == (10, 10) and x.dtype == np.int32
    np.testing.assert_array_equal(y, x + 1)
    np.testing.assert_array_equal(x.reshape(-1), np.arange(100))


def test_stride_and_shuffle_are_seeded():
    ids = np.arange(200)
    first = [b[0].numpy() for b in next_token_windows(ids, 8, 4, stride=3, seed=1)]
    again = [b[0].numpy() for b in next_token_windows(ids, 8, 4, stride=3, seed=1)]
    np.testing.assert_array_equal(np.concatenate(first), np.concatenate(again))
    starts = np.concatenate(first)[:, 0]
    assert set(starts.tolist()) <= set(range(0, 200, 3))
    assert not np.all(np.diff(starts) > 0)  # shuffled


def test_char_and_word_datasets():
    text = "hello world " * 20
    tokenizer = CharTokenizer.from_text(text)
    x, y = next(iter(char_lm_dataset(text, tokenizer, 5, 2, shuffle=False)))
    assert tokenizer.decode(x[0]) == "hello" and tokenizer.decode(y[0]) == "ello "
    words = WordTokenizer.from_texts(["a b c", "d e"])
    x, y = next(iter(word_lm_dataset(["a b c", "d e"], words, 3, 1, shuffle=False)))
    assert words.decode(x[0]) == "a b c" and words.decode(y[0]) == "b c d"


@pytest.mark.parametrize("name", ["sequence_length", "batch_size", "stride"])
@pytest.mark.parametrize("value", [0, -1, 2.5])
def test_non_positive_sizes_are_rejected(name, value):
    kwargs = {"sequence_length": 4, "batch_size": 2, "stride": 1}
    kwargs[name] = value
    error = TypeError if isinstance(value, float) else ValueError
    with pytest.raises(error, match=f"{name}={value}"):
        next_token_windows(np.arange(50), **kwargs)


def test_bad_ids():
    with pytest.raises(ValueError, match="must have 1 axis"):
        next_token_windows(np.zeros((3, 3), "int32"), 2, 1)
    with pytest.raises(TypeError, match="integer token ids"):
        next_token_windows(np.array([0.5, 1.5, 2.5]), 1, 1)
    with pytest.raises(ValueError, match="ids ≥ 0"):
        next_token_windows(np.array([1, -1, 2]), 1, 1)
    with pytest.raises(ValueError, match="at least sequence_length"):
        next_token_windows(np.arange(5), 5, 1)
    with pytest.raises(ValueError, match="fewer than batch_size"):
        next_token_windows(np.arange(11), 5, 3)
    with pytest.raises(ValueError, match="non-empty"):
        char_lm_dataset("", CharTokenizer(["a"]), 2, 1)
    with pytest.raises(TypeError, match="not one str"):
        word_lm_dataset("a b", WordTokenizer(["a"]), 2, 1)


def test_fit_from_the_dataset():
    import keras

    ds = next_token_windows(np.arange(300) % 7, 8, 4)
    model = keras.Sequential([keras.layers.Embedding(7, 8), keras.layers.Dense(7)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(ds, epochs=2, verbose=0, shuffle=False)  # the windows are shuffled
    assert history.history["loss"][1] < history.history["loss"][0]

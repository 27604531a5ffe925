import numpy as np
import pytest

from lmkeras.text import CharTokenizer, WordTokenizer, clean_text


def test_clean_text_normalises_lowercases_and_spaces_punctuation():
    assert clean_text("¿Dónde está?¡Hola!") == "¿ dónde está ? ¡ hola !"
    # NFKC folds the ligature; NFC keeps it.
    assert clean_text("ﬁne") == "fine"
    assert clean_text("ﬁne", form="NFC") == "ﬁne"
    # Composed and decomposed "é" become the same string.
    assert clean_text("e\u0301") == clean_text("\u00e9")
    assert clean_text("Don't  stop-it", lower=False) == "Don't stop-it"
    assert clean_text("Hi, you!", punctuation="strip") == "hi you"
    assert clean_text("Hi, you!", punctuation="keep") == "hi, you!"


def test_clean_text_bad_input():
    with pytest.raises(TypeError, match="text"):
        clean_text(None)
    with pytest.raises(ValueError, match="form"):
        clean_text("x", form="NFX")
    with pytest.raises(ValueError, match="punctuation"):
        clean_text("x", punctuation="drop")


def test_char_tokenizer_round_trip():
    text = "To be, or not to be"
    tokenizer = CharTokenizer.from_text(text)
    ids = tokenizer.encode(text)
    assert ids.dtype == np.int32 and len(ids) == len(text)
    assert tokenizer.decode(ids) == text
    assert tokenizer.vocabulary_size == len(set(text))
    assert CharTokenizer(**tokenizer.get_config()).vocabulary == tokenizer.vocabulary


def test_char_tokenizer_unknown_characters_are_explicit():
    tokenizer = CharTokenizer.from_text("abc")
    with pytest.raises(ValueError, match=r"\['z'\].*index 2"):
        tokenizer.encode("abz")
    lenient = CharTokenizer.from_text("abc", unknown="unk")
    ids = lenient.encode("abz")
    assert ids.tolist() == [0, 1, 3]
    assert lenient.decode(ids) == "ab[UNK]"
    assert CharTokenizer(**lenient.get_config()).vocabulary == lenient.vocabulary


def test_char_tokenizer_bad_input():
    with pytest.raises(ValueError, match="non-empty"):
        CharTokenizer.from_text("")
    with pytest.raises(ValueError, match="single characters"):
        CharTokenizer(["ab"])
    with pytest.raises(ValueError, match="repeated"):
        CharTokenizer(["a", "a"])
    with pytest.raises(ValueError, match="unknown"):
        CharTokenizer(["a"], unknown="drop")
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        CharTokenizer(["a"]).decode([3])


def test_word_tokenizer_frequency_order_oov_and_padding():
    tokenizer = WordTokenizer.from_texts(["b a b", "c a b"], max_tokens=4)
    assert tokenizer.vocabulary == ["", "[UNK]", "b", "a"]
    assert tokenizer.encode("c b x").tolist() == [1, 2, 1]
    batch = tokenizer.encode_batch(["a b a b", "b"], sequence_length=3)
    assert batch.tolist() == [[3, 2, 3], [2, 0, 0]]
    pre = tokenizer.encode_batch(["a b a b", "b"], 3, padding="pre", truncating="pre")
    assert pre.tolist() == [[2, 3, 2], [0, 0, 2]]
    assert tokenizer.decode([3, 2, 0, 0]) == "a b"
    assert WordTokenizer(**tokenizer.get_config()).vocabulary == tokenizer.vocabulary


def test_word_tokenizer_min_count():
    tokenizer = WordTokenizer.from_texts(["a a b"], min_count=2)
    assert tokenizer.vocabulary == ["", "[UNK]", "a"]


def test_word_tokenizer_matches_text_vectorization():
    import keras

    # Distinct counts (the 4, cat 3, sat 2, on 1): TextVectorization breaks ties in reverse
    # alphabetical order while WordTokenizer (like Keras 2's Tokenizer) keeps first appearance.
    texts = ["the cat sat on the", "the cat sat the", "cat"]
    ours = WordTokenizer.from_texts(texts, max_tokens=6)
    layer = keras.layers.TextVectorization(max_tokens=6, standardize=None, output_sequence_length=7)
    layer.adapt(texts)
    assert [str(w) for w in layer.get_vocabulary()] == ours.vocabulary
    sentences = ["the cat sat on the mat dog", "cat"]
    theirs = keras.ops.convert_to_numpy(layer(sentences))
    np.testing.assert_array_equal(theirs, ours.encode_batch(sentences, 7))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"max_tokens": 2}, "max_tokens"),
        ({"min_count": 0}, "min_count"),
    ],
)
def test_word_tokenizer_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        WordTokenizer.from_texts(["a b"], **kwargs)


def test_word_tokenizer_bad_input():
    with pytest.raises(ValueError, match="at least one word"):
        WordTokenizer.from_texts(["", "  "])
    tokenizer = WordTokenizer(["a"])
    with pytest.raises(ValueError, match="sequence_length"):
        tokenizer.encode_batch(["a"], 0)
    with pytest.raises(ValueError, match="padding"):
        tokenizer.encode_batch(["a"], 2, padding="middle")
    with pytest.raises(ValueError, match="without spaces"):
        WordTokenizer(["a b"])

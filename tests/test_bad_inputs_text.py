"""Bad inputs of `lmkeras.text` and `lmkeras.bpe`: one text where a list belongs, wrong ids."""

from __future__ import annotations

import numpy as np

from lmkeras import bpe
from lmkeras.text import BPETokenizer, CharTokenizer, WordTokenizer, clean_text
from tests.bad_inputs import bad, check_refused, table

CHARS = CharTokenizer.from_text("hello")
WORDS = WordTokenizer.from_texts(["the cat sat", "the dog"])
BPE = BPETokenizer.train(["low lower lowest"] * 10, vocabulary_size=260)
BYTE_FF = BPE.vocabulary[bpe.bytes_to_unicode()[0xFF]]  # a byte that is never UTF-8 alone

TEXT_ROWS = [
    bad(clean_text, lambda: clean_text(123), TypeError, "`text`", "text=123"),
    bad(clean_text, lambda: clean_text(b"bytes"), TypeError, "`text`", "text=b'bytes'"),
    bad(clean_text, lambda: clean_text("a", lower="yes"), TypeError, "lower='yes'"),
    bad(clean_text, lambda: clean_text("a", form="nfc"), ValueError, "form='nfc'", "NFKC"),
    bad(clean_text, lambda: clean_text("a", punctuation="drop"), ValueError,
        "punctuation='drop'", "'separate'"),
    bad(CharTokenizer, lambda: CharTokenizer(5), TypeError, "`vocabulary`", "vocabulary=5"),
    bad(CharTokenizer, lambda: CharTokenizer([]), ValueError, "`vocabulary`", "at least one"),
    bad(CharTokenizer, lambda: CharTokenizer(["ab"]), ValueError, "`vocabulary`", "['ab']"),
    bad(CharTokenizer, lambda: CharTokenizer(["a", "a"]), ValueError, "`vocabulary`", "['a']"),
    bad(CharTokenizer, lambda: CharTokenizer(["a"], unknown="skip"), ValueError,
        "unknown='skip'", "'error'"),
    bad(CharTokenizer.from_text, lambda: CharTokenizer.from_text(""), ValueError,
        "`text`", "''"),
    bad(CharTokenizer.from_text, lambda: CharTokenizer.from_text(["ab", "c"]), TypeError,
        "`text`", "['ab', 'c']"),
    bad(CharTokenizer.encode, lambda: CHARS.encode(123), TypeError, "`text`", "text=123"),
    bad(CharTokenizer.encode, lambda: CHARS.encode(["h", "e"]), TypeError,
        "`text`", "['h', 'e']"),
    bad(CharTokenizer.encode, lambda: CHARS.encode("hex"), ValueError, "`text`", "['x']",
        "index 2"),
    bad(CharTokenizer.decode, lambda: CHARS.decode([1, 9]), ValueError, "`ids`", "[0, 4)", "9"),
    bad(CharTokenizer.decode, lambda: CHARS.decode([-1]), ValueError, "`ids`", "-1"),
    bad(CharTokenizer.decode, lambda: CHARS.decode([1.5]), TypeError, "`ids`", "float64"),
    bad(CharTokenizer.decode, lambda: CHARS.decode("he"), TypeError, "`ids`", "'he'"),
    bad(CharTokenizer.decode, lambda: CHARS.decode([[0, 1], [2, 3]]), ValueError,
        "`ids`", "1 axis", "(2, 2)"),
    bad(WordTokenizer, lambda: WordTokenizer("cat"), TypeError, "`vocabulary`", "'cat'"),
    bad(WordTokenizer, lambda: WordTokenizer(["a b"]), ValueError, "`vocabulary`", "['a b']"),
    bad(WordTokenizer, lambda: WordTokenizer(["[UNK]"]), ValueError, "`vocabulary`", "[UNK]"),
    bad(WordTokenizer, lambda: WordTokenizer(["a", "a"]), ValueError, "`vocabulary`",
        "distinct"),
    bad(WordTokenizer.from_texts, lambda: WordTokenizer.from_texts("the cat sat"), TypeError,
        "`texts`", "'the cat sat'", "not one str"),
    bad(WordTokenizer.from_texts, lambda: WordTokenizer.from_texts([1, 2]), TypeError,
        "`texts`", "1", "index 0"),
    bad(WordTokenizer.from_texts, lambda: WordTokenizer.from_texts([]), ValueError,
        "`texts`", "at least one"),
    bad(WordTokenizer.from_texts, lambda: WordTokenizer.from_texts([" "]), ValueError,
        "`texts`", "at least one word"),
    bad(WordTokenizer.from_texts, lambda: WordTokenizer.from_texts(["a"], max_tokens=2),
        ValueError, "max_tokens=2", "≥ 3"),
    bad(WordTokenizer.from_texts, lambda: WordTokenizer.from_texts(["a"], max_tokens=True),
        TypeError, "max_tokens=True"),
    bad(WordTokenizer.from_texts, lambda: WordTokenizer.from_texts(["a"], min_count=0),
        ValueError, "min_count=0"),
    bad(WordTokenizer.from_texts, lambda: WordTokenizer.from_texts(["a"], min_count=1.5),
        TypeError, "min_count=1.5"),
    bad(WordTokenizer.encode, lambda: WORDS.encode(["the", "cat"]), TypeError,
        "`text`", "['the', 'cat']"),
    bad(WordTokenizer.encode, lambda: WORDS.encode(None), TypeError, "`text`", "text=None"),
    bad(WordTokenizer.encode_batch, lambda: WORDS.encode_batch("the cat", 3), TypeError,
        "`texts`", "'the cat'", "not one str"),
    bad(WordTokenizer.encode_batch, lambda: WORDS.encode_batch([3], 3), TypeError,
        "`texts`", "index 0"),
    bad(WordTokenizer.encode_batch, lambda: WORDS.encode_batch(["the"], True), TypeError,
        "sequence_length=True"),
    bad(WordTokenizer.encode_batch, lambda: WORDS.encode_batch(["the"], 0), ValueError,
        "sequence_length=0"),
    bad(WordTokenizer.encode_batch, lambda: WORDS.encode_batch(["the"], 2, padding="left"),
        ValueError, "padding='left'", "'pre'"),
    bad(WordTokenizer.encode_batch, lambda: WORDS.encode_batch(["the"], 2, truncating="end"),
        ValueError, "truncating='end'"),
    bad(WordTokenizer.decode, lambda: WORDS.decode([2, 99]), ValueError, "`ids`", "99"),
    bad(WordTokenizer.decode, lambda: WORDS.decode(np.array([[2, 3], [2, 4]])), ValueError,
        "`ids`", "(2, 2)"),
    bad(WordTokenizer.decode, lambda: WORDS.decode([2], skip_padding="no"), TypeError,
        "skip_padding='no'"),
]  # fmt: skip

BPE_ROWS = [
    bad(bpe.pretokenize, lambda: bpe.pretokenize(123), TypeError, "`text`", "text=123"),
    bad(BPETokenizer, lambda: BPETokenizer(["a"], []), TypeError, "`vocabulary`", "dict"),
    bad(BPETokenizer, lambda: BPETokenizer({"a": 0}, []), ValueError, "`vocabulary`",
        "256 byte characters"),
    bad(BPETokenizer, lambda: BPETokenizer(BPE.vocabulary, "l o"), TypeError, "`merges`",
        "'l o'"),
    bad(BPETokenizer, lambda: BPETokenizer(BPE.vocabulary, ["lo"]), ValueError, "merges[0]",
        "'lo'"),
    bad(BPETokenizer, lambda: BPETokenizer(BPE.vocabulary, [1]), TypeError, "`merges`", "1"),
    bad(BPETokenizer.train, lambda: BPETokenizer.train("low lower", 260), TypeError,
        "`texts`", "'low lower'", "not one str"),
    bad(BPETokenizer.train, lambda: BPETokenizer.train([b"low"], 260), TypeError,
        "`texts`", "b'low'"),
    bad(BPETokenizer.train, lambda: BPETokenizer.train([], 260), ValueError, "`texts`"),
    bad(BPETokenizer.train, lambda: BPETokenizer.train(["low"], 255), ValueError,
        "vocabulary_size=255", "≥ 256"),
    bad(BPETokenizer.train, lambda: BPETokenizer.train(["low"], True), TypeError,
        "vocabulary_size=True"),
    bad(BPETokenizer.train, lambda: BPETokenizer.train(["low"], 300.0), TypeError,
        "vocabulary_size=300.0"),
    bad(BPETokenizer.encode, lambda: BPE.encode(["low"]), TypeError, "`text`", "['low']"),
    bad(BPETokenizer.tokenize, lambda: BPE.tokenize(5), TypeError, "`text`", "text=5"),
    bad(BPETokenizer.decode, lambda: BPE.decode([300]), ValueError, "`ids`", "[0, 260)", "300"),
    bad(BPETokenizer.decode, lambda: BPE.decode([1.0]), TypeError, "`ids`", "float64"),
    bad(BPETokenizer.decode, lambda: BPE.decode([BYTE_FF]), ValueError, "`ids`", "UTF-8"),
]  # fmt: skip


@table(TEXT_ROWS)
def test_text_refuses_bad_input(row):
    check_refused(row)


@table(BPE_ROWS)
def test_bpe_refuses_bad_input(row):
    check_refused(row)

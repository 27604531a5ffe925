"""Bad inputs of `lmkeras.datasets.windows`: ids outside the vocabulary, impossible batches."""

from __future__ import annotations

import numpy as np

from lmkeras.datasets import windows
from lmkeras.text import CharTokenizer, WordTokenizer
from tests.bad_inputs import bad, check_refused, table

IDS = np.arange(40) % 5
CHARS = CharTokenizer.from_text("abcde")
WORDS = WordTokenizer.from_texts(["the cat sat on the mat"])


def windows_of(ids=IDS, sequence_length=4, batch_size=2, **kwargs):
    return windows.next_token_windows(ids, sequence_length, batch_size, **kwargs)


def chars(text="abcde" * 8, tokenizer=CHARS, **kwargs):
    return windows.char_lm_dataset(text, tokenizer, 4, 2, **kwargs)


def words(texts=("the cat sat on the mat",) * 4, tokenizer=WORDS, **kwargs):
    return windows.word_lm_dataset(texts, tokenizer, 4, 2, **kwargs)


WINDOWS_ROWS = [
    bad(windows.next_token_windows, lambda: windows_of(IDS + 0.5), TypeError, "`ids`",
        "float64"),
    bad(windows.next_token_windows, lambda: windows_of("abc"), TypeError, "`ids`", "<U3"),
    bad(windows.next_token_windows, lambda: windows_of(IDS - 1), ValueError, "`ids`", "-1"),
    bad(windows.next_token_windows, lambda: windows_of(IDS, vocabulary_size=4), ValueError,
        "`ids`", "[0, 4)", "4"),
    bad(windows.next_token_windows, lambda: windows_of(IDS, vocabulary_size=0), ValueError,
        "vocabulary_size=0"),
    bad(windows.next_token_windows, lambda: windows_of(IDS.reshape(4, 10)), ValueError,
        "`ids`", "1 axis", "(4, 10)"),
    bad(windows.next_token_windows, lambda: windows_of(sequence_length=True), TypeError,
        "sequence_length=True"),
    bad(windows.next_token_windows, lambda: windows_of(sequence_length=0), ValueError,
        "sequence_length=0"),
    bad(windows.next_token_windows, lambda: windows_of(batch_size=0), ValueError,
        "batch_size=0"),
    bad(windows.next_token_windows, lambda: windows_of(batch_size=2.0), TypeError,
        "batch_size=2.0"),
    bad(windows.next_token_windows, lambda: windows_of(stride=0), ValueError, "stride=0"),
    bad(windows.next_token_windows, lambda: windows_of(IDS[:4]), ValueError, "`ids`",
        "sequence_length + 1 = 5", "received 4"),
    bad(windows.next_token_windows, lambda: windows_of(batch_size=20), ValueError,
        "batch_size=20", "9 windows"),
    bad(windows.next_token_windows, lambda: windows_of(batch_size=20, drop_remainder=False),
        ValueError, "batch_size=20", "9 windows"),
    bad(windows.next_token_windows, lambda: windows_of(shuffle="no"), TypeError,
        "shuffle='no'"),
    bad(windows.next_token_windows, lambda: windows_of(drop_remainder=0), TypeError,
        "drop_remainder=0"),
    bad(windows.next_token_windows, lambda: windows_of(seed=-1), ValueError, "seed=-1"),
    bad(windows.next_token_windows, lambda: windows_of(seed="a"), TypeError, "seed='a'"),
    bad(windows.char_lm_dataset, lambda: chars(""), ValueError, "`text`", "''"),
    bad(windows.char_lm_dataset, lambda: chars(123), TypeError, "`text`", "text=123"),
    bad(windows.char_lm_dataset, lambda: chars(["abcde"]), TypeError, "`text`", "['abcde']"),
    bad(windows.char_lm_dataset, lambda: chars(tokenizer=None), TypeError, "`tokenizer`",
        "None", "encode"),
    bad(windows.char_lm_dataset, lambda: chars("abcdef" * 8), ValueError, "`text`", "['f']"),
    bad(windows.char_lm_dataset, lambda: chars(vocabulary_size=3), ValueError, "`ids`",
        "[0, 3)"),
    bad(windows.word_lm_dataset, lambda: words("the cat sat on the mat"), TypeError,
        "`texts`", "'the cat sat on the mat'", "not one str"),
    bad(windows.word_lm_dataset, lambda: words([]), ValueError, "`texts`", "at least one"),
    bad(windows.word_lm_dataset, lambda: words(tokenizer="words"), TypeError, "`tokenizer`",
        "'words'"),
    bad(windows.word_lm_dataset, lambda: words(vocabulary_size=4), ValueError, "`ids`",
        "[0, 4)"),
]  # fmt: skip


@table(WINDOWS_ROWS)
def test_windows_refuse_bad_input(row):
    check_refused(row)

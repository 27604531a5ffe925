"""Text preprocessing: cleaning, character and word tokenizers, and byte-pair encoding.

Every tokenizer here maps text to integer ids and back. None drops anything silently: an
unknown character is an error unless you ask for an `[UNK]` id, and the byte-level BPE
tokenizer round-trips any Unicode text exactly.
"""

from __future__ import annotations

import collections
import unicodedata
from collections.abc import Iterable, Sequence

import numpy as np
import regex

from lmkeras._checks import (
    check_bool,
    check_choice,
    check_int,
    check_optional_int,
    check_str,
    check_texts,
    check_token_ids,
    describe,
)

PAD = ""
UNK = "[UNK]"

# Punctuation that becomes its own token. Apostrophes and hyphens stay inside words
# ("don't", "well-known"); Spanish opening marks ¿ ¡ are split off like their closing partners.
_PUNCTUATION = regex.compile(r'([.,!?¿¡;:"()\[\]«»…—])')
_SPACES = regex.compile(r"\s+")


def clean_text(
    text: str, lower: bool = True, form: str = "NFKC", punctuation: str = "separate"
) -> str:
    """Normalise Unicode, optionally lower-case, and put spaces around punctuation.

    Args:
        text: str. Raw text.
        lower: bool. Lower-case the result. Defaults to `True`.
        form: str. Unicode normal form for `unicodedata.normalize`: "NFC", "NFKC", "NFD" or
            "NFKD". Defaults to `"NFKC"`, which also folds compatibility characters (the
            ligature "ﬁ" becomes "fi"), so visually equal strings get equal tokens.

    Returns:
        str. Words and punctuation marks separated by single spaces, no leading/trailing space.

    Example:
    >>> clean_text("¿Dónde  está el BAÑO?")
    '¿ dónde está el baño ?'
    >>> clean_text("¿Dónde  está el BAÑO?", punctuation="strip")
    'dónde está el baño'
    """
    check_str("text", text, allow_empty=True)
    check_bool("lower", lower)
    check_choice("form", form, ("NFC", "NFKC", "NFD", "NFKD"))
    check_choice("punctuation", punctuation, ("separate", "strip", "keep"))
    text = unicodedata.normalize(form, text)
    if lower:
        text = text.lower()
    if punctuation != "keep":
        text = _PUNCTUATION.sub(r" \1 " if punctuation == "separate" else " ", text)
    return _SPACES.sub(" ", text).strip()


def _sequence_ids(ids: Iterable[int], vocabulary_size: int) -> np.ndarray:
    """One sequence of ids in the vocabulary (a single id counts as a sequence of one)."""
    array = check_token_ids("ids", ids, vocabulary_size)
    if array.ndim > 1:
        raise ValueError(
            f"`ids` must have 1 axis (decode one sequence at a time); received shape {array.shape}."
        )
    return array.reshape(-1)


class CharTokenizer:
    """Character-level tokenizer with an explicit policy for unknown characters.

    Args:
        vocabulary: sequence of distinct single characters; id i is `vocabulary[i]`.
        unknown: str. What `encode` does with a character not in the vocabulary: `"error"`
            raises a ValueError naming it; `"unk"` maps it to the id of `[UNK]`, which is then
            appended to the vocabulary as the last id. Defaults to `"error"`.

    Example:
    >>> tokenizer = CharTokenizer.from_text("hello")
    >>> tokenizer.vocabulary
    ['e', 'h', 'l', 'o']
    >>> tokenizer.encode("hole").tolist()
    [1, 3, 2, 0]
    >>> tokenizer.decode([1, 0, 2, 2, 3])
    'hello'
    """

    def __init__(self, vocabulary: Sequence[str], unknown: str = "error"):
        if not isinstance(vocabulary, Iterable):
            raise TypeError(
                f"`vocabulary` must be a sequence of single characters; received "
                f"vocabulary={describe(vocabulary)}."
            )
        vocabulary = list(vocabulary)
        if not vocabulary:
            raise ValueError("`vocabulary` must hold at least one character; received none.")
        bad = [c for c in vocabulary if not isinstance(c, str) or len(c) != 1]
        if bad:
            raise ValueError(f"`vocabulary` must hold single characters; received {bad[:5]!r}.")
        if len(set(vocabulary)) != len(vocabulary):
            repeated = [c for c, n in collections.Counter(vocabulary).items() if n > 1]
            raise ValueError(f"`vocabulary` has repeated characters: {repeated[:5]!r}.")
        check_choice("unknown", unknown, ("error", "unk"))
        self.unknown = unknown
        self.vocabulary = vocabulary + ([UNK] if unknown == "unk" else [])
        self._ids = {c: i for i, c in enumerate(self.vocabulary)}

    @classmethod
    def from_text(cls, text: str, unknown: str = "error") -> CharTokenizer:
        """Build the vocabulary from the sorted distinct characters of `text`."""
        return cls(sorted(set(check_str("text", text))), unknown=unknown)

    @property
    def vocabulary_size(self) -> int:
        """Number of ids, `[UNK]` included when `unknown="unk"`."""
        return len(self.vocabulary)

    def encode(self, text: str) -> np.ndarray:
        """Map each character of `text` to its id (int32 array of length `len(text)`)."""
        missing = sorted(set(check_str("text", text, allow_empty=True)) - self._ids.keys())
        if missing and self.unknown == "error":
            first = min(text.index(c) for c in missing)
            raise ValueError(
                f"`text` holds {len(missing)} character(s) not in the vocabulary: "
                f"{missing[:10]!r} (first at index {first}). Build the tokenizer on text that "
                "includes them, or pass unknown='unk' to map them to [UNK]."
            )
        unk = self._ids.get(UNK)
        return np.array([self._ids.get(c, unk) for c in text], dtype="int32")

    def decode(self, ids: Iterable[int]) -> str:
        """Map ids back to text; an `[UNK]` id decodes to the string "[UNK]"."""
        ids = _sequence_ids(ids, self.vocabulary_size)
        return "".join(self.vocabulary[i] for i in ids.tolist())

    def get_config(self) -> dict:
        """JSON-friendly constructor arguments; `CharTokenizer(**config)` rebuilds it."""
        vocabulary = self.vocabulary[:-1] if self.unknown == "unk" else self.vocabulary
        return {"vocabulary": vocabulary, "unknown": self.unknown}


class WordTokenizer:
    """Word-level vocabulary with padding id 0 and an out-of-vocabulary id 1.

    The vocabulary is `["", "[UNK]", most frequent word, ...]`, ties broken by first
    appearance — the same layout as Keras' `TextVectorization` and Keras 2's
    `Tokenizer(oov_token=...)`. Words are split on whitespace; clean the text first (see
    `clean_text`).

    Args:
        vocabulary: sequence of words, without the padding and OOV entries.

    Example:
    >>> tokenizer = WordTokenizer.from_texts(["the cat sat", "the dog"], max_tokens=5)
    >>> tokenizer.vocabulary
    ['', '[UNK]', 'the', 'cat', 'sat']
    >>> tokenizer.encode("the dog sat").tolist()
    [2, 1, 4]
    >>> tokenizer.encode_batch(["the cat sat", "the"], sequence_length=2).tolist()
    [[2, 3], [2, 0]]
    """

    def __init__(self, vocabulary: Sequence[str]):
        words = check_texts("vocabulary", vocabulary, allow_empty=True)
        bad = [w for w in words if not isinstance(w, str) or not w or w.split() != [w]]
        if bad:
            raise ValueError(
                f"`vocabulary` entries must be non-empty words without spaces; received "
                f"{bad[:5]!r}."
            )
        if UNK in words or len(set(words)) != len(words):
            raise ValueError("`vocabulary` must hold distinct words and not '[UNK]'.")
        self.vocabulary = [PAD, UNK] + words
        self._ids = {w: i for i, w in enumerate(self.vocabulary)}

    @classmethod
    def from_texts(
        cls, texts: Iterable[str], max_tokens: int | None = None, min_count: int = 1
    ) -> WordTokenizer:
        """Count whitespace-separated words and keep the most frequent.

        Args:
            texts: iterable of str.
            max_tokens: int or None. Vocabulary size including padding and OOV (so at most
                `max_tokens - 2` words are kept). None keeps every word. Defaults to `None`.
            min_count: int ≥ 1. Drop words seen fewer times. Defaults to `1`.
        """
        max_tokens = check_optional_int("max_tokens", max_tokens, 3)
        check_int("min_count", min_count)
        counts: collections.Counter = collections.Counter()
        for text in check_texts("texts", texts):
            counts.update(text.split())
        if not counts:
            raise ValueError("`texts` must hold at least one word; received none.")
        # Counter.most_common is stable, so ties keep first-appearance order.
        words = [w for w, n in counts.most_common() if n >= min_count]
        if max_tokens is not None:
            words = words[: max_tokens - 2]
        return cls(words)

    @property
    def vocabulary_size(self) -> int:
        return len(self.vocabulary)

    def encode(self, text: str) -> np.ndarray:
        """Ids of the whitespace-separated words of `text`; unknown words get id 1 (`[UNK]`)."""
        words = check_str("text", text, allow_empty=True).split()
        return np.array([self._ids.get(w, 1) for w in words], dtype="int32")

    def encode_batch(
        self,
        texts: Iterable[str],
        sequence_length: int,
        padding: str = "post",
        truncating: str = "post",
    ) -> np.ndarray:
        """Encode, then pad with 0 / truncate each text to `sequence_length` ids.

        Args:
            texts: iterable of str.
            sequence_length: int ≥ 1.
            padding: "post" (pad at the end) or "pre". Defaults to `"post"`.
            truncating: "post" (drop the end) or "pre" (drop the start). Defaults to `"post"`.

        Returns:
            int32 array of shape `(len(texts), sequence_length)`.
        """
        texts = check_texts("texts", texts, allow_empty=True)
        sequence_length = check_int("sequence_length", sequence_length)
        check_choice("padding", padding, ("post", "pre"))
        check_choice("truncating", truncating, ("post", "pre"))
        rows = []
        for text in texts:
            ids = self.encode(text)
            ids = ids[:sequence_length] if truncating == "post" else ids[-sequence_length:]
            pad = np.zeros(sequence_length - len(ids), dtype="int32")
            rows.append(np.concatenate([ids, pad] if padding == "post" else [pad, ids]))
        return np.stack(rows) if rows else np.zeros((0, sequence_length), dtype="int32")

    def decode(self, ids: Iterable[int], skip_padding: bool = True) -> str:
        """Join the words of `ids` with spaces, dropping padding ids unless told otherwise."""
        ids = _sequence_ids(ids, self.vocabulary_size)
        check_bool("skip_padding", skip_padding)
        return " ".join(self.vocabulary[i] for i in ids.tolist() if i or not skip_padding)

    def get_config(self) -> dict:
        return {"vocabulary": self.vocabulary[2:]}


# Byte-level BPE lives in its own module; re-exported so `lmkeras.text` holds every tokenizer.
from lmkeras.bpe import BPETokenizer  # noqa: E402

__all__ = ["BPETokenizer", "CharTokenizer", "WordTokenizer", "clean_text", "PAD", "UNK"]

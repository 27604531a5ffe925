"""Byte-level byte-pair encoding (BPE), trained from scratch, as in GPT-2.

Text is split into pre-tokens with GPT-2's regular expression, each pre-token becomes its
UTF-8 bytes (each byte shown as one printable character), and training repeatedly merges the
most frequent adjacent pair of symbols. Because the alphabet is all 256 bytes, every text
encodes and decodes back exactly: there is no unknown token.

The vocabulary and merges have KerasHub's format, so
`keras_hub.tokenizers.BytePairTokenizer(vocabulary=tok.vocabulary, merges=tok.merges)` gives
the same ids.

Reference: Sennrich et al., 2016, "Neural Machine Translation of Rare Words with Subword
Units"; Radford et al., 2019, GPT-2 (byte-level BPE).
"""

from __future__ import annotations

import collections
import functools
from collections.abc import Iterable

import numpy as np
import regex

from lmkeras._checks import check_int, check_str, check_texts, check_token_ids, check_type

# GPT-2's pre-tokenizer: contractions, letters, numbers, other symbols, each with an optional
# leading space, and runs of whitespace.
GPT2_PATTERN = regex.compile(
    r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
)


@functools.lru_cache(maxsize=1)
def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's map from each byte to a printable character (spaces and controls shifted)."""
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    codes = printable[:]
    shift = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            codes.append(256 + shift)
            shift += 1
    return {byte: chr(code) for byte, code in zip(printable, codes)}


def pretokenize(text: str) -> list[str]:
    """Split text into GPT-2 pre-tokens, each mapped to its byte characters."""
    table = bytes_to_unicode()
    check_str("text", text, allow_empty=True)
    return [
        "".join(table[b] for b in piece.encode("utf-8")) for piece in GPT2_PATTERN.findall(text)
    ]


class BPETokenizer:
    """Byte-level BPE tokenizer.

    Args:
        vocabulary: dict token → id. Must hold the 256 byte characters.
        merges: list of "left right" strings, in the order they were learned.

    Example:
    >>> tokenizer = BPETokenizer.train(["low lower lowest"] * 10, vocabulary_size=260)
    >>> tokenizer.merges[:2]
    ['l o', 'lo w']
    >>> ids = tokenizer.encode("lowest low!")
    >>> tokenizer.decode(ids)
    'lowest low!'
    """

    def __init__(self, vocabulary: dict[str, int], merges: list[str]):
        check_type("vocabulary", vocabulary, dict, "a dict token → id")
        merges = check_texts("merges", merges, allow_empty=True)
        missing = [c for c in bytes_to_unicode().values() if c not in vocabulary]
        if missing:
            raise ValueError(
                f"`vocabulary` must hold all 256 byte characters; {len(missing)} are missing, "
                f"e.g. {missing[:5]!r}."
            )
        if sorted(vocabulary.values()) != list(range(len(vocabulary))):
            raise ValueError("`vocabulary` ids must be 0, 1, ..., len(vocabulary) - 1.")
        for rank, merge in enumerate(merges):
            parts = merge.split(" ")
            if len(parts) != 2 or "".join(parts) not in vocabulary:
                raise ValueError(
                    f"`merges[{rank}]` must be 'left right' with 'leftright' in the "
                    f"vocabulary; received {merge!r}."
                )
        self.vocabulary = dict(vocabulary)
        self.merges = list(merges)
        self._ranks = {tuple(m.split(" ")): i for i, m in enumerate(self.merges)}
        self._tokens = {i: t for t, i in self.vocabulary.items()}
        self._bytes = {c: b for b, c in bytes_to_unicode().items()}
        self._cache: dict[str, list[str]] = {}

    @classmethod
    def train(cls, texts: Iterable[str], vocabulary_size: int) -> BPETokenizer:
        """Learn `vocabulary_size - 256` merges from `texts`.

        Ties between equally frequent pairs go to the pair that sorts first, so training is
        deterministic. Stops early when no pair occurs twice.

        Args:
            texts: iterable of str.
            vocabulary_size: int ≥ 256. Final vocabulary size (256 bytes + merges).
        """
        vocabulary_size = check_int("vocabulary_size", vocabulary_size, 256)
        word_counts: collections.Counter = collections.Counter()
        for text in check_texts("texts", texts):
            word_counts.update(pretokenize(text))
        if not word_counts:
            raise ValueError("`texts` must hold some text to train on; received none.")
        words = [list(w) for w in word_counts]
        freqs = list(word_counts.values())
        pair_counts: collections.Counter = collections.Counter()
        where = collections.defaultdict(set)  # pair -> indices of words containing it
        for index, symbols in enumerate(words):
            for pair in zip(symbols, symbols[1:]):
                pair_counts[pair] += freqs[index]
                where[pair].add(index)

        vocabulary = {c: i for i, c in enumerate(bytes_to_unicode().values())}
        merges = []
        while len(vocabulary) < vocabulary_size and pair_counts:
            best, count = min(pair_counts.items(), key=lambda kv: (-kv[1], kv[0]))
            if count < 2:
                break
            merged = best[0] + best[1]
            merges.append(f"{best[0]} {best[1]}")
            vocabulary.setdefault(merged, len(vocabulary))
            for index in list(where.pop(best, ())):
                symbols, freq = words[index], freqs[index]
                for pair in zip(symbols, symbols[1:]):
                    pair_counts[pair] -= freq
                    if pair_counts[pair] <= 0:
                        del pair_counts[pair]
                words[index] = symbols = _merge_pair(symbols, best, merged)
                for pair in zip(symbols, symbols[1:]):
                    pair_counts[pair] += freq
                    where[pair].add(index)
        return cls(vocabulary, merges)

    @property
    def vocabulary_size(self) -> int:
        return len(self.vocabulary)

    def _bpe(self, piece: str) -> list[str]:
        if piece in self._cache:
            return self._cache[piece]
        symbols = list(piece)
        while len(symbols) > 1:
            pairs = set(zip(symbols, symbols[1:]))
            best = min(pairs, key=lambda p: self._ranks.get(p, float("inf")))
            if best not in self._ranks:
                break
            symbols = _merge_pair(symbols, best, best[0] + best[1])
        self._cache[piece] = symbols
        return symbols

    def tokenize(self, text: str) -> list[str]:
        """Split `text` into BPE tokens (strings of byte characters)."""
        return [token for piece in pretokenize(text) for token in self._bpe(piece)]

    def encode(self, text: str) -> np.ndarray:
        """Token ids of `text` (int32)."""
        return np.array([self.vocabulary[t] for t in self.tokenize(text)], dtype="int32")

    def decode(self, ids: Iterable[int]) -> str:
        """Text of `ids`; the exact inverse of `encode`."""
        array = check_token_ids("ids", ids, self.vocabulary_size)
        if array.ndim > 1:
            raise ValueError(
                f"`ids` must have 1 axis (decode one sequence at a time); received shape "
                f"{array.shape}."
            )
        data = bytes(self._bytes[c] for i in array.reshape(-1).tolist() for c in self._tokens[i])
        try:
            return data.decode("utf-8", errors="strict")
        except UnicodeDecodeError as error:
            raise ValueError(
                f"`ids` decode to bytes that are not valid UTF-8 ({error.reason} at byte "
                f"{error.start}): a multi-byte character was cut between tokens. Decode whole "
                f"sequences, not single tokens of one character."
            ) from None

    def get_config(self) -> dict:
        """JSON-friendly constructor arguments; `BPETokenizer(**config)` rebuilds it."""
        return {"vocabulary": self.vocabulary, "merges": self.merges}


def _merge_pair(symbols: list[str], pair: tuple[str, str], merged: str) -> list[str]:
    out, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and symbols[i] == pair[0] and symbols[i + 1] == pair[1]:
            out.append(merged)
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out

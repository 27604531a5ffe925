"""Evaluation measures for language models and generated text, as plain functions.

- `perplexity(loss)`: exp of the mean cross-entropy in nats per token.
- `bits_per_token(loss)`: the same loss in bits.
- `distinct_n(sequences, n)`: share of distinct n-grams (diversity of generated text).
- `repeated_ngram_rate(sequences, n)`: share of n-grams that already occurred earlier in the
  same sequence (repetition, the failure mode of greedy decoding).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np


def _check_n(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"`n` must be an int ≥ 1; received n={n!r}.")
    return int(n)


def _check_loss(loss: object) -> float:
    value = float(loss)
    if not math.isfinite(value) or value < 0:
        raise ValueError(
            f"`loss` must be a finite cross-entropy ≥ 0 in nats; received loss={loss!r}."
        )
    return value


def perplexity(loss: float) -> float:
    """Perplexity from a mean cross-entropy in nats per token: `exp(loss)`.

    A model with perplexity P is as unsure as a uniform choice among P tokens.

    Example:
    >>> round(perplexity(math.log(65)), 6)  # uniform over 65 characters
    65.0
    """
    return math.exp(_check_loss(loss))


def bits_per_token(loss: float) -> float:
    """Cross-entropy in bits per token: `loss / ln 2` (bits per character for char LMs).

    Example:
    >>> bits_per_token(math.log(2))
    1.0
    """
    return _check_loss(loss) / math.log(2)


def _ngrams(sequence: Sequence, n: int) -> list[tuple]:
    items = list(sequence)
    return [tuple(items[i : i + n]) for i in range(len(items) - n + 1)]


def distinct_n(sequences: Iterable[Sequence], n: int) -> float:
    """Distinct n-grams divided by all n-grams, pooled over `sequences` (Li et al., 2016).

    Args:
        sequences: iterable of token sequences (lists of ids, or strings for characters).
        n: int ≥ 1.

    Returns:
        float in [0, 1]; 0.0 when there is no n-gram at all.

    Example:
    >>> distinct_n(["abab"], 2)  # ab, ba, ab: 2 distinct of 3
    0.6666666666666666
    """
    n = _check_n(n)
    grams = [g for s in sequences for g in _ngrams(s, n)]
    return len(set(grams)) / len(grams) if grams else 0.0


def repeated_ngram_rate(sequences: Iterable[Sequence], n: int) -> float:
    """Share of n-grams that repeat an n-gram seen earlier in the same sequence.

    Args:
        sequences: iterable of token sequences.
        n: int ≥ 1.

    Returns:
        float in [0, 1]; 0.0 when there is no n-gram at all.

    Example:
    >>> repeated_ngram_rate(["abcabc"], 3)  # abc bca cab abc: the last repeats
    0.25
    """
    n = _check_n(n)
    repeated = total = 0
    for sequence in sequences:
        seen = set()
        for gram in _ngrams(sequence, n):
            repeated += gram in seen
            seen.add(gram)
            total += 1
    return repeated / total if total else 0.0


__all__ = ["bits_per_token", "distinct_n", "perplexity", "repeated_ngram_rate"]

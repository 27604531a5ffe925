"""Evaluation measures for language models and generated text, as plain functions.

- `perplexity(loss)`: exp of the mean cross-entropy in nats per token.
- `bits_per_token(loss)`: the same loss in bits.
- `unigram_cross_entropy(train_ids, eval_ids, vocabulary_size)`: what counting token
  frequencies scores, the floor a language model must beat to have learned anything else.
- `distinct_n(sequences, n)`: share of distinct n-grams (diversity of generated text).
- `repeated_ngram_rate(sequences, n)`: share of n-grams that already occurred earlier in the
  same sequence (repetition, the failure mode of greedy decoding).
- `corpus_bleu(hypotheses, references)`: BLEU from n-gram counts, with the 13a tokenizer and
  the smoothing methods of sacrebleu (Post, 2018), which it reproduces to 1e-6.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from lmkeras._checks import (
    check_bool,
    check_choice,
    check_int,
    check_positive,
    check_str,
    check_texts,
    describe,
)


def _check_loss(loss: object) -> float:
    expected = "a finite cross-entropy ≥ 0 in nats"
    if isinstance(loss, (bool, str, bytes)) or not hasattr(loss, "__float__"):
        raise TypeError(f"`loss` must be {expected}; received loss={describe(loss)}.")
    value = float(loss)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"`loss` must be {expected}; received loss={describe(loss)}.")
    return value


def _check_sequences(sequences: object, n: int) -> list:
    """Token sequences (lists, arrays or strings of characters) that hold at least one n-gram."""
    if isinstance(sequences, (str, bytes)):
        raise TypeError(
            f"`sequences` must be a list of token sequences, not one {type(sequences).__name__}; "
            f"received sequences={describe(sequences)}. Wrap it: [{describe(sequences)}] for "
            f"its characters, or [text.split()] for its words."
        )
    if not isinstance(sequences, Iterable):
        raise TypeError(
            f"`sequences` must be a list of token sequences; received "
            f"sequences={describe(sequences)}."
        )
    sequences = list(sequences)
    for i, sequence in enumerate(sequences):
        if not isinstance(sequence, (Sequence, np.ndarray)):
            raise TypeError(
                f"`sequences` must hold sequences of tokens; received {describe(sequence)} at "
                f"index {i}."
            )
    if all(len(sequence) < n for sequence in sequences):
        raise ValueError(
            f"`sequences` hold no {n}-gram: every sequence is shorter than n={n} (or there is "
            f"none); received {len(sequences)} sequence(s)."
        )
    return sequences


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


def unigram_cross_entropy(train_ids: Sequence, eval_ids: Sequence, vocabulary_size: int) -> float:
    """Cross-entropy (nats per token) on `eval_ids` of token frequencies counted in `train_ids`.

    Add-one smoothing gives unseen tokens a count of one. On tiny Shakespeare's characters it
    is about 3.3 nats: a model scoring above it has learned less than letter frequencies.

    Args:
        train_ids, eval_ids: 1-D sequences of int ids in `[0, vocabulary_size)`.
        vocabulary_size: int ≥ 1.

    Returns:
        float, nats per token.

    Example:
    >>> round(unigram_cross_entropy([0, 0, 0, 1], [0, 1], 2), 3)
    0.752
    """
    vocabulary_size = check_int("vocabulary_size", vocabulary_size)
    counts = np.ones(vocabulary_size)
    arrays = {}
    for name, ids in (("train_ids", train_ids), ("eval_ids", eval_ids)):
        array = np.asarray(ids)
        if (
            array.ndim != 1
            or not array.size
            or not np.issubdtype(array.dtype, np.integer)
            or (array.min() < 0 or array.max() >= vocabulary_size)
        ):
            raise ValueError(
                f"`{name}` must be a non-empty 1-D sequence of int ids in [0, "
                f"vocabulary_size={vocabulary_size}); received {describe(ids)}."
            )
        arrays[name] = array
    counts += np.bincount(arrays["train_ids"], minlength=vocabulary_size)
    log_p = np.log(counts / counts.sum())
    return float(-log_p[arrays["eval_ids"]].mean())


def _ngrams(sequence: Sequence, n: int) -> list[tuple]:
    items = list(sequence)
    return [tuple(items[i : i + n]) for i in range(len(items) - n + 1)]


def distinct_n(sequences: Iterable[Sequence], n: int) -> float:
    """Distinct n-grams divided by all n-grams, pooled over `sequences` (Li et al., 2016).

    Args:
        sequences: iterable of token sequences (lists of ids, or strings for characters).
        n: int ≥ 1.

    Returns:
        float in (0, 1].

    Raises:
        ValueError: when no sequence holds an n-gram (the share would be 0 / 0).

    Example:
    >>> distinct_n(["abab"], 2)  # ab, ba, ab: 2 distinct of 3
    0.6666666666666666
    """
    n = check_int("n", n)
    grams = [g for s in _check_sequences(sequences, n) for g in _ngrams(s, n)]
    return len(set(grams)) / len(grams)


def repeated_ngram_rate(sequences: Iterable[Sequence], n: int) -> float:
    """Share of n-grams that repeat an n-gram seen earlier in the same sequence.

    Args:
        sequences: iterable of token sequences.
        n: int ≥ 1.

    Returns:
        float in [0, 1].

    Raises:
        ValueError: when no sequence holds an n-gram.

    Example:
    >>> repeated_ngram_rate(["abcabc"], 3)  # abc bca cab abc: the last repeats
    0.25
    """
    n = check_int("n", n)
    repeated = total = 0
    for sequence in _check_sequences(sequences, n):
        seen = set()
        for gram in _ngrams(sequence, n):
            repeated += gram in seen
            seen.add(gram)
            total += 1
    return repeated / total


# ----------------------------------------------------------------------------- BLEU
# mteval-v13a's tokenization, as in sacrebleu: split off punctuation and symbols, but keep
# periods and commas inside numbers ("3.5", "1,000") and split a dash only after a digit.
_13A_RULES = [
    (re.compile(r"([\{-\~\[-\` -\&\(-\+\:-\@\/])"), r" \1 "),
    (re.compile(r"([^0-9])([\.,])"), r"\1 \2 "),
    (re.compile(r"([\.,])([^0-9])"), r" \1 \2"),
    (re.compile(r"([0-9])(-)"), r"\1 \2 "),
]
_SMOOTHING = {"none": None, "floor": 0.1, "add-k": 1, "exp": None}


def tokenize_13a(text: str) -> list[str]:
    """The tokens of mteval-v13a (WMT's standard, sacrebleu's default) for one segment.

    Example:
    >>> tokenize_13a("Tom's 3.5 km-long walk, isn't it?")
    ["Tom's", '3.5', 'km-long', 'walk', ',', "isn't", 'it', '?']
    """
    text = (
        check_str("text", text, allow_empty=True)
        .replace("<skipped>", "")
        .replace("-\n", "")
        .replace("\n", " ")
    )
    if "&" in text:
        for escaped, char in (("&quot;", '"'), ("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">")):
            text = text.replace(escaped, char)
    text = f" {text} "
    for pattern, replacement in _13A_RULES:
        text = pattern.sub(replacement, text)
    return text.split()


@dataclass(frozen=True)
class BleuScore:
    """A corpus BLEU score and the counts it comes from.

    Attributes:
        score: BLEU in [0, 100].
        precisions: modified n-gram precisions in percent, smoothed, for n = 1 … max_order.
        brevity_penalty: exp(1 - r/c) when the hypotheses are shorter than the references.
        hypothesis_length: c, the total number of hypothesis tokens.
        reference_length: r, the sum over segments of the reference length closest to the
            hypothesis' length.
        matches: clipped n-gram matches per order.
        totals: hypothesis n-grams per order.
    """

    score: float
    precisions: tuple[float, ...]
    brevity_penalty: float
    hypothesis_length: int
    reference_length: int
    matches: tuple[int, ...]
    totals: tuple[int, ...]

    def __str__(self) -> str:
        precisions = "/".join(f"{p:.1f}" for p in self.precisions)
        return (
            f"BLEU = {self.score:.2f} {precisions} (BP = {self.brevity_penalty:.3f} "
            f"ratio = {self.hypothesis_length / max(self.reference_length, 1):.3f})"
        )


def _tokens(text: str, tokenize: str, lowercase: bool) -> list[str]:
    text = text.lower() if lowercase else text
    return tokenize_13a(text) if tokenize == "13a" else text.split()


def _closest_length(hypothesis_length: int, lengths: list[int]) -> int:
    # The reference length nearest the hypothesis' length; the shorter one on a tie.
    return min(lengths, key=lambda length: (abs(length - hypothesis_length), length))


def corpus_bleu(
    hypotheses: Sequence[str],
    references: Sequence[Sequence[str]],
    max_order: int = 4,
    smooth_method: str = "exp",
    smooth_value: float | None = None,
    tokenize: str = "13a",
    lowercase: bool = False,
) -> BleuScore:
    """Corpus BLEU (Papineni et al., 2002) from clipped n-gram counts.

    For each order n, every hypothesis n-gram counts as matched at most as many times as it
    occurs in the one reference where it occurs most (clipping); matches and totals are summed
    over the corpus before dividing. BLEU = BP · exp(mean of log precisions), where the brevity
    penalty BP = exp(1 − r/c) punishes a corpus of hypotheses shorter than its references.
    Smoothing (Chen & Cherry, 2014) keeps a zero precision from zeroing the score:
    `"exp"` (mteval's; the default, as in sacrebleu) gives the k-th zero precision 1/(2^k · total),
    `"floor"` gives it `smooth_value`/total (default 0.1), `"add-k"` adds `smooth_value`
    (default 1) to matches and totals for n ≥ 2, `"none"` leaves it 0.

    Args:
        hypotheses: one detokenized string per segment.
        references: one list of reference strings per segment (at least one each; segments
            may have different numbers of references).
        max_order: int ≥ 1. Longest n-gram. Defaults to `4`.
        smooth_method: `"exp"`, `"floor"`, `"add-k"` or `"none"`. Defaults to `"exp"`.
        smooth_value: float or None for the method's default.
        tokenize: `"13a"` (sacrebleu's default) or `"none"` (split on whitespace).
        lowercase: bool. Lower-case hypotheses and references first. Defaults to `False`.

    Returns:
        `BleuScore`.

    Example:
    >>> corpus_bleu(["the cat sat on the mat"], [["the cat sat on the mat"]]).score
    100.00000000000004
    >>> round(corpus_bleu(["the cat sat on a mat"], [["the cat sat on the mat"]]).score, 2)
    53.73
    """
    max_order = check_int("max_order", max_order)
    check_choice("smooth_method", smooth_method, tuple(_SMOOTHING))
    if smooth_value is not None:
        if smooth_method not in ("floor", "add-k"):
            raise ValueError(
                f"`smooth_value` is used only with smooth_method='floor' or 'add-k'; received "
                f"smooth_value={describe(smooth_value)} with smooth_method={smooth_method!r}."
            )
        check_positive("smooth_value", smooth_value)
    check_choice("tokenize", tokenize, ("13a", "none"))
    check_bool("lowercase", lowercase)
    hypotheses = check_texts("hypotheses", hypotheses)
    if isinstance(references, (str, bytes)) or not isinstance(references, Iterable):
        raise TypeError(
            f"`references` must hold one list of reference texts per hypothesis; received "
            f"references={describe(references)}."
        )
    references = [check_texts(f"references[{i}]", refs) for i, refs in enumerate(references)]
    if len(hypotheses) != len(references):
        raise ValueError(
            f"`references` must hold one list per hypothesis; received {len(hypotheses)} "
            f"hypotheses and {len(references)} reference lists."
        )
    value = _SMOOTHING[smooth_method] if smooth_value is None else smooth_value
    matches = [0] * max_order
    totals = [0] * max_order
    hypothesis_length = reference_length = 0
    for hypothesis, refs in zip(hypotheses, references):
        hyp = _tokens(hypothesis, tokenize, lowercase)
        ref_tokens = [_tokens(ref, tokenize, lowercase) for ref in refs]
        hypothesis_length += len(hyp)
        reference_length += _closest_length(len(hyp), [len(r) for r in ref_tokens])
        for n in range(1, max_order + 1):
            counts = Counter(_ngrams(hyp, n))
            most: Counter = Counter()
            for ref in ref_tokens:
                most |= Counter(_ngrams(ref, n))  # | keeps the larger count of each n-gram
            matches[n - 1] += sum(min(c, most[g]) for g, c in counts.items())
            totals[n - 1] += max(len(hyp) - n + 1, 0)
    brevity = 1.0
    if hypothesis_length < reference_length:
        brevity = math.exp(1 - reference_length / hypothesis_length) if hypothesis_length else 0.0
    precisions = [0.0] * max_order
    result = dict(
        brevity_penalty=brevity,
        hypothesis_length=hypothesis_length,
        reference_length=reference_length,
        matches=tuple(matches),
        totals=tuple(totals),
    )
    if not any(matches):
        return BleuScore(score=0.0, precisions=tuple(precisions), **result)
    halvings = 1.0
    for n in range(max_order):
        matched, total = matches[n], totals[n]
        if smooth_method == "add-k" and n > 0:
            matched, total = matched + value, total + value
        if total == 0:
            break  # no hypothesis is this long: this and higher precisions stay 0
        if matched == 0 and smooth_method == "exp":
            halvings *= 2
            precisions[n] = 100.0 / (halvings * total)
        elif matched == 0 and smooth_method == "floor":
            precisions[n] = 100.0 * value / total
        else:
            precisions[n] = 100.0 * matched / total
    log_mean = sum(math.log(p) if p > 0 else -9999999999.0 for p in precisions) / max_order
    return BleuScore(score=brevity * math.exp(log_mean), precisions=tuple(precisions), **result)


__all__ = [
    "BleuScore",
    "bits_per_token",
    "corpus_bleu",
    "distinct_n",
    "perplexity",
    "repeated_ngram_rate",
    "tokenize_13a",
    "translation_bleu",
]


def translation_bleu(hypotheses: Sequence[str], references: Sequence[Sequence[str]]) -> BleuScore:
    """The course's BLEU: sacrebleu's defaults (13a tokens, exp smoothing), lower-cased.

    The models write lower-case text, so BLEU is case-insensitive; 13a re-tokenizes both sides
    the same way, so "it's here ." and "It's here." compare equal.
    """
    return corpus_bleu(hypotheses, references, tokenize="13a", lowercase=True)

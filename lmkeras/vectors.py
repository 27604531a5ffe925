"""Looking at word vectors: neighbours, analogies, group tests, 2-D projections, export.

Drawing is in `lmkeras.plots` (`plot_projection(pca_2d(vectors), words)`).

Every function takes a `(vocabulary_size, dim)` array of vectors and the vocabulary that names its
rows (`vocabulary[i]` is the word of row i). Similarity is the cosine. A word that is not in
the vocabulary raises `UnknownWordError` naming it: nothing is replaced by `[UNK]` silently.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lmkeras._checks import check_int, check_numbers, check_path, check_str, check_texts, describe


class UnknownWordError(KeyError, ValueError):
    """A word asked for is not in the vocabulary (a `KeyError` with a readable message; also a
    `ValueError`, the package's rule for a value of the right type that cannot be used)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown word"


def _check(vectors: object, vocabulary: Sequence[str]) -> np.ndarray:
    array = check_numbers("vectors", vectors, ndim=2)
    vocabulary = check_texts("vocabulary", vocabulary, allow_empty=True)
    if len(vocabulary) != len(array):
        raise ValueError(
            f"`vocabulary` must name every row of `vectors`: {len(array)} rows, but received "
            f"{len(vocabulary)} words."
        )
    return array


def _index(vocabulary: Sequence[str], words: Sequence[str]) -> list[int]:
    lookup = {w: i for i, w in enumerate(vocabulary)}
    missing = [w for w in words if w not in lookup]
    if missing:
        raise UnknownWordError(
            f"{', '.join(repr(w) for w in missing)} not in the vocabulary of {len(lookup)} "
            "words; pick words the vectors were trained on (no [UNK] substitution is made)."
        )
    return [lookup[w] for w in words]


def _unit(array: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(array, axis=-1, keepdims=True)
    return array / np.maximum(norms, 1e-12)


def _check_k(k: object, available: int) -> None:
    check_int("k", k, 1, available)


def nearest_neighbors(
    vectors: np.ndarray, vocabulary: Sequence[str], word: str, k: int = 10
) -> list[tuple[str, float]]:
    """The `k` words whose vectors have the highest cosine similarity with `word`'s.

    Args:
        vectors: array `(vocabulary_size, dim)`.
        vocabulary: sequence of `vocabulary_size` words naming the rows.
        word: str. The query; it is left out of the answer.
        k: int ≥ 1. Number of neighbours. Defaults to `10`.

    Returns:
        list of `(word, cosine)` pairs, most similar first.

    Raises:
        UnknownWordError: `word` is not in `vocabulary`.

    Example:
    >>> vectors = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]])
    >>> nearest_neighbors(vectors, ["cat", "dog", "car"], "cat", k=2)
    [('dog', 0.994), ('car', 0.0)]
    """
    array = _check(vectors, vocabulary)
    (row,) = _index(vocabulary, [check_str("word", word)])
    _check_k(k, len(array) - 1)
    unit = _unit(array)
    scores = unit @ unit[row]
    scores[row] = -np.inf
    order = np.argsort(-scores, kind="stable")[:k]
    return [(vocabulary[i], round(float(scores[i]), 3)) for i in order]


@dataclass(frozen=True)
class Analogy:
    """The answer to "a − b + c ≈ ?".

    Attributes:
        query: str, e.g. "king - man + woman".
        candidates: list of `(word, cosine)`, best first (a, b and c are left out).
        expected: str or None. The word you hoped for.
        rank: int or None. 1-based rank of `expected` among all candidate words (1 = found).
    """

    query: str
    candidates: list[tuple[str, float]]
    expected: str | None = None
    rank: int | None = None


def analogy(
    vectors: np.ndarray,
    vocabulary: Sequence[str],
    a: str,
    b: str,
    c: str,
    k: int = 5,
    expected: str | None = None,
) -> Analogy:
    """Solve `a − b + c` with the 3CosAdd rule: nearest word to the sum of unit vectors.

    Read "king − man + woman ≈ queen" as `analogy(vectors, vocabulary, "king", "man",
    "woman", expected="queen")`. The three query words are never answers.

    Args:
        vectors, vocabulary: as in `nearest_neighbors`.
        a, b, c: str. The query words.
        k: int ≥ 1. Candidates returned. Defaults to `5`.
        expected: str or None. If given, its rank among all candidates is reported.

    Returns:
        Analogy.

    Raises:
        UnknownWordError: a query word or `expected` is not in `vocabulary`.

    Example:
    >>> vectors = np.array([[1.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0], [-1.0, 1.0]])
    >>> result = analogy(vectors, ["king", "man", "woman", "x", "queen"],
    ...                  "king", "man", "woman", k=1, expected="queen")
    >>> result.candidates, result.rank
    ([('queen', 0.816)], 1)
    """
    array = _check(vectors, vocabulary)
    for name, word in (("a", a), ("b", b), ("c", c)):
        check_str(name, word)
    if expected is not None:
        check_str("expected", expected)
    words = [a, b, c] + ([] if expected is None else [expected])
    rows = _index(vocabulary, words)
    if expected is not None and rows[3] in rows[:3]:
        raise ValueError(
            f"`expected` must differ from the query words; received expected={expected!r}."
        )
    _check_k(k, len(array) - 3)
    unit = _unit(array)
    query = _unit(unit[rows[0]] - unit[rows[1]] + unit[rows[2]])
    scores = unit @ query
    scores[rows[:3]] = -np.inf
    order = np.argsort(-scores, kind="stable")
    candidates = [(vocabulary[i], round(float(scores[i]), 3)) for i in order[:k]]
    rank = None
    if expected is not None:
        rank = int(np.flatnonzero(order == rows[3])[0]) + 1
    return Analogy(f"{a} - {b} + {c}", candidates, expected, rank)


@dataclass(frozen=True)
class GroupScore:
    """How well vectors separate groups of words you wrote down (e.g. colours, numbers).

    Attributes:
        accuracy: fraction of listed words whose nearest listed word is in its own group.
        chance: the expected accuracy of a random nearest word, `mean((|g| - 1) / (n - 1))`.
        within: mean cosine between two words of the same group.
        across: mean cosine between two words of different groups.
        misses: `(word, nearest listed word)` for each word whose neighbour is in another group.
    """

    accuracy: float
    chance: float
    within: float
    across: float
    misses: list[tuple[str, str]]


def group_score(
    vectors: np.ndarray, vocabulary: Sequence[str], groups: Mapping[str, Sequence[str]]
) -> GroupScore:
    """Score vectors on groups of related words: nearest-neighbour accuracy and mean cosines.

    Only the listed words compete as neighbours, so chance is known exactly.

    Args:
        vectors, vocabulary: as in `nearest_neighbors`.
        groups: mapping from a group name to ≥ 2 words; at least 2 groups; each word once.

    Returns:
        GroupScore.

    Example:
    >>> vectors = np.array([[1.0, 0.1], [1.0, 0.0], [0.0, 1.0], [0.1, 1.0]])
    >>> score = group_score(vectors, ["a", "b", "c", "d"], {"x": ["a", "b"], "y": ["c", "d"]})
    >>> score.accuracy, round(score.chance, 3)
    (1.0, 0.333)
    """
    array = _check(vectors, vocabulary)
    if not isinstance(groups, Mapping):
        raise TypeError(
            f"`groups` must map group names to lists of words; received groups={describe(groups)}."
        )
    if len(groups) < 2:
        raise ValueError(f"`groups` must hold at least 2 groups; received {len(groups)}.")
    words, labels = [], []
    for name, members in groups.items():
        members = check_texts(f"groups[{name!r}]", members, allow_empty=True)
        if len(members) < 2:
            raise ValueError(f"group {name!r} must list at least 2 words; received {members!r}.")
        words += members
        labels += [name] * len(members)
    repeated = sorted({w for w in words if words.count(w) > 1})
    if repeated:
        raise ValueError(
            f"each word may appear in only one group of `groups`; received {repeated[:5]} in "
            f"more than one."
        )
    unit = _unit(array[_index(vocabulary, words)])
    similarity = unit @ unit.T
    same = np.equal.outer(labels, labels)
    off_diagonal = ~np.eye(len(words), dtype=bool)
    np.fill_diagonal(similarity, -np.inf)
    nearest = similarity.argmax(axis=1)
    hits = same[np.arange(len(words)), nearest]
    sizes = np.array([len(groups[label]) for label in labels])
    return GroupScore(
        accuracy=float(hits.mean()),
        chance=float(np.mean((sizes - 1) / (len(words) - 1))),
        within=float(similarity[same & off_diagonal].mean()),
        across=float(similarity[~same].mean()),
        misses=[(words[i], words[nearest[i]]) for i in np.flatnonzero(~hits)],
    )


def pca_2d(vectors: np.ndarray) -> np.ndarray:
    """Project vectors on their first two principal components (centred SVD).

    Each axis' sign is fixed so that its largest coordinate is positive, so the picture does
    not flip between runs of the same vectors.

    Returns:
        array `(n, 2)`.

    Example:
    >>> pca_2d(np.array([[0.0, 0, 0], [3, 0, 0], [1, 1, 0]])).round(2).tolist()
    [[-1.3, -0.44], [1.69, -0.19], [-0.39, 0.64]]
    """
    array = check_numbers("vectors", vectors)
    if array.ndim != 2 or len(array) < 2 or array.shape[1] < 2:
        raise ValueError(
            f"`vectors` must be 2-D with at least 2 rows and 2 columns; received {array.shape}."
        )
    centred = array - array.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    points = centred @ components[:2].T  # (n, 2)
    peak = points[np.abs(points).argmax(axis=0), [0, 1]]
    return points * np.where(peak < 0, -1.0, 1.0)


def export_projector(
    vectors: np.ndarray, vocabulary: Sequence[str], folder: str | os.PathLike
) -> tuple[Path, Path]:
    """Write `vectors.tsv` and `metadata.tsv` for the TensorBoard Embedding Projector.

    Load them at https://projector.tensorflow.org ("Load", then the two files). The metadata
    has one word per line and no header (the projector's format for a single column).

    Args:
        vectors, vocabulary: as in `nearest_neighbors`; words must be non-empty and hold no
            tab or newline (leave out padding "" first).
        folder: where to write; created if missing.

    Returns:
        (vectors_path, metadata_path).
    """
    array = _check(vectors, vocabulary)
    bad = [w for w in vocabulary if not isinstance(w, str) or not w or "\t" in w or "\n" in w]
    if bad:
        raise ValueError(
            f"`vocabulary` words must be non-empty strings without tabs or newlines; received "
            f"{bad[:5]!r}."
        )
    folder = check_path("folder", folder)
    folder.mkdir(parents=True, exist_ok=True)
    vectors_path, metadata_path = folder / "vectors.tsv", folder / "metadata.tsv"
    np.savetxt(vectors_path, array, delimiter="\t", fmt="%.5f")
    metadata_path.write_text("".join(f"{w}\n" for w in vocabulary), encoding="utf-8")
    return vectors_path, metadata_path

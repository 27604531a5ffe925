"""A count-based n-gram language model: the baseline a neural LM has to beat.

`NGramLM(order=3)` counts which token follows each (order − 1)-token history in the training
ids and predicts from those counts. Unseen histories and tokens need *smoothing*:

- `"add_k"`: `p(w | h) = (c(h, w) + k) / (c(h) + k V)`, Laplace's rule for `k = 1`.
- `"interpolated"` (default): `p(w | h) = (c(h, w) + k p'(w | h')) / (c(h) + k)`, where `h'` is
  `h` without its oldest token and `p'` the model one order lower (down to add-one unigrams).
  Rare histories lean on the shorter one; frequent ones trust their own counts. This is
  additive smoothing toward the lower order (a Dirichlet prior, as in MacKay & Peto, 1995).

Counts are kept as sorted int64 keys (history × V + token), so a word vocabulary of 10,000
needs memory for the n-grams that occur, not for V^n cells.
"""

from __future__ import annotations

import math

import numpy as np

from lmkeras._checks import check_choice, check_int, check_positive, check_token_ids

SMOOTHINGS = ("add_k", "interpolated")


def _as_ids(ids: object, vocabulary_size: int, name: str = "ids") -> np.ndarray:
    return check_token_ids(name, ids, vocabulary_size, ndim=1).astype("int64")


class NGramLM:
    """Count-based n-gram LM over int ids (characters or words).

    Args:
        order: int ≥ 1. 1 = unigram, 2 = bigram, 3 = trigram. Defaults to `3`.
        vocabulary_size: int ≥ 2.
        smoothing: `"interpolated"` or `"add_k"` (see the module docstring).
            Defaults to `"interpolated"`.
        k: float > 0. Smoothing strength. Defaults to `1.0`.

    Example:
    >>> lm = NGramLM(order=2, vocabulary_size=3, smoothing="add_k").fit([0, 1, 0, 1, 0, 2])
    >>> round(lm.prob([0], 1), 3)  # c(0 1) = 2, c(0 ·) = 3: (2 + 1) / (3 + 3)
    0.5
    """

    def __init__(
        self,
        order: int = 3,
        vocabulary_size: int | None = None,
        smoothing: str = "interpolated",
        k: float = 1.0,
    ):
        check_int("order", order)
        check_int("vocabulary_size", vocabulary_size, 2)
        check_choice("smoothing", smoothing, SMOOTHINGS)
        check_positive("k", k)
        if vocabulary_size**order >= 2**62:
            raise ValueError(
                f"vocabulary_size ** order must fit in int64 keys; received "
                f"vocabulary_size={vocabulary_size}, order={order}."
            )
        self.order = int(order)
        self.vocabulary_size = int(vocabulary_size)
        self.smoothing = smoothing
        self.k = float(k)
        self._tables: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    def _keys(self, ids: np.ndarray, j: int) -> tuple[np.ndarray, np.ndarray]:
        """History keys and (history, token) keys of every j-gram in `ids`."""
        n = len(ids) - j + 1
        history = np.zeros(max(n, 0), "int64")
        for offset in range(j - 1):
            history = history * self.vocabulary_size + ids[offset : offset + n]
        return history, history * self.vocabulary_size + ids[j - 1 :]

    def fit(self, ids: object) -> NGramLM:
        """Count the 1..order-grams of `ids` (1-D ints). Returns `self`."""
        ids = _as_ids(ids, self.vocabulary_size)
        if len(ids) < self.order:
            raise ValueError(f"`ids` must hold at least order={self.order} ids; got {len(ids)}.")
        self._tables = []
        for j in range(1, self.order + 1):
            history, full = self._keys(ids, j)
            h_keys, h_counts = np.unique(history, return_counts=True)
            f_keys, f_counts = np.unique(full, return_counts=True)
            self._tables.append((h_keys, h_counts, f_keys, f_counts))
        return self

    @staticmethod
    def _lookup(keys: np.ndarray, counts: np.ndarray, query: np.ndarray) -> np.ndarray:
        at = np.clip(np.searchsorted(keys, query), 0, len(keys) - 1)
        return np.where(keys[at] == query, counts[at], 0).astype("float64")

    def log_probs(self, ids: object) -> np.ndarray:
        """Natural-log probability of each of `ids[1:]` given the ids before it.

        Token `i` is predicted from the `order − 1` ids before it, or from all of them near the
        start (a lower order).

        Returns:
            float64 array of length `len(ids) − 1`.
        """
        if not self._tables:
            raise ValueError("Call fit(ids) before scoring: this NGramLM holds no counts.")
        ids = _as_ids(ids, self.vocabulary_size)
        if len(ids) < 2:
            raise ValueError(f"`ids` must hold at least 2 ids to score; got {len(ids)}.")
        V, k = self.vocabulary_size, self.k
        targets = ids[1:]
        total = self._tables[0][1].sum()
        uni = self._lookup(self._tables[0][2], self._tables[0][3], targets)
        prob = (uni + (k if self.smoothing == "add_k" else 1.0)) / (
            total + (k if self.smoothing == "add_k" else 1.0) * V
        )
        for j in range(2, self.order + 1):
            history, full = self._keys(ids, j)  # j-grams ending at positions j-1 .. len-1
            h_count = self._lookup(self._tables[j - 1][0], self._tables[j - 1][1], history)
            f_count = self._lookup(self._tables[j - 1][2], self._tables[j - 1][3], full)
            lower = prob[j - 2 :]  # the (j-1)-order probability of the same targets
            if self.smoothing == "add_k":
                higher = (f_count + k) / (h_count + k * V)
            else:
                higher = (f_count + k * lower) / (h_count + k)
            prob = np.concatenate([prob[: j - 2], higher])
        return np.log(prob)

    def prob(self, history: object, token: int) -> float:
        """p(token | history) for one non-empty history (its last `order − 1` ids are used)."""
        ids = _as_ids(np.asarray(history).reshape(-1), self.vocabulary_size, "history").tolist()
        if not ids:
            raise ValueError("`history` must hold at least one id; received none.")
        check_int("token", token, 0, self.vocabulary_size - 1)
        return float(np.exp(self.log_probs([*ids[-max(self.order - 1, 1) :], token])[-1]))

    def cross_entropy(self, ids: object) -> float:
        """Mean negative log-likelihood of `ids[1:]`, in nats per token."""
        return float(-self.log_probs(ids).mean())

    def perplexity(self, ids: object) -> float:
        """`exp(cross_entropy(ids))`."""
        return math.exp(self.cross_entropy(ids))


__all__ = ["NGramLM", "SMOOTHINGS"]

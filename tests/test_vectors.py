"""Tests of the word-vector tools (lmkeras.embeddings)."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

from lmkeras import plots
from lmkeras import vectors as wordvec

matplotlib.use("Agg")

VOCABULARY = ["king", "queen", "man", "woman", "apple", "pear"]


def _vectors() -> np.ndarray:
    rng = np.random.default_rng(0)
    royal, male, fruit = rng.normal(size=(3, 16))
    female = -male
    noise = 0.05 * rng.normal(size=(6, 16))
    return (
        np.stack([royal + male, royal + female, male, female, fruit, fruit + 0.3 * royal]) + noise
    )


def test_nearest_neighbors_matches_cosine_by_hand():
    vectors = _vectors()
    got = wordvec.nearest_neighbors(vectors, VOCABULARY, "apple", k=3)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    cosine = unit @ unit[4]
    order = [i for i in np.argsort(-cosine) if i != 4][:3]
    assert [w for w, _ in got] == [VOCABULARY[i] for i in order]
    np.testing.assert_allclose([s for _, s in got], cosine[order], atol=5e-4)
    assert got[0][0] == "pear"


def test_unknown_word_is_named_and_not_replaced():
    with pytest.raises(wordvec.UnknownWordError, match="'banana' not in the vocabulary"):
        wordvec.nearest_neighbors(_vectors(), VOCABULARY, "banana")
    with pytest.raises(KeyError, match="'prince'"):
        wordvec.analogy(_vectors(), VOCABULARY, "king", "man", "prince")
    with pytest.raises(KeyError, match="'princess'"):
        wordvec.analogy(_vectors(), VOCABULARY, "king", "man", "woman", expected="princess")
    with pytest.raises(KeyError, match="'grape'"):
        wordvec.group_score(_vectors(), VOCABULARY, {"x": ["apple", "grape"], "y": VOCABULARY[:2]})


def test_analogy_finds_the_planted_answer_and_excludes_the_query_words():
    result = wordvec.analogy(_vectors(), VOCABULARY, "king", "man", "woman", k=3, expected="queen")
    assert result.rank == 1 and result.candidates[0][0] == "queen"
    assert not {"king", "man", "woman"} & {w for w, _ in result.candidates}
    assert result.query == "king - man + woman"
    worse = wordvec.analogy(_vectors(), VOCABULARY, "king", "man", "woman", k=3, expected="apple")
    assert worse.rank > 1
    with pytest.raises(ValueError, match="must differ"):
        wordvec.analogy(_vectors(), VOCABULARY, "king", "man", "woman", k=3, expected="man")


def test_group_score_against_hand_computed_chance():
    groups = {"people": ["king", "queen", "man", "woman"], "fruit": ["apple", "pear"]}
    score = wordvec.group_score(_vectors(), VOCABULARY, groups)
    assert score.chance == pytest.approx((4 * 3 / 5 + 2 * 1 / 5) / 6)
    assert score.accuracy == 1.0 and score.misses == []
    assert score.within > score.across


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda v: wordvec.nearest_neighbors(v, VOCABULARY, "king", k=0), "k=0"),
        (lambda v: wordvec.nearest_neighbors(v, VOCABULARY, "king", k=6), "k=6"),
        (lambda v: wordvec.nearest_neighbors(v, VOCABULARY[:5], "king"), "6 rows"),
        (lambda v: wordvec.nearest_neighbors(v[0], VOCABULARY, "king"), "2 axes"),
        (lambda v: wordvec.group_score(v, VOCABULARY, {"a": ["king", "man"]}), "at least 2"),
        (
            lambda v: wordvec.group_score(v, VOCABULARY, {"a": ["king"], "b": ["man", "pear"]}),
            "at least 2 words",
        ),
        (
            lambda v: wordvec.group_score(
                v, VOCABULARY, {"a": ["king", "man"], "b": ["man", "pear"]}
            ),
            "only one group",
        ),
        (lambda v: wordvec.pca_2d(v[:1]), "at least 2 rows"),
    ],
)
def test_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call(_vectors())


def test_pca_matches_the_covariance_eigenvectors():
    vectors = _vectors()
    points = wordvec.pca_2d(vectors)
    centred = vectors - vectors.mean(axis=0)
    values, vectors_ = np.linalg.eigh(centred.T @ centred)
    top = vectors_[:, ::-1][:, :2]
    np.testing.assert_allclose(np.abs(points), np.abs(centred @ top), atol=1e-8)
    assert (points[np.abs(points).argmax(axis=0), [0, 1]] > 0).all()
    np.testing.assert_allclose(points.var(axis=0) * len(points), values[::-1][:2], rtol=1e-8)


def test_plot_projection_labels_every_point():
    ax = plots.plot_projection(wordvec.pca_2d(_vectors()), VOCABULARY, title="t")
    assert [t.get_text() for t in ax.texts] == VOCABULARY
    with pytest.raises(ValueError, match="one label each"):
        plots.plot_projection(np.zeros((3, 2)), ["a"])


def test_export_projector_round_trip(tmp_path):
    vectors = _vectors()
    vectors_path, metadata_path = wordvec.export_projector(vectors, VOCABULARY, tmp_path / "p")
    assert vectors_path.name == "vectors.tsv" and metadata_path.name == "metadata.tsv"
    np.testing.assert_allclose(np.loadtxt(vectors_path, delimiter="\t"), vectors, atol=1e-5)
    assert metadata_path.read_text(encoding="utf-8").splitlines() == VOCABULARY
    with pytest.raises(ValueError, match="without tabs"):
        wordvec.export_projector(vectors[:2], ["", "x"], tmp_path)

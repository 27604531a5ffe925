"""BLEU written from counts must agree with sacrebleu, the reference implementation."""

import random

import pytest
import sacrebleu
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

from lmkeras import metrics
from lmkeras.metrics import corpus_bleu, tokenize_13a

WORDS = ["the", "cat", "dog", "sat", "on", "a", "mat", "Tom", "isn't", "here", "3.5", "km"]
MARKS = [".", ",", "?", "!", "'s", "-", "(", ")", '"', "&amp;"]


def _sentence(rng, max_words):
    words = [rng.choice(WORDS) for _ in range(rng.randint(0, max_words))]
    # Glue punctuation on without spaces sometimes, so the 13a rules have work to do.
    return "".join(w + (rng.choice(MARKS) if rng.random() < 0.3 else " ") for w in words).strip()


def _case(rng):
    n = rng.randint(1, 12)
    hypotheses = [_sentence(rng, rng.choice([3, 8, 15])) for _ in range(n)]
    references = [
        [_sentence(rng, rng.choice([3, 8, 15])) for _ in range(rng.randint(1, 3))] for _ in range(n)
    ]
    # Hypotheses that share n-grams with a reference, so that high orders match too.
    for i in range(n):
        if rng.random() < 0.5:
            words = references[i][0].split()
            cut = rng.randint(0, len(words))
            hypotheses[i] = " ".join(words[:cut] + hypotheses[i].split()[:2])
    return hypotheses, references


def _sacrebleu(hypotheses, references, **kwargs):
    # sacrebleu takes reference *streams*; None fills in for segments with fewer references.
    width = max(len(r) for r in references)
    streams = [[refs[k] if k < len(refs) else None for refs in references] for k in range(width)]
    return sacrebleu.corpus_bleu(hypotheses, streams, **kwargs)


@pytest.mark.parametrize("smooth_method", ["exp", "floor", "add-k", "none"])
@pytest.mark.parametrize("tokenize", ["13a", "none"])
def test_corpus_bleu_matches_sacrebleu_on_random_corpora(smooth_method, tokenize):
    rng = random.Random(f"{smooth_method}-{tokenize}")
    nonzero = 0
    for _ in range(150):
        hypotheses, references = _case(rng)
        lowercase = rng.random() < 0.5
        ours = corpus_bleu(
            hypotheses,
            references,
            smooth_method=smooth_method,
            tokenize=tokenize,
            lowercase=lowercase,
        )
        theirs = _sacrebleu(
            hypotheses,
            references,
            smooth_method=smooth_method,
            tokenize=tokenize,
            lowercase=lowercase,
        )
        assert ours.score == pytest.approx(theirs.score, abs=1e-6)
        assert ours.brevity_penalty == pytest.approx(theirs.bp, abs=1e-12)
        assert (ours.hypothesis_length, ours.reference_length) == (theirs.sys_len, theirs.ref_len)
        nonzero += ours.score > 0
    assert nonzero > 30  # the cases exercise real scores, not only zeros


def test_13a_tokenizer_matches_sacrebleu():
    rng = random.Random(13)
    tokenizer = Tokenizer13a()
    for _ in range(500):
        text = _sentence(rng, 12)
        assert tokenize_13a(text) == tokenizer(text).split()


def test_bleu_of_a_perfect_translation_is_100_and_of_an_empty_one_0():
    refs = [["the cat sat on the mat ."], ["a dog is here ."]]
    assert corpus_bleu(["the cat sat on the mat .", "a dog is here ."], refs).score == (
        pytest.approx(100.0)
    )
    assert corpus_bleu(["", ""], refs).score == 0.0


def test_brevity_penalty_punishes_short_output():
    full = corpus_bleu(["the cat sat on the mat"], [["the cat sat on the mat"]])
    short = corpus_bleu(["the cat sat on"], [["the cat sat on the mat"]])
    assert short.brevity_penalty == pytest.approx(2.718281828 ** (1 - 6 / 4))
    assert short.score < full.score


def test_clipping_counts_a_word_no_more_often_than_the_reference_has_it():
    score = corpus_bleu(["the the the the"], [["the cat"]], max_order=1, smooth_method="none")
    assert score.matches == (1,)
    assert score.totals == (4,)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(hypotheses=["a"], references=[["a"], ["b"]]), "one list per hypothesis"),
        (dict(hypotheses=["a"], references=[[]]), "references\\[0\\]"),
        (dict(hypotheses=["a"], references=["a"]), "references\\[0\\]"),
        (dict(hypotheses=["a"], references=[["a"]], smooth_method="laplace"), "smooth_method"),
        (dict(hypotheses=["a"], references=[["a"]], tokenize="intl"), "tokenize"),
        (dict(hypotheses=["a"], references=[["a"]], max_order=0), "max_order"),
    ],
)
def test_bad_bleu_inputs_name_the_parameter(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        corpus_bleu(**kwargs)


def test_course_bleu_is_case_insensitive_and_retokenizes():
    refs = [["It's here, Tom."], ["Help me, please!"]]
    hypotheses = ["it's here , tom .", "help me , please !"]
    assert metrics.translation_bleu(hypotheses, refs).score == pytest.approx(100.0)

"""Bad inputs of `lmkeras.metrics`: losses that are not numbers, one string, empty corpora."""

from __future__ import annotations

from lmkeras import metrics
from tests.bad_inputs import bad, check_refused, table

nan, inf = float("nan"), float("inf")
bleu = metrics.corpus_bleu

METRICS_ROWS = [
    bad(metrics.perplexity, lambda: metrics.perplexity("abc"), TypeError, "`loss`", "loss='abc'"),
    bad(metrics.perplexity, lambda: metrics.perplexity(True), TypeError, "loss=True"),
    bad(metrics.perplexity, lambda: metrics.perplexity(None), TypeError, "loss=None"),
    bad(metrics.perplexity, lambda: metrics.perplexity(nan), ValueError, "loss=nan"),
    bad(metrics.perplexity, lambda: metrics.perplexity(-0.5), ValueError, "loss=-0.5", "≥ 0"),
    bad(metrics.bits_per_token, lambda: metrics.bits_per_token(inf), ValueError, "loss=inf"),
    bad(metrics.bits_per_token, lambda: metrics.bits_per_token([1.0, 2.0]), TypeError,
        "loss=[1.0, 2.0]"),
    bad(metrics.distinct_n, lambda: metrics.distinct_n("abab", 2), TypeError,
        "`sequences`", "'abab'", "['abab']"),
    bad(metrics.distinct_n, lambda: metrics.distinct_n([5], 2), TypeError,
        "`sequences`", "5", "index 0"),
    bad(metrics.distinct_n, lambda: metrics.distinct_n(5, 2), TypeError, "sequences=5"),
    bad(metrics.distinct_n, lambda: metrics.distinct_n([], 1), ValueError,
        "`sequences`", "no 1-gram"),
    bad(metrics.distinct_n, lambda: metrics.distinct_n(["a", "b"], 2), ValueError,
        "`sequences`", "no 2-gram", "shorter than n=2"),
    bad(metrics.distinct_n, lambda: metrics.distinct_n(["ab"], 0), ValueError, "n=0"),
    bad(metrics.distinct_n, lambda: metrics.distinct_n(["ab"], True), TypeError, "n=True"),
    bad(metrics.distinct_n, lambda: metrics.distinct_n(["ab"], 2.0), TypeError, "n=2.0"),
    bad(metrics.repeated_ngram_rate, lambda: metrics.repeated_ngram_rate("abcabc", 3),
        TypeError, "`sequences`", "'abcabc'"),
    bad(metrics.repeated_ngram_rate, lambda: metrics.repeated_ngram_rate(["abc"], -1),
        ValueError, "n=-1"),
    bad(metrics.repeated_ngram_rate, lambda: metrics.repeated_ngram_rate([[]], 1), ValueError,
        "`sequences`", "no 1-gram"),
    bad(metrics.tokenize_13a, lambda: metrics.tokenize_13a(123), TypeError, "`text`",
        "text=123"),
    bad(metrics.corpus_bleu, lambda: bleu([], []), ValueError, "`hypotheses`", "at least one"),
    bad(metrics.corpus_bleu, lambda: bleu(["a"], [["a"]], max_order=0), ValueError,
        "max_order=0"),
    bad(metrics.corpus_bleu, lambda: bleu(["a"], [["a"]], max_order=True), TypeError,
        "max_order=True"),
    bad(metrics.corpus_bleu, lambda: bleu(["a"], [["a"]], smooth_method="add_k"), ValueError,
        "smooth_method='add_k'", "'add-k'"),
    bad(metrics.corpus_bleu,
        lambda: bleu(["a"], [["a"]], smooth_method="floor", smooth_value=-1), ValueError,
        "smooth_value=-1", "> 0"),
    bad(metrics.corpus_bleu,
        lambda: bleu(["a"], [["a"]], smooth_method="floor", smooth_value="x"), TypeError,
        "smooth_value='x'"),
    bad(metrics.corpus_bleu, lambda: bleu(["a"], [["a"]], smooth_value=0.1), ValueError,
        "smooth_value=0.1", "smooth_method='exp'"),
    bad(metrics.corpus_bleu, lambda: bleu(["a"], [["a"]], tokenize="intl"), ValueError,
        "tokenize='intl'", "'13a'"),
    bad(metrics.corpus_bleu, lambda: bleu(["a"], [["a"]], lowercase="yes"), TypeError,
        "lowercase='yes'"),
    bad(metrics.corpus_bleu, lambda: bleu("the cat", [["the cat"]]), TypeError,
        "`hypotheses`", "'the cat'"),
    bad(metrics.corpus_bleu, lambda: bleu(["the cat"], "the cat"), TypeError,
        "`references`", "'the cat'"),
    bad(metrics.corpus_bleu, lambda: bleu(["a"], [["a"], ["b"]]), ValueError,
        "1 hypotheses", "2 reference lists"),
    bad(metrics.corpus_bleu, lambda: bleu(["a"], [[]]), ValueError, "references[0]",
        "at least one"),
    bad(metrics.corpus_bleu, lambda: bleu(["a"], ["the cat"]), TypeError, "references[0]",
        "'the cat'"),
    bad(metrics.corpus_bleu, lambda: bleu([1], [["a"]]), TypeError, "`hypotheses`", "index 0"),
    bad(metrics.corpus_bleu, lambda: bleu(["a"], [[None]]), TypeError, "references[0]",
        "None"),
    bad(metrics.translation_bleu, lambda: metrics.translation_bleu("a", [["a"]]), TypeError,
        "`hypotheses`", "'a'"),
    bad(metrics.translation_bleu, lambda: metrics.translation_bleu([], []), ValueError,
        "`hypotheses`", "at least one"),
    bad(metrics.unigram_cross_entropy, lambda: metrics.unigram_cross_entropy([0, 5], [0], 3),
        ValueError, "`train_ids`", "[0, vocabulary_size=3)", "[0, 5]"),
    bad(metrics.unigram_cross_entropy, lambda: metrics.unigram_cross_entropy([0], [], 3),
        ValueError, "`eval_ids`", "non-empty"),
    bad(metrics.unigram_cross_entropy, lambda: metrics.unigram_cross_entropy([0.5], [0], 3),
        ValueError, "`train_ids`", "int ids"),
    bad(metrics.unigram_cross_entropy, lambda: metrics.unigram_cross_entropy([0], [0], 0),
        ValueError, "vocabulary_size=0"),
]  # fmt: skip


@table(METRICS_ROWS)
def test_metrics_refuse_bad_input(row):
    check_refused(row)

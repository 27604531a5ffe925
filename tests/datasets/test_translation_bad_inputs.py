"""Bad inputs of `lmkeras.datasets.translation`: one sentence where a list belongs, bad pairs,
ids outside the vocabulary, a batch larger than the data."""

from __future__ import annotations

import tempfile
from pathlib import Path

from lmkeras.datasets import translation as tr
from tests.bad_inputs import bad, check_refused, table

PAIRS = [("hola .", "hello ."), ("adiós .", "bye ."), ("el gato .", "the cat .")]
ENC = tr.PairEncoder.from_pairs(PAIRS, 100, 100)
NOT_JSON = Path(tempfile.mkdtemp(prefix="lmkeras-encoder-")) / "encoder.json"
NOT_JSON.write_text("{not json", encoding="utf-8")


def dataset(encoder=ENC, pairs=PAIRS, batch_size=2, **kwargs):
    return tr.translation_dataset(encoder, pairs, batch_size, **kwargs)


TRANSLATION_ROWS = [
    bad(tr.normalize, lambda: tr.normalize(5), TypeError, "`text`", "text=5"),
    bad(tr.swap_pairs, lambda: tr.swap_pairs("ab"), TypeError, "`pairs`", "'ab'"),
    bad(tr.swap_pairs, lambda: tr.swap_pairs([("a", "b", "c")]), TypeError, "`pairs`",
        "('a', 'b', 'c')", "index 0"),
    bad(tr.PairEncoder, lambda: tr.PairEncoder("hola", ["hello"]), TypeError,
        "`source_vocabulary`", "'hola'"),
    bad(tr.PairEncoder, lambda: tr.PairEncoder(["hola"], "hello"), TypeError,
        "`target_vocabulary`", "'hello'"),
    bad(tr.PairEncoder, lambda: tr.PairEncoder(["hola"], ["hello"], max_length=0), ValueError,
        "max_length=0"),
    bad(tr.PairEncoder.from_pairs, lambda: tr.PairEncoder.from_pairs("hola", 100, 100),
        TypeError, "`pairs`", "'hola'"),
    bad(tr.PairEncoder.from_pairs, lambda: tr.PairEncoder.from_pairs([], 100, 100), ValueError,
        "`pairs`", "at least one"),
    bad(tr.PairEncoder.from_pairs, lambda: tr.PairEncoder.from_pairs(PAIRS, 2, 100), ValueError,
        "source_vocabulary_size=2"),
    bad(tr.PairEncoder.from_pairs, lambda: tr.PairEncoder.from_pairs(PAIRS, 100, 4), ValueError,
        "target_vocabulary_size=4"),
    bad(tr.PairEncoder.encode_sources, lambda: ENC.encode_sources("hola ."), TypeError,
        "`texts`", "'hola .'", "not one str"),
    bad(tr.PairEncoder.encode_sources, lambda: ENC.encode_sources(["hola ."], length=1),
        ValueError, "length=1", "2"),
    bad(tr.PairEncoder.encode_sources, lambda: ENC.encode_sources(["hola ."], length=True),
        TypeError, "length=True"),
    bad(tr.PairEncoder.encode_sources, lambda: ENC.encode_sources(["a " * 70]), ValueError,
        "`texts`", "max_length=64"),
    bad(tr.PairEncoder.encode_targets, lambda: ENC.encode_targets("hello ."), TypeError,
        "`texts`", "'hello .'"),
    bad(tr.PairEncoder.decode_target, lambda: ENC.decode_target([99]), ValueError, "`ids`",
        "99"),
    bad(tr.PairEncoder.decode_target, lambda: ENC.decode_target([-1]), ValueError, "`ids`",
        "-1"),
    bad(tr.PairEncoder.decode_source, lambda: ENC.decode_source([99]), ValueError, "`ids`",
        "99"),
    bad(tr.PairEncoder.save, lambda: ENC.save(1), TypeError, "`path`", "path=1"),
    bad(tr.PairEncoder.load, lambda: tr.PairEncoder.load(NOT_JSON), ValueError,
        "encoder.json", "JSON"),
    bad(tr.filter_pairs, lambda: tr.filter_pairs("hola", 2), TypeError, "`pairs`", "'hola'"),
    bad(tr.filter_pairs, lambda: tr.filter_pairs(PAIRS, 0), ValueError, "max_words=0"),
    bad(tr.translation_dataset, lambda: dataset(encoder=None), TypeError, "`encoder`", "None"),
    bad(tr.translation_dataset, lambda: dataset(pairs=[]), ValueError, "`pairs`",
        "at least one"),
    bad(tr.translation_dataset, lambda: dataset(pairs="hola"), TypeError, "`pairs`", "'hola'"),
    bad(tr.translation_dataset, lambda: dataset(batch_size=0), ValueError, "batch_size=0"),
    bad(tr.translation_dataset, lambda: dataset(batch_size=64), ValueError, "batch_size=64",
        "3 pairs"),
    bad(tr.translation_dataset, lambda: dataset(pad_to_multiple=0), ValueError,
        "pad_to_multiple=0"),
    bad(tr.translation_dataset, lambda: dataset(shuffle="no"), TypeError, "shuffle='no'"),
    bad(tr.translation_dataset, lambda: dataset(seed=-1), ValueError, "seed=-1"),
    bad(tr.group_references, lambda: tr.group_references("hola"), TypeError, "`pairs`",
        "'hola'"),
]  # fmt: skip


@table(TRANSLATION_ROWS)
def test_translation_pairs_refuse_bad_input(row):
    check_refused(row)

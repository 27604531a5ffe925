"""Translation pairs as model inputs: what chapters 09 and 10 stand on."""

from __future__ import annotations

import numpy as np
import pytest

from lmkeras.datasets.translation import (
    END_ID,
    START_ID,
    PairEncoder,
    filter_pairs,
    group_references,
    translation_dataset,
)

PAIRS = [
    ("hola .", "hello ."),
    ("¿ dónde está ?", "where is it ?"),
    ("tengo un perro grande .", "i have a big dog ."),
    ("adiós", "bye"),
    ("el gato duerme .", "the cat sleeps ."),
]


def _encoder(max_length=64):
    return PairEncoder.from_pairs(PAIRS, 100, 100, max_length=max_length)


def test_start_and_end_have_fixed_ids_and_frame_every_target():
    enc = _encoder()
    assert enc.target.vocabulary[START_ID] == "[start]"
    assert enc.target.vocabulary[END_ID] == "[end]"
    inputs, targets = enc.encode_targets(["hello .", "where is it ?"])
    assert inputs[:, 0].tolist() == [START_ID, START_ID]
    assert targets[0].tolist() == [*inputs[0, 1:3].tolist(), END_ID, 0, 0]
    # The decoder's input is its target shifted right by one: teacher forcing.
    np.testing.assert_array_equal(inputs[1, 1:], targets[1, :-1])


def test_vocabularies_come_from_the_pairs_given_and_unknown_words_are_unk():
    enc = _encoder()
    assert "perro" in enc.source.vocabulary and "dog" not in enc.source.vocabulary
    assert enc.encode_sources(["hola zorro"]).tolist() == [[enc.source.encode("hola")[0], 1]]
    assert enc.decode_target([enc.target.encode("hello")[0], 1, END_ID, 5]) == "hello [UNK]"


def test_sentences_longer_than_max_length_are_refused_not_truncated():
    enc = _encoder(max_length=3)
    with pytest.raises(ValueError, match="longer than max_length=3 words"):
        enc.encode_sources(["tengo un perro grande ."])
    kept, dropped = filter_pairs(PAIRS, 3)
    assert dropped == 3 and kept == [("hola .", "hello ."), ("adiós", "bye")]


def test_encoder_saves_and_loads(tmp_path):
    enc = _encoder()
    enc.save(tmp_path / "enc.json")
    loaded = PairEncoder.load(tmp_path / "enc.json")
    assert loaded.source.vocabulary == enc.source.vocabulary
    assert loaded.target.vocabulary == enc.target.vocabulary


def test_dataset_batches_by_length_and_keeps_every_pair_once_per_epoch():
    pairs = PAIRS * 7  # 35 pairs
    enc = _encoder()
    dataset = translation_dataset(enc, pairs, batch_size=4, pad_to_multiple=1, seed=3)
    assert int(dataset.cardinality()) == 9
    epochs = []
    for _ in range(2):
        seen = []
        for (source, decoder_in), decoder_out in dataset:
            source, decoder_in, decoder_out = (
                np.asarray(t) for t in (source, decoder_in, decoder_out)
            )
            # Each batch is padded only to its own longest sentence.
            assert (source[:, -1] != 0).any() and (decoder_out[:, -1] != 0).any()
            np.testing.assert_array_equal(
                decoder_in[:, 1:], np.where(decoder_out[:, :-1] == END_ID, 0, decoder_out[:, :-1])
            )
            seen += [enc.decode_target(row) for row in decoder_out]
        epochs.append(seen)
        assert sorted(seen) == sorted(t for _, t in pairs)
    assert epochs[0] != epochs[1]  # batches are reshuffled every epoch


def test_group_references_collects_every_translation_of_a_source():
    sources, references = group_references([("a", "x"), ("b", "y"), ("a", "z")])
    assert sources == ["a", "b"] and references == [["x", "z"], ["y"]]

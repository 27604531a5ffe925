"""Translation data, decoding driver and loss: what chapters 09 and 10 stand on."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import ops

from lmkeras.translation import (
    END_ID,
    START_ID,
    MaskedCrossEntropy,
    PairEncoder,
    filter_pairs,
    group_references,
    spa_eng_task,
    translate,
    translation_bleu,
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


class _Scripted:
    """A 'translator' whose step function writes a fixed word sequence, for the driver."""

    def __init__(self, words, vocab=12):
        self.words, self.vocab = words, vocab

    def step_fn(self, source_ids, use_cache=True):
        def step(new_ids, state):
            rows = ops.shape(new_ids)[0]
            # The state is each row's step count, batch first, as beam search needs.
            position = np.zeros(rows, "int32") if state is None else np.asarray(state)
            word = self.words[min(int(position[0]), len(self.words) - 1)]
            logits = np.full((rows, self.vocab), -10.0, "float32")
            logits[:, word] = 10.0
            return logits, position + 1

        return step


def test_translate_stops_at_end_and_respects_max_new_tokens():
    enc = _encoder()
    hello, dot = (int(enc.target.encode(w)[0]) for w in ("hello", "."))
    done = translate(_Scripted([hello, dot, END_ID, hello]), enc, ["hola ."])
    assert done == ["hello ."]  # nothing after [end]
    endless = _Scripted([hello])
    assert translate(endless, enc, ["hola ."], max_new_tokens=3) == ["hello hello hello"]
    assert translate(endless, enc, ["hola ."], max_new_tokens=3, num_beams=2) == [
        "hello hello hello"
    ]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_beams": 0}, "num_beams"),
        ({"max_new_tokens": 0}, "max_new_tokens"),
        ({"batch_size": 0}, "batch_size"),
    ],
)
def test_translate_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        translate(_Scripted([END_ID]), _encoder(), ["hola"], **kwargs)


def test_masked_cross_entropy_ignores_padding_and_averages_over_words():
    logits = np.random.default_rng(0).normal(size=(2, 3, 5)).astype("float32")
    targets = np.array([[1, 2, 0], [3, 0, 0]])
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = -np.mean([log_probs[0, 0, 1], log_probs[0, 1, 2], log_probs[1, 0, 3]])
    assert float(MaskedCrossEntropy()(targets, logits)) == pytest.approx(expected, rel=1e-5)
    smoothed = MaskedCrossEntropy(0.1)(targets, logits)
    uniform = -np.mean([log_probs[0, 0].mean(), log_probs[0, 1].mean(), log_probs[1, 0].mean()])
    assert float(smoothed) == pytest.approx(0.9 * expected + 0.1 * uniform, rel=1e-5)
    restored = keras.losses.deserialize(keras.losses.serialize(MaskedCrossEntropy(0.1)))
    assert restored.label_smoothing == 0.1


def test_course_task_is_spanish_to_english_on_the_fixed_split(data_dir):
    task = spa_eng_task(train_size=2000)
    assert task.test[1] == ("¡Ayuda!", "Help!")  # (Spanish, English)
    assert len(task.test) == 5893
    assert task.encoder.source_vocab_size <= 16000 and "[start]" in task.encoder.target.vocabulary


def test_course_bleu_is_case_insensitive_and_retokenizes():
    refs = [["It's here, Tom."], ["Help me, please!"]]
    hypotheses = ["it's here , tom .", "help me , please !"]
    assert translation_bleu(hypotheses, refs).score == pytest.approx(100.0)

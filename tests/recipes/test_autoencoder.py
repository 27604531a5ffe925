"""The chapter-11 recipe: one vocabulary, scores, corruption as text, decoding, the ELBO."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import ops

from lmkeras.layers.variational import gaussian_kl
from lmkeras.models.autoencoder import (
    autoencoder_parts,
    build_sequence_autoencoder,
    build_variational_autoencoder,
)
from lmkeras.recipes.autoencoder import (
    SentenceTask,
    as_seen,
    corrupt_sentences,
    decode_codes,
    elbo_terms,
    encode_sentences,
    fit_autoencoder,
    interpolate,
    reconstruct,
    reconstruction_scores,
    sentence_encoder,
)

SENTENCES = [
    "the cat sleeps .",
    "where is the dog ?",
    "i like the cat .",
    "the dog sleeps .",
    "is it raining ?",
    "we eat bread .",
]
ENCODER = sentence_encoder(SENTENCES, 20)
SMALL = {"code_dim": 5, "embedding_dim": 4, "units": 6}


def _sequence():
    keras.utils.set_random_seed(0)
    return build_sequence_autoencoder(ENCODER.target_vocabulary_size, **SMALL)


def test_one_vocabulary_gives_the_same_ids_on_both_sides():
    assert ENCODER.source.vocabulary == ENCODER.target.vocabulary
    ids = ENCODER.encode_sources(["where is the cat ?"])[0]
    decoder_inputs, targets = ENCODER.encode_targets(["where is the cat ?"])
    assert decoder_inputs[0, 0] == 2 and targets[0, -1] == 3
    np.testing.assert_array_equal(decoder_inputs[0, 1:], ids)
    np.testing.assert_array_equal(targets[0, :-1], ids)
    assert as_seen(ENCODER, ["the zebra sleeps ."]) == ["the [UNK] sleeps ."]


def test_reconstruction_scores_count_words_end_and_lengths():
    scores = reconstruction_scores(
        ENCODER,
        ["the cat sleeps .", "is it raining ?", "we eat bread ."],
        ["the cat sleeps .", "is it raining ? ?", "we eat"],
    )
    # Four words and [end] each: 5/5 right; 4/5 (a "?" stands where [end] belongs); 2/5.
    assert scores["token_accuracy"] == pytest.approx(11 / 15)
    assert scores["exact"] == pytest.approx(1 / 3)
    assert scores["tokens"] == 15 and list(scores["by_length"]) == [4]
    assert scores["by_length"][4] == {"token_accuracy": 11 / 15, "exact": 1 / 3, "sentences": 3}
    with pytest.raises(ValueError, match="one text per sentence"):
        reconstruction_scores(ENCODER, SENTENCES, SENTENCES[:2])


def test_corrupted_text_keeps_the_rate_and_shows_masks_as_unk():
    sentences = SENTENCES * 300
    words = sum(len(s.split()) for s in sentences)
    masked = corrupt_sentences(ENCODER, sentences, 0.2, kinds=("mask",), seed=0)
    assert abs(sum(s.split().count("[UNK]") for s in masked) / words - 0.2) < 0.02
    dropped = corrupt_sentences(ENCODER, sentences, 0.2, kinds=("drop",), seed=0)
    assert abs(1 - sum(len(s.split()) for s in dropped) / words - 0.2) < 0.02
    assert corrupt_sentences(ENCODER, SENTENCES, 0.0) == SENTENCES


def test_reconstruction_with_one_beam_equals_greedy():
    model = _sequence()
    greedy = reconstruct(model, ENCODER, SENTENCES)
    assert reconstruct(model, ENCODER, SENTENCES, num_beams=1) == greedy
    codes = encode_sentences(model, ENCODER, SENTENCES)
    # reconstruct lets each batch write its longest sentence (5 words) + 6 tokens.
    assert decode_codes(model, ENCODER, codes, max_new_tokens=11, num_beams=1) == greedy
    beam = decode_codes(model, ENCODER, codes, max_new_tokens=11, num_beams=3)
    assert len(beam) == len(SENTENCES)


def test_interpolation_starts_and_ends_at_the_two_sentences():
    model = _sequence()
    path = interpolate(model, ENCODER, SENTENCES[0], SENTENCES[1], steps=4)
    ends = decode_codes(model, ENCODER, encode_sentences(model, ENCODER, SENTENCES[:2]))
    assert len(path) == 4 and [path[0], path[-1]] == ends


def test_elbo_terms_add_up_and_use_the_closed_form_kl():
    keras.utils.set_random_seed(0)
    model = build_variational_autoencoder(ENCODER.target_vocabulary_size, **SMALL)
    terms = elbo_terms(model, ENCODER, SENTENCES, seed=1)
    assert terms["elbo"] == pytest.approx(-(terms["reconstruction"] + terms["kl"]))
    mean, log_var = autoencoder_parts(model).encoder(ENCODER.encode_sources(SENTENCES))
    kl = keras.ops.convert_to_numpy(gaussian_kl(mean, log_var))
    assert terms["kl"] == pytest.approx(float(np.mean(kl)), rel=1e-5)
    assert terms["words"] == pytest.approx(np.mean([len(s.split()) + 1 for s in SENTENCES]))
    assert elbo_terms(model, ENCODER, SENTENCES, seed=1) == terms  # seeded draw of z


@pytest.mark.slow
def test_fit_counts_steps_decays_the_rate_and_monitors_reconstruction():
    model = _sequence()
    task = SentenceTask(ENCODER, SENTENCES, SENTENCES[:2], SENTENCES)
    history, budget = fit_autoencoder(
        model, task, 600, batch_size=2, steps_per_epoch=2, validation_size=2, max_steps=4,
        run_eagerly=True, monitor=SENTENCES[:3], monitor_every=1,
    )  # fmt: skip
    assert budget.steps == 4 and len(history["loss"]) == len(history["val_loss"]) == 2
    assert history["monitor_step"] == [2, 4] and len(history["exact"]) == 2
    assert all(0 <= a <= 1 for a in history["token_accuracy"])
    rate = model.optimizer.learning_rate  # a cosine from 3e-3 to 5% of it over the 4 steps
    assert float(ops.convert_to_numpy(rate)) == pytest.approx(3e-3 * 0.05, rel=1e-3)

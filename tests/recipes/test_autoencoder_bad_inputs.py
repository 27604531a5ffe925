"""Bad inputs of chapter 11's recipe (`lmkeras.recipes.autoencoder`): every one is refused before
any data is loaded, any model trained or any sentence decoded."""

from __future__ import annotations

import functools

import numpy as np

from lmkeras.models.autoencoder import build_sequence_autoencoder
from lmkeras.recipes import autoencoder as ae
from tests.bad_inputs import bad, check_refused, offline, table

S = ["the cat .", "the dog .", "a cat ?"]
ENC = ae.sentence_encoder(S, 10)
TASK = ae.SentenceTask(ENC, S, S, S)
CODES = np.zeros((2, 4), "float32")


@functools.cache
def model():
    return build_sequence_autoencoder(ENC.target_vocabulary_size, 4, 4, 6)


def fit(model_=None, task=TASK, seconds=1.0, **kwargs):
    return ae.fit_autoencoder(model_ or model(), task, seconds, **kwargs)


def decode(codes=CODES, **kwargs):
    return ae.decode_codes(kwargs.pop("model", model()), kwargs.pop("encoder", ENC), codes,
                           **kwargs)  # fmt: skip


TASK_ROWS = [
    bad(ae.SentenceTask, lambda: ae.SentenceTask("encoder", S, S, S), TypeError, "`encoder`",
        "'encoder'", "PairEncoder"),
    bad(ae.SentenceTask, lambda: ae.SentenceTask(ENC, "the cat .", S, S), TypeError, "`train`",
        "'the cat .'"),
    bad(ae.SentenceTask, lambda: ae.SentenceTask(ENC, [], S, S), ValueError, "`train`",
        "at least one"),
    bad(ae.SentenceTask, lambda: ae.SentenceTask(ENC, S, [1], S), TypeError, "`validation`",
        "1", "index 0"),
    bad(ae.sentence_encoder, lambda: ae.sentence_encoder(S, 4), ValueError,
        "vocabulary_size=4", "≥ 5"),
    bad(ae.sentence_encoder, lambda: ae.sentence_encoder("the cat .", 10), TypeError,
        "`sentences`", "'the cat .'"),
    bad(ae.english_task, offline(lambda: ae.english_task(vocabulary_size=4)), ValueError,
        "vocabulary_size=4"),
    bad(ae.english_task, offline(lambda: ae.english_task(max_words=0)), ValueError,
        "max_words=0"),
    bad(ae.english_task, offline(lambda: ae.english_task(train_size=0)), ValueError,
        "train_size=0"),
    bad(ae.english_task, offline(lambda: ae.english_task(train_size=1.5)), TypeError,
        "train_size=1.5"),
    bad(ae.sentence_dataset, lambda: ae.sentence_dataset(ENC, "the cat .", 2), TypeError,
        "`sentences`", "'the cat .'"),
    bad(ae.sentence_dataset, lambda: ae.sentence_dataset(ENC, S, 0), ValueError,
        "batch_size=0"),
    bad(ae.sentence_dataset, lambda: ae.sentence_dataset("encoder", S, 2), TypeError,
        "`encoder`", "PairEncoder"),
    bad(ae.sentence_dataset, lambda: ae.sentence_dataset(ENC, S, 2, pad_to_multiple=0),
        ValueError, "pad_to_multiple=0"),
]  # fmt: skip

TRAINING_ROWS = [
    bad(ae.TimeCosineDecay, lambda: ae.TimeCosineDecay(0, 1e-3), ValueError, "seconds=0"),
    bad(ae.TimeCosineDecay, lambda: ae.TimeCosineDecay(10, "fast"), TypeError, "rate='fast'"),
    bad(ae.TimeCosineDecay, lambda: ae.TimeCosineDecay(10, 1e-3, floor=1.0), ValueError,
        "floor=1.0", "< 1"),
    bad(ae.fit_autoencoder, lambda: fit(seconds=0), ValueError, "seconds=0"),
    bad(ae.fit_autoencoder, lambda: fit(model_="model"), TypeError, "`model`", "'model'"),
    bad(ae.fit_autoencoder, lambda: fit(task=S), TypeError, "`task`", "SentenceTask"),
    bad(ae.fit_autoencoder, lambda: fit(learning_rate=-1.0), ValueError, "learning_rate=-1.0"),
    bad(ae.fit_autoencoder, lambda: fit(batch_size=0), ValueError, "batch_size=0"),
    bad(ae.fit_autoencoder, lambda: fit(steps_per_epoch=0), ValueError, "steps_per_epoch=0"),
    bad(ae.fit_autoencoder, lambda: fit(validation_size=-1), ValueError, "validation_size=-1"),
    bad(ae.fit_autoencoder, lambda: fit(seed=-1), ValueError, "seed=-1"),
    bad(ae.fit_autoencoder, lambda: fit(max_steps=0), ValueError, "max_steps=0"),
    bad(ae.fit_autoencoder, lambda: fit(run_eagerly="yes"), TypeError, "run_eagerly='yes'"),
    bad(ae.fit_autoencoder, lambda: fit(monitor="the cat ."), TypeError, "`monitor`",
        "'the cat .'"),
    bad(ae.fit_autoencoder, lambda: fit(monitor=S, monitor_every=0), ValueError,
        "monitor_every=0"),
    bad(ae.ELBOMonitor, lambda: ae.ELBOMonitor(ENC, "the cat ."), TypeError, "`sentences`",
        "'the cat .'"),
    bad(ae.ELBOMonitor, lambda: ae.ELBOMonitor(ENC, S, seed=-1), ValueError, "seed=-1"),
    bad(ae.ELBOMonitor, lambda: ae.ELBOMonitor("encoder", S), TypeError, "`encoder`",
        "PairEncoder"),
]  # fmt: skip

USE_ROWS = [
    bad(ae.encode_sentences, lambda: ae.encode_sentences(model(), ENC, "the cat ."), TypeError,
        "`sentences`", "'the cat .'"),
    bad(ae.encode_sentences, lambda: ae.encode_sentences(model(), ENC, S, batch_size=0),
        ValueError, "batch_size=0"),
    bad(ae.encode_sentences, lambda: ae.encode_sentences(model(), "encoder", S), TypeError,
        "`encoder`", "PairEncoder"),
    bad(ae.encode_sentences, lambda: ae.encode_sentences("model", ENC, S), TypeError,
        "`model`", "'model'"),
    bad(ae.decode_codes, lambda: decode(np.zeros((2, 3))), ValueError, "`codes`", "(batch, 4)",
        "(2, 3)"),
    bad(ae.decode_codes, lambda: decode("codes"), TypeError, "`codes`", "numbers"),
    bad(ae.decode_codes, lambda: decode(np.zeros(4)), ValueError, "`codes`", "2 axes", "(4,)"),
    bad(ae.decode_codes, lambda: decode(num_beams=0), ValueError, "num_beams=0"),
    bad(ae.decode_codes, lambda: decode(max_new_tokens=0), ValueError, "max_new_tokens=0"),
    bad(ae.decode_codes, lambda: decode(encoder="encoder"), TypeError, "`encoder`"),
    bad(ae.decode_codes, lambda: decode(model="model"), TypeError, "`model`", "'model'"),
    bad(ae.reconstruct, lambda: ae.reconstruct(model(), ENC, "the cat ."), TypeError,
        "`sentences`", "'the cat .'"),
    bad(ae.reconstruct, lambda: ae.reconstruct(model(), ENC, S, num_beams=0), ValueError,
        "num_beams=0"),
    bad(ae.reconstruct, lambda: ae.reconstruct(model(), ENC, S, batch_size=0), ValueError,
        "batch_size=0"),
    bad(ae.as_seen, lambda: ae.as_seen(ENC, "the cat ."), TypeError, "`sentences`",
        "'the cat .'"),
    bad(ae.as_seen, lambda: ae.as_seen("encoder", S), TypeError, "`encoder`", "PairEncoder"),
    bad(ae.reconstruction_scores, lambda: ae.reconstruction_scores(ENC, S, S[:1]), ValueError,
        "`reconstructions`", "received 1", "3 sentences"),
    bad(ae.reconstruction_scores, lambda: ae.reconstruction_scores(ENC, S, "the cat ."),
        TypeError, "`reconstructions`", "'the cat .'"),
    bad(ae.corrupt_sentences, lambda: ae.corrupt_sentences(ENC, S, 1.0), ValueError,
        "rate=1.0"),
    bad(ae.corrupt_sentences, lambda: ae.corrupt_sentences(ENC, S, 0.1, kinds=("cut",)),
        ValueError, "`kinds`", "'cut'"),
    bad(ae.corrupt_sentences, lambda: ae.corrupt_sentences(ENC, "the cat .", 0.1), TypeError,
        "`sentences`", "'the cat .'"),
    bad(ae.corrupt_sentences, lambda: ae.corrupt_sentences("encoder", S, 0.1), TypeError,
        "`encoder`", "PairEncoder"),
    bad(ae.elbo_terms, lambda: ae.elbo_terms(model(), ENC, S), TypeError, "`model`",
        "variational", "'sequence_autoencoder'"),
    bad(ae.elbo_terms, lambda: ae.elbo_terms(model(), ENC, S, batch_size=0), ValueError,
        "batch_size=0"),
    bad(ae.elbo_terms, lambda: ae.elbo_terms(model(), ENC, "the cat ."), TypeError,
        "`sentences`", "'the cat .'"),
    bad(ae.interpolate, lambda: ae.interpolate(model(), ENC, S[0], S[1], steps=1), ValueError,
        "steps=1", "≥ 2"),
    bad(ae.interpolate, lambda: ae.interpolate(model(), ENC, 5, S[1]), TypeError, "`first`",
        "first=5"),
    bad(ae.interpolate, lambda: ae.interpolate(model(), ENC, S[0], ["a"]), TypeError,
        "`second`", "['a']"),
    bad(ae.sample_prior, lambda: ae.sample_prior(model(), ENC, 0), ValueError, "n=0"),
    bad(ae.sample_prior, lambda: ae.sample_prior(model(), ENC, 2, seed=-1), ValueError,
        "seed=-1"),
    bad(ae.sample_prior, lambda: ae.sample_prior(model(), ENC, 2, max_new_tokens=0),
        ValueError, "max_new_tokens=0"),
]  # fmt: skip


@table(TASK_ROWS)
def test_autoencoder_task_refuses_bad_input(row):
    check_refused(row)


@table(TRAINING_ROWS)
def test_autoencoder_training_refuses_bad_input(row):
    check_refused(row)


@table(USE_ROWS)
def test_autoencoder_decoding_and_scores_refuse_bad_input(row):
    check_refused(row)

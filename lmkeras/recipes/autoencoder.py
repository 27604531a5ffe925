"""Chapter 11 end to end: English sentences, one vocabulary, training, and using the codes.

`english_task()` takes the English side of the course's fixed spa-eng split (distinct
sentences, normalised as in chapters 09–10) and builds one vocabulary on the training part.
Source and target ids are the same: `[start]` is 2 and `[end]` 3, which never occur inside a
sentence. `fit_autoencoder()` trains any autoencoder of `lmkeras.models.autoencoder` under a
wall-clock budget; `reconstruct()` and `decode_codes()` decode through `lmkeras.sampling`
(greedy or beam search); `reconstruction_scores()` measures token accuracy and exact
reconstruction; `elbo_terms()` estimates a VAE's reconstruction term, KL and ELBO.

Data: Tatoeba project (https://tatoeba.org), CC-BY 2.0, via manythings.org/anki.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
from keras import ops

from lmkeras import sampling
from lmkeras._checks import (
    check_bool,
    check_float,
    check_int,
    check_numbers,
    check_optional_int,
    check_positive,
    check_str,
    check_texts,
    check_type,
)
from lmkeras.data import load_spa_eng_split
from lmkeras.datasets.translation import (
    END,
    END_ID,
    START,
    START_ID,
    PairEncoder,
    _pad,
    normalize,
    translation_dataset,
)
from lmkeras.layers.losses import MaskedCrossEntropy
from lmkeras.layers.noise import KINDS, WordCorruption
from lmkeras.layers.variational import SentenceCrossEntropy, gaussian_kl
from lmkeras.models.autoencoder import autoencoder_parts, autoencoder_step_fn, decode_with_codes
from lmkeras.text import WordTokenizer
from lmkeras.training import fit_with_budget


@dataclass(frozen=True)
class SentenceTask:
    """English sentences for the autoencoders, and their one vocabulary.

    Attributes:
        encoder: `PairEncoder` whose source and target vocabularies are the same list, so a
            sentence has the same ids on the encoder's and the decoder's side.
        train: distinct normalised training sentences of at most `max_words` words.
        validation: distinct normalised validation sentences, same filter.
        test: every distinct normalised test sentence (filter it by length to evaluate).
    """

    encoder: PairEncoder
    train: list
    validation: list
    test: list

    def __post_init__(self):
        check_type("encoder", self.encoder, PairEncoder, "a PairEncoder")
        check_texts("train", self.train)
        check_texts("validation", self.validation, allow_empty=True)
        check_texts("test", self.test, allow_empty=True)

    @property
    def vocabulary_size(self) -> int:
        return self.encoder.target_vocabulary_size


def sentence_encoder(sentences: Sequence[str], vocabulary_size: int) -> PairEncoder:
    """One vocabulary for both sides, from the most frequent words of normalised sentences.

    Args:
        sentences: normalised sentences (the training part only).
        vocabulary_size: int ≥ 5. Ids including padding, `[UNK]`, `[start]` and `[end]`.

    Returns:
        `PairEncoder` with identical source and target vocabularies.

    Example:
    >>> enc = sentence_encoder(["the cat .", "the dog ."], 10)
    >>> enc.encode_sources(["the dog ."]).tolist(), enc.encode_targets(["the dog ."])[0].tolist()
    ([[4, 7, 5]], [[2, 4, 7, 5]])
    """
    check_int("vocabulary_size", vocabulary_size, 5)
    words = WordTokenizer.from_texts(check_texts("sentences", sentences), vocabulary_size - 2)
    words = words.vocabulary[2:]
    return PairEncoder([START, END, *words], words)


def _distinct(pairs: Sequence[tuple[str, str]]) -> list[str]:
    return list(dict.fromkeys(normalize(english) for english, _ in pairs))


def english_task(
    vocabulary_size: int = 8000, max_words: int = 10, train_size: int | None = None
) -> SentenceTask:
    """The English side of the course's spa-eng split, for autoencoders.

    Args:
        vocabulary_size: int ≥ 5. Ids, padding, `[UNK]`, `[start]` and `[end]` included.
            Defaults to `8000`.
        max_words: int ≥ 1. Longer training and validation sentences are left out (the test
            part is kept whole). Words count punctuation: "where is it ?" has 4. Defaults
            to `10`.
        train_size: int or None. Keep only the first `train_size` training sentences (quick
            mode). Defaults to `None` (all).

    Returns:
        `SentenceTask`.
    """
    check_int("vocabulary_size", vocabulary_size, 5)
    check_int("max_words", max_words)
    check_optional_int("train_size", train_size)
    split = load_spa_eng_split()
    train = [s for s in _distinct(split.train) if len(s.split()) <= max_words][:train_size]
    validation = [s for s in _distinct(split.validation) if len(s.split()) <= max_words]
    return SentenceTask(
        sentence_encoder(train, vocabulary_size), train, validation, _distinct(split.test)
    )


def sentence_dataset(
    encoder: PairEncoder,
    sentences: Sequence[str],
    batch_size: int,
    shuffle: bool = True,
    seed: int = 0,
    pad_to_multiple: int = 4,
):
    """Batches `((ids, decoder_inputs), targets)` that rebuild each sentence from itself.

    The pairs (sentence, sentence) of `translation_dataset`: batches of similar length, padded
    to a multiple of `pad_to_multiple`. Each new batch shape costs a trace of the training step
    (seconds on a CPU), so a multiple above the longest sentence gives one shape for all.
    """
    pairs = [(s, s) for s in check_texts("sentences", sentences)]
    return translation_dataset(encoder, pairs, batch_size, shuffle, seed, pad_to_multiple)


class TimeCosineDecay(keras.callbacks.Callback):
    """Lower the learning rate along a cosine over a wall-clock budget, once per epoch.

    At the start of each epoch the rate becomes
    `rate · (floor + (1 − floor) · ½ (1 + cos(π · elapsed / seconds)))`. Setting it once per
    epoch (not per step) behaves the same on every backend: JAX reads the optimizer's variables
    back only between epochs.

    Args:
        seconds: float > 0. The budget the cosine spans.
        rate: float > 0. The starting learning rate.
        floor: float in [0, 1). Final fraction of `rate`. Defaults to `0.05`.
    """

    def __init__(self, seconds: float, rate: float, floor: float = 0.05):
        super().__init__()
        self.seconds = check_positive("seconds", seconds)
        self.rate = check_positive("rate", rate)
        self.floor = check_float("floor", floor, 0.0, 1.0, high_open=True)

    def on_train_begin(self, logs=None):
        self._start = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        fraction = min(1.0, (time.perf_counter() - self._start) / self.seconds)
        factor = self.floor + (1 - self.floor) * 0.5 * (1 + math.cos(math.pi * fraction))
        self.model.optimizer.learning_rate.assign(self.rate * factor)


def fit_autoencoder(
    model: keras.Model,
    task: SentenceTask,
    seconds: float,
    batch_size: int = 128,
    learning_rate: float = 3e-3,
    loss: Any = None,
    steps_per_epoch: int = 100,
    validation_size: int = 2000,
    callbacks: list | None = None,
    seed: int = 0,
    pad_to_multiple: int = 4,
    run_eagerly: bool = False,
    max_steps: int | None = None,
    monitor: Sequence[str] | None = None,
    monitor_every: int = 1,
) -> tuple[dict, Any]:
    """Train an autoencoder on `task.train` with teacher forcing (Adam), for a time or a count.

    Args:
        model: a sequence, denoising or variational autoencoder.
        task: the `SentenceTask`.
        seconds: float > 0. Wall-clock budget (`lmkeras.training.fit_with_budget`); with
            `max_steps`, an upper bound only.
        batch_size: int ≥ 1. Defaults to `128`.
        learning_rate: float > 0. Adam's starting rate (gradients clipped at norm 1), lowered
            along a cosine to 5% of it: over `max_steps` steps when given, otherwise over the
            `seconds` (`TimeCosineDecay`). Defaults to `3e-3`.
        loss: a Keras loss, or None for `MaskedCrossEntropy` (mean over words). Use
            `SentenceCrossEntropy` for a VAE, so that it and the KL are per sentence.
        steps_per_epoch: int ≥ 1. A validation point every this many steps. Defaults to `100`.
        validation_size: int ≥ 0. Validation sentences for the loss (`0`: no validation, and
            no second graph to compile). Defaults to `2000`.
        callbacks: extra Keras callbacks.
        seed: int. Shuffling seed. Defaults to `0`.
        pad_to_multiple: int ≥ 1. See `sentence_dataset`. Defaults to `4`.
        run_eagerly: bool. Skip tracing the training step: slower steps, no start-up cost,
            which pays for a handful of steps (quick mode). Defaults to `False`.
        max_steps: int ≥ 1 or None. Stop after this many steps (rounded up to whole epochs),
            so that the result does not depend on the machine's speed. Defaults to `None`.
        monitor: sentences to rebuild greedily every `monitor_every` epochs, or None.
        monitor_every: int ≥ 1. Defaults to `1`.

    Returns:
        `(history, budget)`: a dict of lists (`loss`, `val_loss`, `seconds`: the time at the
        end of each epoch; with `monitor`, also `monitor_step`, `token_accuracy` and `exact`
        of the greedy reconstructions) and the `TimeBudget` (steps, seconds).
    """
    check_type("model", model, keras.Model, "a keras.Model (an autoencoder)")
    check_type("task", task, SentenceTask, "a SentenceTask")
    check_positive("seconds", seconds)
    check_positive("learning_rate", learning_rate)
    check_int("validation_size", validation_size, 0)
    check_int("batch_size", batch_size)
    check_int("steps_per_epoch", steps_per_epoch)
    check_int("seed", seed, 0)
    check_int("pad_to_multiple", pad_to_multiple)
    check_bool("run_eagerly", run_eagerly)
    check_optional_int("max_steps", max_steps)
    check_int("monitor_every", monitor_every)
    if monitor is not None:
        check_texts("monitor", monitor)
    train = sentence_dataset(task.encoder, task.train, batch_size, True, seed, pad_to_multiple)
    validation = None
    if validation_size:
        sentences = task.validation[:validation_size]
        validation = sentence_dataset(task.encoder, sentences, 256, False, 0, pad_to_multiple)
    callbacks = list(callbacks or [])
    if monitor is not None:
        watcher = _ReconstructionMonitor(task.encoder, monitor, monitor_every)
        callbacks.append(watcher)
    if check_optional_int("max_steps", max_steps) is None:
        rate, max_epochs = learning_rate, 10_000
        callbacks.insert(0, TimeCosineDecay(seconds, learning_rate))
    else:
        rate = keras.optimizers.schedules.CosineDecay(learning_rate, max_steps, alpha=0.05)
        max_epochs = -(-max_steps // check_int("steps_per_epoch", steps_per_epoch))
    model.compile(
        optimizer=keras.optimizers.Adam(rate, clipnorm=1.0),
        loss=loss if loss is not None else MaskedCrossEntropy(),
        run_eagerly=check_bool("run_eagerly", run_eagerly),
    )
    history, budget = fit_with_budget(
        model, train.repeat(), validation, seconds, steps_per_epoch, None, max_epochs, callbacks
    )
    values = {k: [float(v) for v in vs] for k, vs in history.history.items()}
    values["seconds"] = list(budget.epoch_seconds)
    if monitor is not None:
        values.update(watcher.history)
    return values, budget


def _codes(encoder: keras.Model, ids: np.ndarray) -> Any:
    out = encoder(ids, training=False)
    codes = out[0] if isinstance(out, (list, tuple)) else out  # a VAE's mean
    return ops.cast(codes, "float32")  # bfloat16 or float16 under mixed precision


def encode_sentences(
    model: keras.Model, encoder: PairEncoder, sentences: Sequence[str], batch_size: int = 512
) -> np.ndarray:
    """Codes of sentences: the encoder sub-model's output (the mean μ for a VAE).

    Returns:
        float32 array `(len(sentences), code_dim)`.
    """
    check_type("encoder", encoder, PairEncoder, "a PairEncoder")
    sentences = check_texts("sentences", sentences)
    check_int("batch_size", batch_size)
    ids = encoder._encode(encoder.source, sentences, "sentences")
    model_encoder = autoencoder_parts(model).encoder
    codes = []
    for start in range(0, len(ids), batch_size):
        out = _codes(model_encoder, _pad(ids[start : start + batch_size], None))
        codes.append(ops.convert_to_numpy(ops.cast(out, "float32")))
    return np.concatenate(codes)


def decode_codes(
    model: keras.Model,
    encoder: PairEncoder,
    codes: Any,
    max_new_tokens: int = 20,
    num_beams: int = 1,
    sampler: Any = None,
    seed: int | None = None,
) -> list[str]:
    """Sentences decoded from codes, greedily, by beam search, or with a sampler.

    Args:
        model: a sequence, denoising or variational autoencoder.
        encoder: its `PairEncoder`.
        codes: float `(n, code_dim)`.
        max_new_tokens: int ≥ 1. Longest output, `[end]` included. Defaults to `20`.
        num_beams: int ≥ 1. `1` is greedy (or `sampler`). Defaults to `1`.
        sampler: a `lmkeras.sampling` sampler, or None for greedy. Only with `num_beams=1`.
        seed: int or None. Seed of a stochastic sampler.

    Returns:
        list of str, one per code, stopping at `[end]`.
    """
    check_type("encoder", encoder, PairEncoder, "a PairEncoder")
    check_int("num_beams", num_beams)
    check_int("max_new_tokens", max_new_tokens)
    codes = check_numbers("codes", codes, ndim=2).astype("float32")
    step = autoencoder_step_fn(model, codes)
    prompt = np.full((len(codes), 1), START_ID, "int32")
    if num_beams == 1:
        sampler = sampler or sampling.GreedySampler()
        ids = sampling.generate(step, prompt, max_new_tokens, sampler, end_id=END_ID, seed=seed)
    else:
        ids, _ = sampling.beam_search(step, prompt, max_new_tokens, num_beams, end_id=END_ID)
    return [encoder.decode_target(row[1:]) for row in ops.convert_to_numpy(ids)]


def reconstruct(
    model: keras.Model,
    encoder: PairEncoder,
    sentences: Sequence[str],
    num_beams: int = 1,
    batch_size: int = 512,
) -> list[str]:
    """Encode each sentence, then decode its code (greedy, or beam search).

    Sentences are batched by length; each may write up to its length + 5 words before `[end]`.

    Returns:
        list of str, the reconstructions in the order of `sentences`.
    """
    check_type("encoder", encoder, PairEncoder, "a PairEncoder")
    sentences = check_texts("sentences", sentences)
    check_int("batch_size", batch_size)
    check_int("num_beams", num_beams)
    ids = encoder._encode(encoder.source, sentences, "sentences")
    order = np.argsort([len(row) for row in ids], kind="stable")
    model_encoder = autoencoder_parts(model).encoder
    out = [""] * len(sentences)
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        batch = _pad([ids[i] for i in rows], None)
        codes = _codes(model_encoder, batch)
        longest = batch.shape[1]
        texts = decode_codes(model, encoder, ops.convert_to_numpy(codes), longest + 6, num_beams)
        for i, text in zip(rows, texts):
            out[i] = text
    return out


def as_seen(encoder: PairEncoder, sentences: Sequence[str]) -> list[str]:
    """Sentences as the model sees them: normalised, out-of-vocabulary words as `[UNK]`."""
    check_type("encoder", encoder, PairEncoder, "a PairEncoder")
    ids = encoder._encode(encoder.target, check_texts("sentences", sentences), "sentences")
    return [" ".join(encoder.target.vocabulary[i] for i in row) for row in ids]


def reconstruction_scores(
    encoder: PairEncoder, sentences: Sequence[str], reconstructions: Sequence[str]
) -> dict:
    """Token accuracy and exact-sentence rate of reconstructions, overall and by length.

    Each sentence is compared as the model sees it (`as_seen`): its n words and `[end]` against
    the first n + 1 words of the reconstruction and its `[end]`, position by position.

    Returns:
        dict with `token_accuracy` and `exact` (fractions), `sentences`, `tokens`, and
        `by_length`: `{n: {"token_accuracy", "exact", "sentences"}}`.

    Example:
    >>> enc = sentence_encoder(["a b c", "a b"], 10)
    >>> scores = reconstruction_scores(enc, ["a b c", "a b"], ["a b c", "a c"])
    >>> scores["token_accuracy"], scores["exact"]  # 4 of 4 tokens, then 2 of 3
    (0.8571428571428571, 0.5)
    """
    reconstructions = check_texts("reconstructions", reconstructions, allow_empty=True)
    references = as_seen(encoder, sentences)
    if len(references) != len(reconstructions):
        raise ValueError(
            f"`reconstructions` must hold one text per sentence; received "
            f"{len(reconstructions)} for {len(references)} sentences."
        )
    by_length: dict[int, list[int]] = {}
    for reference, hypothesis in zip(references, reconstructions):
        target = reference.split() + [END]
        written = hypothesis.split() + [END]
        right = sum(a == b for a, b in zip(target, written))
        row = by_length.setdefault(len(target) - 1, [0, 0, 0, 0])  # right, tokens, exact, n
        row[0] += right
        row[1] += len(target)
        row[2] += right == len(target) and len(written) == len(target)
        row[3] += 1
    totals = np.sum(list(by_length.values()), axis=0)
    return {
        "token_accuracy": float(totals[0] / totals[1]),
        "exact": float(totals[2] / totals[3]),
        "sentences": int(totals[3]),
        "tokens": int(totals[1]),
        "by_length": {
            n: {"token_accuracy": r / t, "exact": e / c, "sentences": c}
            for n, (r, t, e, c) in sorted(by_length.items())
        },
    }


def corrupt_sentences(
    encoder: PairEncoder,
    sentences: Sequence[str],
    rate: float,
    kinds: Sequence[str] = KINDS,
    seed: int = 0,
) -> list[str]:
    """Sentences corrupted by `WordCorruption` (masked words become `[UNK]`), as text.

    Args:
        encoder: the task's `PairEncoder`.
        sentences: normalised sentences.
        rate: float in [0, 1). Fraction of words picked.
        kinds: subset of `("drop", "mask", "swap")`. Defaults to all three.
        seed: int. Seed of the corruption. Defaults to `0`.

    Returns:
        list of str (a sentence whose every word was dropped becomes "").
    """
    check_type("encoder", encoder, PairEncoder, "a PairEncoder")
    layer = WordCorruption(rate, kinds, mask_id=1, seed=seed)
    ids = _pad(
        encoder._encode(encoder.source, check_texts("sentences", sentences), "sentences"), None
    )
    out = ops.convert_to_numpy(layer(ids, training=True))
    return [encoder.decode_source(row) for row in out]


def elbo_terms(
    model: keras.Model,
    encoder: PairEncoder,
    sentences: Sequence[str],
    seed: int = 0,
    batch_size: int = 512,
) -> dict:
    """A VAE's ELBO on sentences, in nats per sentence (one draw of z per sentence).

    reconstruction = −log p(x | z) with z = μ + σ ε drawn from q(z | x); KL = KL(q(z | x) ‖
    N(0, I)) in closed form; ELBO = −(reconstruction + KL), a lower bound of log p(x).

    Returns:
        dict of floats: `reconstruction`, `kl`, `elbo` (means over sentences), and
        `words` (mean words per sentence, `[end]` included), so `-elbo / words` is nats/word.
    """
    check_type("encoder", encoder, PairEncoder, "a PairEncoder")
    sentences = check_texts("sentences", sentences)
    check_int("batch_size", batch_size)
    model_encoder = autoencoder_parts(model).encoder
    if len(model_encoder.outputs) != 2:
        raise TypeError(
            f"`model` must be a variational autoencoder (build_variational_autoencoder), whose "
            f"encoder gives the mean and log-variance; received {model.name!r}, whose encoder "
            f"gives one code."
        )
    generator = keras.random.SeedGenerator(check_int("seed", seed, 0))
    loss = SentenceCrossEntropy(reduction=None)
    totals = {"reconstruction": 0.0, "kl": 0.0, "words": 0.0}
    for start in range(0, len(sentences), batch_size):
        chunk = sentences[start : start + batch_size]
        ids = encoder.encode_sources(chunk)
        decoder_inputs, targets = encoder.encode_targets(chunk)
        mean, log_var = model_encoder(ids, training=False)
        noise = keras.random.normal(ops.shape(mean), seed=generator)
        z = ops.cast(mean, "float32") + ops.exp(0.5 * ops.cast(log_var, "float32")) * noise
        logits = decode_with_codes(model, decoder_inputs, z)
        totals["reconstruction"] += float(ops.convert_to_numpy(ops.sum(loss(targets, logits))))
        totals["kl"] += float(ops.convert_to_numpy(ops.sum(gaussian_kl(mean, log_var))))
        totals["words"] += float((targets != 0).sum())
    means = {k: v / len(sentences) for k, v in totals.items()}
    return {**means, "elbo": -(means["reconstruction"] + means["kl"])}


class ELBOMonitor(keras.callbacks.Callback):
    """After every epoch, record a VAE's β, KL and reconstruction term on fixed sentences.

    Attributes:
        history: dict of lists `beta`, `kl`, `reconstruction`, `elbo` (nats per sentence).
    """

    def __init__(self, encoder: PairEncoder, sentences: Sequence[str], seed: int = 0):
        super().__init__()
        self.encoder = check_type("encoder", encoder, PairEncoder, "a PairEncoder")
        self.sentences = check_texts("sentences", sentences)
        self.seed = check_int("seed", seed, 0)
        self.history: dict[str, list[float]] = {
            "beta": [],
            "kl": [],
            "reconstruction": [],
            "elbo": [],
        }

    def on_epoch_end(self, epoch, logs=None):
        terms = elbo_terms(self.model, self.encoder, self.sentences, self.seed)
        self.history["beta"].append(float(self.model.get_layer("kl").beta()))
        for key in ("kl", "reconstruction", "elbo"):
            self.history[key].append(terms[key])


class _ReconstructionMonitor(keras.callbacks.Callback):
    """Every `every` epochs, rebuild fixed sentences greedily and record the two scores."""

    def __init__(self, encoder: PairEncoder, sentences: Sequence[str], every: int = 1):
        super().__init__()
        self.encoder = encoder
        self.sentences = check_texts("sentences", sentences)
        self.every = check_int("every", every)
        self.steps = 0
        self.history: dict[str, list] = {"monitor_step": [], "token_accuracy": [], "exact": []}

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        rebuilt = reconstruct(self.model, self.encoder, self.sentences)
        scores = reconstruction_scores(self.encoder, self.sentences, rebuilt)
        self.history["monitor_step"].append(self.steps)
        for key in ("token_accuracy", "exact"):
            self.history[key].append(scores[key])


def interpolate(
    model: keras.Model, encoder: PairEncoder, first: str, second: str, steps: int = 5
) -> list[str]:
    """Greedy sentences decoded along the straight line between two sentences' codes.

    Returns:
        `steps` sentences, from the code of `first` (t = 0) to the code of `second` (t = 1).
    """
    check_int("steps", steps, 2)
    check_str("first", first)
    check_str("second", second)
    a, b = encode_sentences(model, encoder, [first, second])
    t = np.linspace(0.0, 1.0, steps, dtype="float32")[:, None]
    return decode_codes(model, encoder, (1 - t) * a + t * b)


def sample_prior(
    model: keras.Model, encoder: PairEncoder, n: int, seed: int = 0, max_new_tokens: int = 20
) -> list[str]:
    """Greedy sentences decoded from n codes drawn from a VAE's prior N(0, I)."""
    check_type("encoder", encoder, PairEncoder, "a PairEncoder")
    check_int("n", n)
    check_int("seed", seed, 0)
    check_int("max_new_tokens", max_new_tokens)
    code_dim = autoencoder_parts(model).code_dim
    codes = np.random.default_rng(seed).normal(size=(n, code_dim)).astype("float32")
    return decode_codes(model, encoder, codes, max_new_tokens)


__all__ = [
    "ELBOMonitor",
    "TimeCosineDecay",
    "SentenceTask",
    "as_seen",
    "corrupt_sentences",
    "decode_codes",
    "elbo_terms",
    "encode_sentences",
    "english_task",
    "fit_autoencoder",
    "interpolate",
    "reconstruct",
    "reconstruction_scores",
    "sample_prior",
    "sentence_dataset",
    "sentence_encoder",
]

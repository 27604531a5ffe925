"""Data for translation: normalised word ids with `[start]`/`[end]`, length buckets, references.

The course translates **Spanish → English** on the fixed spa-eng split (`lmkeras.data`), in
chapters 09 and 10 alike. `PairEncoder` holds a source and a target vocabulary built on the
training pairs only and turns (source, target) sentences into model inputs:

    source ids         ¿ dónde está ? → [12, 48, 30, 9]
    decoder inputs     [start] where is it ?        (what the decoder has seen so far)
    decoder targets    where is it ? [end]          (what it must predict at each position)

Target id 2 is always `[start]` and 3 is `[end]` (0 is padding and 1 is `[UNK]`, as in every
`WordTokenizer`). `translation_dataset` batches pairs of similar length together, so a batch
is padded only to its own longest sentence: most sentences have 5–10 words and padding every
batch to the longest one in the corpus would triple the work.

Data: Tatoeba project (https://tatoeba.org), CC-BY 2.0, via manythings.org/anki.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from lmkeras import sampling
from lmkeras.metrics import BleuScore, corpus_bleu
from lmkeras.text import WordTokenizer, clean_text

START = "[start]"
END = "[end]"
START_ID = 2
END_ID = 3


def normalize(text: str) -> str:
    """The course's translation normalisation: NFKC, lower case, punctuation as tokens.

    Example:
    >>> normalize("¿Dónde está?")
    '¿ dónde está ?'
    """
    return clean_text(text, lower=True, punctuation="separate")


def _check_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"`{name}` must be an int ≥ {minimum}; received {name}={value!r}.")
    return int(value)


def swap_pairs(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """(English, Spanish) pairs as stored in spa-eng → (Spanish, English) for spa→eng."""
    return [(target, source) for source, target in pairs]


class PairEncoder:
    """Source and target vocabularies, and the encoding of sentence pairs into ids.

    Args:
        source_vocabulary: words of the source vocabulary (without padding and `[UNK]`).
        target_vocabulary: words of the target vocabulary (without padding, `[UNK]`,
            `[start]` and `[end]`, which are added as ids 0, 1, 2 and 3).
        max_length: int ≥ 1. Longest sentence, in words (`[start]`/`[end]` not counted), that
            the encoders accept: a model's position table must be at least this long. Longer
            sentences are refused, never truncated silently. Defaults to `64` (the longest
            spa-eng sentence has 51 words). To train on shorter pairs only, use `filter_pairs`.

    Example:
    >>> enc = PairEncoder.from_pairs([("hola .", "hello ."), ("adiós .", "bye .")], 100, 100)
    >>> enc.source.vocabulary  # ".", the most frequent word, comes first
    ['', '[UNK]', '.', 'hola', 'adiós']
    >>> enc.encode_sources(["hola ."]).tolist()
    [[3, 2]]
    >>> [x.tolist() for x in enc.encode_targets(["hello ."])]
    [[[2, 5, 4]], [[5, 4, 3]]]
    >>> enc.decode_target([5, 4, 3, 0])
    'hello .'
    """

    def __init__(
        self,
        source_vocabulary: Sequence[str],
        target_vocabulary: Sequence[str],
        max_length: int = 64,
    ):
        self.max_length = _check_int("max_length", max_length, 1)
        targets = [w for w in target_vocabulary if w not in (START, END)]
        self.source = WordTokenizer(source_vocabulary)
        self.target = WordTokenizer([START, END, *targets])

    @classmethod
    def from_pairs(
        cls,
        pairs: Sequence[tuple[str, str]],
        source_vocab_size: int,
        target_vocab_size: int,
        max_length: int = 64,
    ) -> PairEncoder:
        """Build both vocabularies from (source, target) pairs, normalising the text first.

        Args:
            pairs: (source, target) sentence pairs: the training part only.
            source_vocab_size: int ≥ 3. Source ids including padding and `[UNK]`.
            target_vocab_size: int ≥ 5. Target ids including padding, `[UNK]`, `[start]` and
                `[end]`.
            max_length: int ≥ 1. See the class docstring.
        """
        _check_int("source_vocab_size", source_vocab_size, 3)
        _check_int("target_vocab_size", target_vocab_size, 5)
        if not pairs:
            raise ValueError("`pairs` must hold at least one (source, target) pair; received 0.")
        source = WordTokenizer.from_texts((normalize(s) for s, _ in pairs), source_vocab_size)
        target = WordTokenizer.from_texts((normalize(t) for _, t in pairs), target_vocab_size - 2)
        return cls(source.vocabulary[2:], target.vocabulary[2:], max_length)

    @property
    def source_vocab_size(self) -> int:
        return self.source.vocab_size

    @property
    def target_vocab_size(self) -> int:
        return self.target.vocab_size

    def _encode(self, tokenizer: WordTokenizer, texts: Iterable[str], name: str) -> list:
        rows = [tokenizer.encode(normalize(text)) for text in texts]
        too_long = [i for i, row in enumerate(rows) if len(row) > self.max_length]
        if too_long:
            raise ValueError(
                f"`{name}` has {len(too_long)} sentence(s) longer than max_length="
                f"{self.max_length} words (first at index {too_long[0]}, "
                f"{len(rows[too_long[0]])} words). Use `filter_pairs` or a larger max_length."
            )
        return rows

    def encode_sources(self, texts: Iterable[str], length: int | None = None) -> np.ndarray:
        """Source ids, padded with 0 after the words to `length` (default: the longest text).

        Returns:
            int32 array `(len(texts), length)`.
        """
        rows = self._encode(self.source, texts, "texts")
        return _pad(rows, length)

    def encode_targets(
        self, texts: Iterable[str], length: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Decoder inputs `[start] w1 … wn` and targets `w1 … wn [end]`, padded with 0.

        Returns:
            `(decoder_inputs, decoder_targets)`, int32 arrays `(len(texts), length)`, where
            `length` defaults to the longest text plus one.
        """
        rows = self._encode(self.target, texts, "texts")
        inputs = [np.concatenate([[START_ID], row]) for row in rows]
        targets = [np.concatenate([row, [END_ID]]) for row in rows]
        return _pad(inputs, length), _pad(targets, length)

    def decode_target(self, ids: Iterable[int]) -> str:
        """Target words up to the first `[end]`, without `[start]` and padding."""
        words = []
        for i in np.asarray(ids).reshape(-1).tolist():
            if i == END_ID:
                break
            if i not in (0, START_ID):
                words.append(self.target.vocabulary[i])
        return " ".join(words)

    def decode_source(self, ids: Iterable[int]) -> str:
        """Source words, without padding."""
        return self.source.decode(ids)

    def get_config(self) -> dict:
        return {
            "source_vocabulary": self.source.vocabulary[2:],
            "target_vocabulary": self.target.vocabulary[4:],
            "max_length": self.max_length,
        }

    def save(self, path: str) -> None:
        """Write the vocabularies as JSON (a model's `.keras` file does not hold them)."""
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.get_config(), f, ensure_ascii=False)

    @classmethod
    def load(cls, path: str) -> PairEncoder:
        with open(path, encoding="utf-8") as f:
            return cls(**json.load(f))


def _pad(rows: Sequence[np.ndarray], length: int | None) -> np.ndarray:
    longest = max((len(r) for r in rows), default=0)
    length = max(longest, 1) if length is None else length
    if longest > length:
        raise ValueError(f"`length`={length} is shorter than the longest row ({longest}).")
    out = np.zeros((len(rows), length), dtype="int32")
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out


def filter_pairs(
    pairs: Sequence[tuple[str, str]], max_words: int
) -> tuple[list[tuple[str, str]], int]:
    """Keep the pairs whose both sides have at most `max_words` words once normalised.

    Returns:
        `(kept_pairs, number_dropped)`.

    Example:
    >>> filter_pairs([("a b c", "x"), ("a", "x y")], 2)
    ([('a', 'x y')], 1)
    """
    _check_int("max_words", max_words, 1)
    kept = [p for p in pairs if all(len(normalize(text).split()) <= max_words for text in p)]
    return kept, len(pairs) - len(kept)


def translation_dataset(
    encoder: PairEncoder,
    pairs: Sequence[tuple[str, str]],
    batch_size: int,
    shuffle: bool = True,
    seed: int = 0,
    pad_to_multiple: int = 4,
) -> tf.data.Dataset:
    """Batches `((source_ids, decoder_inputs), decoder_targets)` for `model.fit`.

    Pairs are sorted by length and cut into batches, so each batch is padded only to its own
    longest sentence (rounded up to a multiple of `pad_to_multiple`, which bounds the number
    of distinct shapes an XLA-compiled step sees). With `shuffle`, the pairs are shuffled
    before sorting (ties in random order) and the batches are shuffled every epoch.

    Args:
        encoder: the `PairEncoder`.
        pairs: (source, target) sentence pairs, each side at most `encoder.max_length` words.
        batch_size: int ≥ 1.
        shuffle: bool. Defaults to `True`.
        seed: int. Seed of the shuffles. Defaults to `0`.
        pad_to_multiple: int ≥ 1. Defaults to `4`.

    Returns:
        `tf.data.Dataset` of int32 `((batch, S), (batch, T))`, `(batch, T)` tuples.
    """
    _check_int("batch_size", batch_size, 1)
    _check_int("pad_to_multiple", pad_to_multiple, 1)
    if not pairs:
        raise ValueError("`pairs` must hold at least one pair; received 0.")
    sources = encoder._encode(encoder.source, (s for s, _ in pairs), "pairs (source side)")
    targets = encoder._encode(encoder.target, (t for _, t in pairs), "pairs (target side)")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(pairs)) if shuffle else np.arange(len(pairs))
    lengths = np.array([max(len(sources[i]), len(targets[i]) + 1) for i in order])
    order = order[np.argsort(lengths, kind="stable")]
    batches = []
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        src = [sources[i] for i in rows]
        tgt = [targets[i] for i in rows]
        s_len = -(-max(len(r) for r in src) // pad_to_multiple) * pad_to_multiple
        t_len = -(-max(len(r) + 1 for r in tgt) // pad_to_multiple) * pad_to_multiple
        dec_in = [np.concatenate([[START_ID], r]) for r in tgt]
        dec_out = [np.concatenate([r, [END_ID]]) for r in tgt]
        batches.append((_pad(src, s_len), _pad(dec_in, t_len), _pad(dec_out, t_len)))

    def generator():
        epoch_order = rng.permutation(len(batches)) if shuffle else range(len(batches))
        for index in epoch_order:
            src, dec_in, dec_out = batches[index]
            yield (src, dec_in), dec_out

    spec = tf.TensorSpec((None, None), tf.int32)
    dataset = tf.data.Dataset.from_generator(generator, output_signature=((spec, spec), spec))
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(len(batches)))
    return dataset.prefetch(tf.data.AUTOTUNE)


def group_references(
    pairs: Sequence[tuple[str, str]],
) -> tuple[list[str], list[list[str]]]:
    """Distinct sources in first-appearance order, each with all its targets as references.

    Example:
    >>> group_references([("hola", "hi"), ("adiós", "bye"), ("hola", "hello")])
    (['hola', 'adiós'], [['hi', 'hello'], ['bye']])
    """
    references: dict[str, list[str]] = {}
    for source, target in pairs:
        references.setdefault(source, []).append(target)
    return list(references), list(references.values())


@dataclass(frozen=True)
class TranslationTask:
    """The course's spa→eng task: encoder, training pairs and evaluation pairs.

    Attributes:
        encoder: `PairEncoder` built on the training pairs.
        train: (Spanish, English) training pairs with at most `max_train_words` words a side.
        validation: (Spanish, English) validation pairs, same filter.
        test: every (Spanish, English) test pair (never filtered: BLEU is on the whole split).
        dropped: number of training and validation pairs removed by the length filter.
    """

    encoder: PairEncoder
    train: list
    validation: list
    test: list
    dropped: int


def spa_eng_task(
    source_vocab_size: int = 16000,
    target_vocab_size: int = 10000,
    max_train_words: int = 24,
    train_size: int | None = None,
) -> TranslationTask:
    """Spanish → English on the fixed spa-eng split, as chapters 09 and 10 use it.

    Args:
        source_vocab_size: int. Spanish ids, padding and `[UNK]` included. Defaults to 16,000
            (2.2% of test words out of vocabulary).
        target_vocab_size: int. English ids, padding, `[UNK]`, `[start]`, `[end]` included.
            Defaults to 10,000 (0.9% out of vocabulary).
        max_train_words: int. Longer training/validation pairs are dropped (about 0.1%).
        train_size: int or None. Keep only the first `train_size` training pairs (quick mode).

    Returns:
        `TranslationTask`.
    """
    from lmkeras.data import load_spa_eng_split

    split = load_spa_eng_split()
    train = swap_pairs(split.train)
    if train_size is not None:
        train = train[: _check_int("train_size", train_size, 1)]
    encoder = PairEncoder.from_pairs(train, source_vocab_size, target_vocab_size)
    train, dropped_train = filter_pairs(train, max_train_words)
    validation, dropped_validation = filter_pairs(swap_pairs(split.validation), max_train_words)
    return TranslationTask(
        encoder, train, validation, swap_pairs(split.test), dropped_train + dropped_validation
    )


def translate(
    model,
    encoder: PairEncoder,
    sources: Sequence[str],
    num_beams: int = 1,
    max_new_tokens: int | None = None,
    batch_size: int = 128,
    use_cache: bool = True,
    length_penalty: float = 1.0,
) -> list[str]:
    """Translate sentences with greedy decoding (`num_beams=1`) or beam search.

    `model` is any course translator: it has `model.step_fn(source_ids, use_cache)` returning a
    step function of the `lmkeras.sampling` contract whose prompt is `[start]`. Sentences are
    decoded in batches of similar length; decoding of a sentence stops at `[end]`.

    Args:
        model: a translator from `lmkeras.models.seq2seq`.
        encoder: the `PairEncoder` the model was trained with.
        sources: source sentences (raw text; normalised here).
        num_beams: int ≥ 1. Defaults to `1` (greedy).
        max_new_tokens: int ≥ 1, or None for twice the longest source of the batch plus 10
            words (at most `encoder.max_length + 1`).
        batch_size: int ≥ 1. Defaults to `128`.
        use_cache: bool. Let the model reuse its cache (keys/values or RNN state) between steps.
        length_penalty: float ≥ 0, for beam search (see `sampling.beam_search`).

    Returns:
        list of str, one normalised translation per source, in order.
    """
    _check_int("num_beams", num_beams, 1)
    _check_int("batch_size", batch_size, 1)
    if max_new_tokens is not None:
        _check_int("max_new_tokens", max_new_tokens, 1)
    sources = list(sources)
    ids = encoder._encode(encoder.source, sources, "sources")  # refuses over-long sentences
    order = np.argsort([len(row) for row in ids], kind="stable")
    results: list[str] = [""] * len(sources)
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        longest = max(len(ids[i]) for i in rows)
        # Pad to a multiple of 8 (within max_length): fewer shapes for a compiled step.
        length = min(max(-(-longest // 8) * 8, 8), max(encoder.max_length, longest))
        source_ids = _pad([ids[i] for i in rows], length)
        step = model.step_fn(source_ids, use_cache=use_cache)
        new_tokens = max_new_tokens or min(2 * longest + 10, encoder.max_length + 1)
        prompt = np.full((len(rows), 1), START_ID, "int32")
        if num_beams == 1:
            out = sampling.generate(
                step, prompt, new_tokens, sampling.GreedySampler(), end_id=END_ID
            )
        else:
            out, _ = sampling.beam_search(
                step, prompt, new_tokens, num_beams, length_penalty, end_id=END_ID
            )
        out = ops.convert_to_numpy(out)
        for row, index in zip(out, rows):
            results[index] = encoder.decode_target(row[1:])
    return results


def fit_translator(
    model,
    encoder: PairEncoder,
    train_pairs: Sequence[tuple[str, str]],
    validation_pairs: Sequence[tuple[str, str]] | None,
    epochs: int,
    batch_size: int = 64,
    learning_rate: float = 1e-3,
    warmup_fraction: float = 0.05,
    weight_decay: float = 0.01,
    label_smoothing: float = 0.0,
    jit_compile: bool | str = "auto",
    callbacks: list | None = None,
    verbose: int = 2,
    seed: int = 0,
):
    """Train a translator with teacher forcing: AdamW, linear warm-up, then cosine decay.

    The loss is the cross-entropy of each next target word, padding ignored. The learning rate
    rises linearly over the first `warmup_fraction` of the steps to `learning_rate`, then
    follows a cosine down to 1% of it at the last step of the last epoch.

    Args:
        model: a translator (see `translate`), not yet compiled.
        encoder: its `PairEncoder`.
        train_pairs: (source, target) pairs, each side within `encoder.max_length` words.
        validation_pairs: pairs for the validation loss at the end of each epoch, or None.
        epochs: int ≥ 1.
        batch_size: int ≥ 1. Defaults to `64`.
        learning_rate: float > 0. Peak learning rate. Defaults to `1e-3`.
        warmup_fraction: float in [0, 1). Defaults to `0.05`.
        weight_decay: float ≥ 0. AdamW's decoupled weight decay. Defaults to `0.01`.
        label_smoothing: float in [0, 1). Spread this much probability over the vocabulary
            in the targets (Szegedy et al., 2016). Defaults to `0.0`.
        jit_compile: passed to `model.compile`. Defaults to `"auto"`.
        callbacks: extra Keras callbacks.
        verbose: `fit`'s verbosity. Defaults to `2` (one line per epoch).
        seed: int. Shuffling seed. Defaults to `0`.

    Returns:
        The `History` of `model.fit`.
    """
    _check_int("epochs", epochs, 1)
    if not 0 <= warmup_fraction < 1:
        raise ValueError(f"`warmup_fraction` must be in [0, 1); received {warmup_fraction!r}.")
    if not 0 <= label_smoothing < 1:
        raise ValueError(f"`label_smoothing` must be in [0, 1); received {label_smoothing!r}.")
    train = translation_dataset(encoder, train_pairs, batch_size, shuffle=True, seed=seed)
    validation = None
    if validation_pairs:
        validation = translation_dataset(encoder, validation_pairs, batch_size, shuffle=False)
    total = int(train.cardinality()) * epochs
    warmup = int(warmup_fraction * total)
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0 if warmup else learning_rate,
        decay_steps=max(total - warmup, 1),
        alpha=0.01,
        warmup_target=learning_rate if warmup else None,
        warmup_steps=warmup,
    )
    model.compile(
        optimizer=keras.optimizers.AdamW(schedule, weight_decay=weight_decay),
        loss=MaskedCrossEntropy(label_smoothing),
        jit_compile=jit_compile,
    )
    return model.fit(
        train, validation_data=validation, epochs=epochs, callbacks=callbacks, verbose=verbose
    )


@keras.saving.register_keras_serializable(package="lmkeras")
class MaskedCrossEntropy(keras.losses.Loss):
    """Mean next-word cross-entropy over real target words (id 0, padding, is ignored).

    Args:
        label_smoothing: float in [0, 1). Defaults to `0.0`.

    Example:
    >>> loss = MaskedCrossEntropy()
    >>> logits = np.log(np.array([[[0.5, 0.5], [0.9, 0.1]]], "float32"))
    >>> round(float(loss(np.array([[1, 0]]), logits)), 4)  # only the first position counts
    0.6931
    """

    def __init__(self, label_smoothing=0.0, name="masked_cross_entropy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.label_smoothing = label_smoothing

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, "int32")
        log_probs = ops.log_softmax(ops.cast(y_pred, "float32"), axis=-1)
        picked = ops.take_along_axis(log_probs, y_true[..., None], axis=-1)[..., 0]
        nll = -picked
        if self.label_smoothing:
            uniform = -ops.mean(log_probs, axis=-1)
            nll = (1 - self.label_smoothing) * nll + self.label_smoothing * uniform
        mask = ops.cast(ops.not_equal(y_true, 0), "float32")
        # One scalar: the mean over real words of the whole batch, so a batch of short
        # sentences does not weigh as much as a batch of long ones per word.
        return ops.sum(nll * mask) / ops.maximum(ops.sum(mask), 1.0)

    def get_config(self):
        return {**super().get_config(), "label_smoothing": self.label_smoothing}


def translation_bleu(hypotheses: Sequence[str], references: Sequence[Sequence[str]]) -> BleuScore:
    """The course's BLEU: sacrebleu's defaults (13a tokens, exp smoothing), lower-cased.

    The models write lower-case text, so BLEU is case-insensitive; 13a re-tokenizes both sides
    the same way, so "it's here ." and "It's here." compare equal.
    """
    return corpus_bleu(hypotheses, references, tokenize="13a", lowercase=True)

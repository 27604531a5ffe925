"""Translation pairs as model inputs: word ids with `[start]`/`[end]`, length buckets, references.

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

import numpy as np
import tensorflow as tf

from lmkeras._checks import (
    check_bool,
    check_int,
    check_optional_int,
    check_pairs,
    check_path,
    check_texts,
    check_token_ids,
    check_type,
)
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


def swap_pairs(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """(English, Spanish) pairs as stored in spa-eng → (Spanish, English) for spa→eng."""
    return [(target, source) for source, target in check_pairs("pairs", pairs, allow_empty=True)]


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
        self.max_length = check_int("max_length", max_length, 1)
        source_vocabulary = check_texts("source_vocabulary", source_vocabulary, allow_empty=True)
        target_vocabulary = check_texts("target_vocabulary", target_vocabulary, allow_empty=True)
        targets = [w for w in target_vocabulary if w not in (START, END)]
        self.source = WordTokenizer(source_vocabulary)
        self.target = WordTokenizer([START, END, *targets])

    @classmethod
    def from_pairs(
        cls,
        pairs: Sequence[tuple[str, str]],
        source_vocabulary_size: int,
        target_vocabulary_size: int,
        max_length: int = 64,
    ) -> PairEncoder:
        """Build both vocabularies from (source, target) pairs, normalising the text first.

        Args:
            pairs: (source, target) sentence pairs: the training part only.
            source_vocabulary_size: int ≥ 3. Source ids including padding and `[UNK]`.
            target_vocabulary_size: int ≥ 5. Target ids including padding, `[UNK]`, `[start]` and
                `[end]`.
            max_length: int ≥ 1. See the class docstring.
        """
        check_int("source_vocabulary_size", source_vocabulary_size, 3)
        check_int("target_vocabulary_size", target_vocabulary_size, 5)
        pairs = check_pairs("pairs", pairs)
        source = WordTokenizer.from_texts((normalize(s) for s, _ in pairs), source_vocabulary_size)
        target = WordTokenizer.from_texts(
            (normalize(t) for _, t in pairs), target_vocabulary_size - 2
        )
        return cls(source.vocabulary[2:], target.vocabulary[2:], max_length)

    @property
    def source_vocabulary_size(self) -> int:
        return self.source.vocabulary_size

    @property
    def target_vocabulary_size(self) -> int:
        return self.target.vocabulary_size

    def _encode(self, tokenizer: WordTokenizer, texts: Iterable[str], name: str) -> list:
        texts = check_texts(name, texts, allow_empty=True)
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
        return _pad(rows, check_optional_int("length", length))

    def encode_targets(
        self, texts: Iterable[str], length: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Decoder inputs `[start] w1 … wn` and targets `w1 … wn [end]`, padded with 0.

        Returns:
            `(decoder_inputs, decoder_targets)`, int32 arrays `(len(texts), length)`, where
            `length` defaults to the longest text plus one.
        """
        rows = self._encode(self.target, texts, "texts")
        length = check_optional_int("length", length)
        inputs = [np.concatenate([[START_ID], row]) for row in rows]
        targets = [np.concatenate([row, [END_ID]]) for row in rows]
        return _pad(inputs, length), _pad(targets, length)

    def decode_target(self, ids: Iterable[int]) -> str:
        """Target words up to the first `[end]`, without `[start]` and padding."""
        words = []
        for i in check_token_ids("ids", ids, self.target_vocabulary_size).reshape(-1).tolist():
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
        with open(check_path("path", path), "w", encoding="utf-8") as f:
            json.dump(self.get_config(), f, ensure_ascii=False)

    @classmethod
    def load(cls, path: str) -> PairEncoder:
        """The encoder `save` wrote to `path`."""
        with open(check_path("path", path), encoding="utf-8") as f:
            try:
                config = json.load(f)
            except json.JSONDecodeError as error:
                raise ValueError(
                    f"`path` {str(path)!r} is not a PairEncoder's JSON file ({error})."
                ) from None
        if not isinstance(config, dict) or not {"source_vocabulary", "target_vocabulary"} <= set(
            config
        ):
            raise ValueError(
                f"`path` {str(path)!r} does not hold a PairEncoder's vocabularies (the JSON "
                f"`save` writes)."
            )
        return cls(**config)


def _pad(rows: Sequence[np.ndarray], length: int | None) -> np.ndarray:
    longest = max((len(r) for r in rows), default=0)
    length = max(longest, 1) if length is None else length
    if longest > length:
        raise ValueError(
            f"`length` must be at least the longest row ({longest}); received length={length}."
        )
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
    check_int("max_words", max_words, 1)
    pairs = check_pairs("pairs", pairs, allow_empty=True)
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
        shuffle: bool. Defaults to `True`. Training data (shuffled) must hold at least
            `batch_size` pairs, or every epoch would be one short batch.
        seed: int. Seed of the shuffles. Defaults to `0`.
        pad_to_multiple: int ≥ 1. Defaults to `4`.

    Returns:
        `tf.data.Dataset` of int32 `((batch, S), (batch, T))`, `(batch, T)` tuples.
    """
    check_type("encoder", encoder, PairEncoder, "a PairEncoder")
    pairs = check_pairs("pairs", pairs)
    check_int("batch_size", batch_size, 1)
    check_int("pad_to_multiple", pad_to_multiple, 1)
    check_bool("shuffle", shuffle)
    check_int("seed", seed, 0)
    if shuffle and batch_size > len(pairs):
        raise ValueError(
            f"batch_size={batch_size} is larger than the {len(pairs)} pairs, so every epoch would "
            f"be one short batch; pass batch_size ≤ {len(pairs)} (evaluation data, "
            f"shuffle=False, may be one short batch)."
        )
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
    for source, target in check_pairs("pairs", pairs, allow_empty=True):
        references.setdefault(source, []).append(target)
    return list(references), list(references.values())

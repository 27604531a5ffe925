"""`tf.data` pipelines and the encodings that feed them (no model code).

- `windows`: next-token windows of a token stream (`next_token_windows`, `char_lm_dataset`,
  `word_lm_dataset`).
- `skipgram`: word2vec's (target, context, negatives) pairs.
- `translation`: sentence pairs as `[start]`/`[end]` word ids, length-bucketed batches,
  references for BLEU.
"""

from lmkeras import _start_tensorflow_quietly

_start_tensorflow_quietly(always=True)  # before `import tensorflow` below, on any backend

from lmkeras.datasets.windows import char_lm_dataset, next_token_windows, word_lm_dataset  # noqa: E402

__all__ = ["char_lm_dataset", "next_token_windows", "word_lm_dataset"]

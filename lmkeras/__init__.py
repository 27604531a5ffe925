"""lmkeras: learn how language models work by building them in Keras 3.

The package holds what the course notebooks import, one home for each kind of code:

    config, _checks, backend        settings, the one validator set, compile glue
    data, text, bpe                 corpora, cleaning, tokenizers
    datasets/                       tf.data pipelines (windows, skip-gram, translation pairs)
    layers/                         Keras layers and losses (attention owns the KV-cache layout)
    models/                         one module per family: builder + step function
    sampling, metrics               decoding strategies; perplexity, diversity, BLEU
    training                        generic trainers (time budget, keep-best, evaluation)
    recipes/                        each chapter's end-to-end run
    vectors, plots                  word-vector analysis; every picture
    testing, gpt_cli                shared layer/model checks; the `lmkeras-gpt` command

`import lmkeras` registers every Keras class the course saves, so `keras.saving.load_model`
loads any `.keras` file a chapter wrote (or use `lmkeras.load_model`). Importing has no other
side effects: no downloads, no printing, no global seeds.
"""

__version__ = "0.2.0"

import keras as _keras

from lmkeras import layers, models, training  # noqa: F401  (registers the saved classes)


def load_model(path, compile: bool = True):  # noqa: A002 (Keras' own argument name)
    """`keras.saving.load_model(path)` with every lmkeras class registered (they are, once
    `lmkeras` is imported; this is the same call, spelled from the package)."""
    return _keras.saving.load_model(path, compile=compile)

"""Model builders, one module per family: each holds its builder and its step function.

| module | builder | step function |
|---|---|---|
| `word2vec` | `build_word2vec` | – (vectors: `word_vectors`) |
| `ngram` | `NGramLM` (counts, not Keras) | `NGramLM.prob` |
| `rnn` | `build_rnn_lm` | `rnn_step_fn` |
| `gpt` | `build_gpt` | `gpt_step_fn`, `gpt_generate` |
| `gru_translator` | `GRUTranslator` | `GRUTranslator.step_fn` |
| `transformer_translator` | `TransformerTranslator` | `TransformerTranslator.step_fn` |
| `autoencoder` | `build_*_autoencoder` (dense, sequence, denoising, VAE) | `autoencoder_step_fn` |
| `gpt_weights` | – (a converter: GPT-2 into `build_gpt`, `load_gpt2_weights`) | – |

A model module imports only `lmkeras.layers`, `lmkeras.backend` and `lmkeras._checks`: never
another family (`gpt_weights`, GPT's converter, reads `gpt`'s parts), nor data, text or
sampling, so each can be copied alone with the layers.
Importing this package registers every Keras class the course saves in `.keras` files.
"""

from lmkeras.models.autoencoder import (
    autoencoder_step_fn,
    build_denoising_autoencoder,
    build_dense_autoencoder,
    build_sequence_autoencoder,
    build_variational_autoencoder,
)
from lmkeras.models.gpt import build_gpt, gpt_generate, gpt_step_fn
from lmkeras.models.gru_translator import GRUTranslator
from lmkeras.models.ngram import NGramLM
from lmkeras.models.rnn import build_rnn_lm, rnn_step_fn
from lmkeras.models.transformer_translator import TransformerTranslator
from lmkeras.models.word2vec import build_word2vec, word_vectors

__all__ = [
    "GRUTranslator",
    "NGramLM",
    "TransformerTranslator",
    "autoencoder_step_fn",
    "build_denoising_autoencoder",
    "build_dense_autoencoder",
    "build_gpt",
    "build_rnn_lm",
    "build_sequence_autoencoder",
    "build_variational_autoencoder",
    "build_word2vec",
    "gpt_generate",
    "gpt_step_fn",
    "rnn_step_fn",
    "word_vectors",
]

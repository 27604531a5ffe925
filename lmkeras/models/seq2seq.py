"""Encoder–decoder translators (chapters 09 and 10), one import away.

- `GRUTranslator`: GRU encoder–decoder with teacher forcing, optionally with additive (Bahdanau)
  attention (`lmkeras.models.seq2seq_gru`).
- `TransformerTranslator`: encoder–decoder Transformer with a KV cache for decoding
  (`lmkeras.models.seq2seq_transformer`).

Both follow one interface: `model((source_ids, decoder_inputs))` gives next-word logits, and
`model.step_fn(source_ids, use_cache=True)` gives the step function that
`lmkeras.sampling.generate`/`beam_search` and `lmkeras.translation.translate` drive.
"""

from lmkeras.models.seq2seq_gru import GRUTranslator
from lmkeras.models.seq2seq_transformer import TransformerTranslator

__all__ = ["GRUTranslator", "TransformerTranslator"]

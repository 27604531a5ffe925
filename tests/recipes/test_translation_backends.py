"""A tiny Transformer translator, trained for a few dozen steps with the chapter-10 recipe, writes
words on the backend under test (CI runs this file on TensorFlow, JAX and PyTorch)."""

from __future__ import annotations

import keras
import numpy as np

from lmkeras.datasets.translation import PairEncoder
from lmkeras.models import TransformerTranslator
from lmkeras.recipes.translation import fit_translator, translate

# Every source ≤ 4 words and every target ≤ 3, so all batches have one shape: one compilation.
PAIRS = [
    ("hola .", "hello ."),
    ("adiós .", "bye ."),
    ("gracias .", "thank you ."),
    ("el gato duerme", "cats sleep ."),
    ("tengo un perro", "i have dogs"),
    ("¿ dónde está ?", "where is it"),
]


def test_a_briefly_trained_translator_writes_words_on_this_backend():
    keras.utils.set_random_seed(0)
    encoder = PairEncoder.from_pairs(PAIRS, 50, 50, max_length=8)
    model = TransformerTranslator(
        encoder.source_vocabulary_size,
        encoder.target_vocabulary_size,
        max_length=10,
        hidden_dim=32,
        num_encoder_layers=1,
        num_decoder_layers=1,
        num_heads=2,
        dropout=0.0,
    )
    # jit_compile=True as notebook 10 asks on a CPU: XLA on TensorFlow and JAX; on PyTorch the
    # recipe trains eagerly, since torch.compile would recompile for every batch shape.
    history = fit_translator(
        model, encoder, PAIRS * 8, None, epochs=20, batch_size=16, learning_rate=1e-2,
        jit_compile=True, verbose=0,
    )  # fmt: skip
    assert model.jit_compile == (keras.backend.backend() != "torch")
    losses = history.history["loss"]
    assert losses[-1] < losses[0] / 2, losses
    sources = [source for source, _ in PAIRS]
    for num_beams in (1, 2):
        translations = translate(model, encoder, sources, num_beams=num_beams)
        assert all(translations), (num_beams, translations)
        words = {w for t in translations for w in t.split()}
        assert words <= set(encoder.target.vocabulary[4:]), (num_beams, translations)
    right = np.mean([t == target for t, (_, target) in zip(translations, PAIRS)])
    assert right >= 0.5, translations

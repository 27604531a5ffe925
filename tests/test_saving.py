"""Saving and loading: every registered class passes the shared checks, old `.keras` files still
load, `import lmkeras` is all a fresh process needs, and training resumes exactly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

import lmkeras
from lmkeras import layers, testing
from lmkeras.layers.losses import MaskedCrossEntropy
from lmkeras.models import GRUTranslator, TransformerTranslator, build_gpt, build_rnn_lm
from lmkeras.training import (
    DecayExcludingAdamW,
    MatrixMuon,
    build_for_training,
    compile_for_training,
)

LEGACY = Path(__file__).parent / "data" / "legacy"
RNG = np.random.default_rng(0)
X = RNG.normal(size=(2, 5, 8)).astype("float32")
ENCODED = RNG.normal(size=(2, 4, 8)).astype("float32")
IDS = RNG.integers(0, 11, (2, 6)).astype("int32")
SOURCE = RNG.integers(1, 13, (2, 5)).astype("int32")


def _check_optimizer(cls=DecayExcludingAdamW):
    optimizer = cls(1e-3, weight_decay=0.1, no_decay_names=["bias", "norm"])
    restored = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert type(restored) is cls
    assert restored.get_config() == optimizer.get_config()
    assert restored.no_decay_names == ["bias", "norm"]


def _tiny_translator(cls):
    if cls is GRUTranslator:
        return GRUTranslator(13, 11, embedding_dim=4, units=6, seed=1)
    return TransformerTranslator(13, 11, max_length=8, hidden_dim=8, num_encoder_layers=1,
                                 num_decoder_layers=1, num_heads=2, dropout=0.0)  # fmt: skip


# One entry per class registered under package "lmkeras": how the shared checks exercise it.
SWEEP = {
    "MultiHeadAttention": lambda: testing.check_layer(
        layers.MultiHeadAttention,
        {"num_heads": 2, "head_dim": 4, "rotary": True},
        X,
        call_kwargs={"use_causal_mask": True},
        mixed_precision=True,
    ),
    "AdditiveAttention": lambda: testing.check_layer(
        layers.AdditiveAttention, {"units": 4}, [X, ENCODED], run_fit=False, mixed_precision=True
    ),
    "SinusoidalEncoding": lambda: testing.check_layer(
        layers.SinusoidalEncoding, {}, X, run_fit=False, mixed_precision=True
    ),
    "PositionEmbedding": lambda: testing.check_layer(
        layers.PositionEmbedding, {"sequence_length": 8}, X, mixed_precision=True
    ),
    "TrainedContext": lambda: testing.check_layer(
        layers.TrainedContext, {"sequence_length": 4}, np.arange(12).reshape(2, 6), run_fit=False
    ),
    "RotaryEmbedding": lambda: testing.check_layer(
        layers.RotaryEmbedding, {}, X, run_fit=False, mixed_precision=True
    ),
    "FeedForward": lambda: testing.check_layer(
        layers.FeedForward,
        {"intermediate_dim": 16, "activation": "gelu_tanh"},
        X,
        mixed_precision=True,
    ),
    "TransformerEncoderBlock": lambda: testing.check_layer(
        layers.TransformerEncoderBlock,
        {"num_heads": 2, "intermediate_dim": 16},
        X,
        call_kwargs={"padding_mask": np.array([[1, 1, 1, 0, 0], [1] * 5], bool)},
        mixed_precision=True,
    ),
    "TransformerDecoderBlock": lambda: testing.check_layer(
        layers.TransformerDecoderBlock,
        {
            "num_heads": 2,
            "intermediate_dim": 16,
            "cross_attention": True,
            "activation": "relu_squared",
            "layer_norm_epsilon": 1e-6,
        },
        X,
        call_kwargs={"encoder_outputs": ENCODED},
        mixed_precision=True,
    ),  # fmt: skip
    "TiedEmbedding": lambda: testing.check_layer(
        layers.TiedEmbedding, {"vocabulary_size": 11, "output_dim": 8}, IDS, mixed_precision=True
    ),
    "MaskedCrossEntropy": lambda: testing.check_loss(
        MaskedCrossEntropy(0.1), IDS, RNG.normal(size=(2, 6, 11)).astype("float32")
    ),
    "GRUTranslator": lambda: testing.check_model(
        _tiny_translator(GRUTranslator), (SOURCE, IDS), run_fit=False
    ),
    "TransformerTranslator": lambda: testing.check_model(
        _tiny_translator(TransformerTranslator), (SOURCE, IDS), run_fit=False
    ),
    "DecayExcludingAdamW": _check_optimizer,  # resumed training: see the tests at the end
    # Trained, saved and resumed in tests/models/test_gpt_modern.py.
    "MatrixMuon": lambda: _check_optimizer(MatrixMuon),
    "LogitSoftCap": lambda: testing.check_layer(
        layers.LogitSoftCap, {"cap": 5.0}, np.linspace(-9, 9, 12).reshape(2, 6), run_fit=False
    ),  # Not training, the identity; the masks: tests/layers/test_dropout.py.
    "ThreefryDropout": lambda: testing.check_layer(
        layers.ThreefryDropout, {"rate": 0.3, "seed": 1}, RNG.normal(size=(2, 6)), run_fit=False
    ),
}


def _check_no_repeat_sampler():
    from lmkeras.hub import NoRepeatNGramSampler  # imports keras_hub: only when checked

    sampler = NoRepeatNGramSampler(3, sampler="top_k")
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(sampler))
    assert type(restored) is NoRepeatNGramSampler
    assert restored.get_config() == sampler.get_config()


WORD_IDS = np.array([[5, 6, 7, 8, 0], [9, 4, 0, 0, 0]], "int32")
MEAN, LOG_VAR = RNG.normal(size=(2, 3)).astype("float32"), RNG.normal(size=(2, 3)).astype("float32")

# Chapters 11 (noise, the VAE's layers and loss) and 12 (LoRA, the KerasHub sampler).
EXTRA_SWEEP: dict = {
    "WordCorruption": lambda: testing.check_layer(
        layers.WordCorruption,
        {"rate": 0.3, "kinds": ["drop", "mask", "swap"], "seed": 1},
        WORD_IDS,
        run_fit=False,
    ),  # fmt: skip
    "WordDropout": lambda: testing.check_layer(
        layers.WordDropout, {"rate": 0.25, "unknown_id": 1, "seed": 2}, WORD_IDS, run_fit=False
    ),
    "GaussianSampling": lambda: testing.check_layer(
        layers.GaussianSampling, {"seed": 3}, [MEAN, LOG_VAR], run_fit=False
    ),
    "GaussianKL": lambda: testing.check_layer(
        layers.GaussianKL, {"weight": 0.5, "anneal_steps": 10}, [MEAN, LOG_VAR], run_fit=False
    ),
    "SentenceCrossEntropy": lambda: testing.check_loss(
        layers.SentenceCrossEntropy(), IDS, RNG.normal(size=(2, 6, 11)).astype("float32")
    ),
    "LoRA": lambda: testing.check_layer(
        layers.LoRA, {"layer": keras.layers.Dense(4), "rank": 2, "alpha": 4.0}, X
    ),
    "NoRepeatNGramSampler": _check_no_repeat_sampler,
}


def _registered() -> set[str]:
    return {
        key.split(">", 1)[1]
        for key in keras.saving.get_custom_objects()
        if key.startswith("lmkeras>")
    }


def test_every_registered_class_is_in_the_sweep():
    missing = _registered() - set(SWEEP) - set(EXTRA_SWEEP)
    assert not missing, f"registered but never put through lmkeras.testing: {sorted(missing)}"


@pytest.mark.parametrize("name", sorted({**SWEEP, **EXTRA_SWEEP}))
def test_registered_class_passes_the_shared_checks(name):
    keras.utils.set_random_seed(0)
    {**SWEEP, **EXTRA_SWEEP}[name]()


def _legacy_input(arrays, name):
    if name == "word2vec":
        return {
            "target": arrays[f"{name}/input_target"],
            "context": arrays[f"{name}/input_context"],
        }
    if f"{name}/input_1" in arrays.files:
        return arrays[f"{name}/input_0"], arrays[f"{name}/input_1"]
    return arrays[f"{name}/input_0"]


LEGACY_MODELS = ["gpt", "gpt_rope_untied", "rnn_lm", "word2vec", "gru_translator",
                 "transformer_translator"]  # fmt: skip


# The fixtures were written by Keras 3.15, whose initializer configs older Keras cannot read
# (Colab's 3.13 refuses GlorotUniform's `input_axes`): a Keras limit, not lmkeras'.
KERAS_READS_FIXTURES = tuple(int(p) for p in keras.__version__.split(".")[:2]) >= (3, 15)


@pytest.mark.skipif(not KERAS_READS_FIXTURES, reason="fixtures written by Keras 3.15")
@pytest.mark.parametrize("name", LEGACY_MODELS)
def test_models_saved_before_the_layout_change_still_load_with_equal_outputs(name):
    """Files written by lmkeras 0.1 (commit 43e6815), before modules moved and
    `*_vocab_size` became `*_vocabulary_size`: students keep their trained models."""
    arrays = np.load(LEGACY / "expected.npz")
    model = lmkeras.load_model(LEGACY / f"{name}.keras")
    outputs = keras.ops.convert_to_numpy(model(_legacy_input(arrays, name), training=False))
    # The fixtures were written on TensorFlow; JAX and PyTorch round float32 differently.
    np.testing.assert_allclose(outputs, arrays[f"{name}/output"], atol=1e-5, rtol=0)


@pytest.mark.slow
def test_a_fresh_process_loads_every_course_model_after_import_lmkeras(tmp_path):
    """`import lmkeras` then `keras.saving.load_model(path)`: no submodule import needed."""
    paths = [str(LEGACY / f"{name}.keras") for name in LEGACY_MODELS if KERAS_READS_FIXTURES]
    fresh = {
        "gpt_gelu_tanh": build_gpt(11, 8, 1, 2, 8, activation="gelu_tanh", tie_weights=False),
        "rnn": build_rnn_lm(11, 4, 6),
    }
    for name, model in fresh.items():
        model.save(tmp_path / f"{name}.keras")
        paths.append(str(tmp_path / f"{name}.keras"))
    script = (
        "import sys, keras, lmkeras\n"
        "for path in sys.argv[1:]:\n"
        "    keras.saving.load_model(path)\n"
        "print('loaded', len(sys.argv) - 1)\n"
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-c", script, *paths], capture_output=True, text=True,
                          env=env, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"loaded {len(paths)}" in done.stdout


def _max_difference(a, b):
    return max(float(np.abs(x - y).max()) for x, y in zip(a.get_weights(), b.get_weights()))


def _resume_gap(model, x, y, tmp_path):
    model.train_on_batch(x, y)
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert _max_difference(model, loaded) == 0.0
    model.train_on_batch(x, y)
    loaded.train_on_batch(x, y)
    return _max_difference(model, loaded)


@pytest.mark.slow
def test_training_resumes_exactly_for_the_gpt_recipe(tmp_path):
    keras.utils.set_random_seed(0)
    model = build_gpt(11, sequence_length=8, num_layers=1, num_heads=2, hidden_dim=8)
    compile_for_training(model, learning_rate=1e-2)
    build_for_training(model)  # as train_with_time_budget does
    assert _resume_gap(model, IDS[:, :-1], IDS[:, 1:], tmp_path) == 0.0


@pytest.mark.slow
def test_training_resumes_exactly_for_the_translator_recipe(tmp_path):
    keras.utils.set_random_seed(0)
    model = _tiny_translator(TransformerTranslator)
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps=10, alpha=0.01, warmup_target=1e-2, warmup_steps=3
    )
    model.compile(optimizer=keras.optimizers.AdamW(schedule, weight_decay=0.01),
                  loss=MaskedCrossEntropy(0.1))  # fmt: skip
    build_for_training(model, ((None, None), (None, None)))  # as fit_translator does
    targets = RNG.integers(0, 11, (2, 7)).astype("int32")
    assert _resume_gap(model, (SOURCE, targets[:, :-1]), targets[:, 1:], tmp_path) == 0.0

"""The modern-recipe options of `build_gpt` (RMSNorm, QK-norm, ReLU², untied zero head,
zero-initialised projections, logit soft-cap) and the Muon set-up: round trip, the KV cache,
and what each option changes."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import ops

from lmkeras.layers import LogitSoftCap, MultiHeadAttention, TransformerDecoderBlock
from lmkeras.models.gpt import build_gpt, gpt_step_fn
from lmkeras.testing import check_layer, check_model
from lmkeras.training import MatrixMuon, build_for_training, compile_for_training
from tests.models.test_gpt import full_and_cached_logits

TINY = {"vocabulary_size": 13, "sequence_length": 16, "num_layers": 2, "num_heads": 2,
        "hidden_dim": 8}  # fmt: skip
MODERN = {"position": "rope", "norm": "rms", "qk_norm": True, "activation": "relu_squared",
          "tie_weights": False, "head_initializer": "zeros", "zero_init_output": True,
          "logit_soft_cap": 15.0}  # fmt: skip


def _ids(batch=2, length=12, seed=0):
    return np.random.default_rng(seed).integers(0, 13, (batch, length)).astype("int32")


def _trained_a_little(model, steps=3):
    """Zero-initialised outputs make a fresh model trivially cache-consistent; a few steps of
    training make the comparison mean something."""
    compile_for_training(model, learning_rate=1e-2, jit_compile=False)
    # Three steps of a tiny model: tracing a TensorFlow graph costs seconds, eager milliseconds.
    model.run_eagerly = keras.backend.backend() == "tensorflow"
    ids = _ids(batch=4, length=12, seed=9)
    for _ in range(steps):
        model.train_on_batch(ids[:, :-1], ids[:, 1:])
    return model


def test_the_modern_model_passes_the_model_checks():
    model = build_gpt(**TINY, **MODERN)
    ids = _ids()
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    out = check_model(model, ids, target=np.roll(ids, -1, axis=1), loss=loss)
    assert tuple(out.shape) == (2, 12, 13)


def test_each_option_is_off_by_default_and_changes_the_model_when_on():
    plain = build_gpt(**TINY)
    config = plain.get_config()
    block = next(layer for layer in config["layers"] if layer["class_name"].endswith("Block"))
    assert block["config"]["norm"] == "layer" and block["config"]["qk_norm"] is False
    assert block["config"]["zero_init_output"] is False
    names = {type(layer).__name__ for layer in plain.layers}
    assert "LogitSoftCap" not in names and "RMSNormalization" not in names
    modern = build_gpt(**TINY, **MODERN)
    assert "LogitSoftCap" in {type(layer).__name__ for layer in modern.layers}
    assert type(modern.get_layer("final_norm")).__name__ == "RMSNormalization"
    # QK-norm adds a scale per head width for queries and for keys, in every block.
    attention = modern.get_layer("block_0").attention
    assert attention.query_norm.scale.shape == (4,) and attention.key_norm.scale.shape == (4,)


def test_zero_initialised_outputs_start_every_block_as_the_identity_and_predictions_uniform():
    model = build_gpt(**TINY, **MODERN)
    for name in ("block_0", "block_1"):
        block = model.get_layer(name)
        assert not np.any(ops.convert_to_numpy(block.attention.output_dense.kernel))
        assert not np.any(ops.convert_to_numpy(block.mlp.projection.kernel))
    logits = ops.convert_to_numpy(model(_ids()))
    np.testing.assert_allclose(logits, 0.0)  # zero head and zero bias: log(13) nats a token
    # Off by default: the kernels are drawn.
    plain = build_gpt(**TINY)
    assert np.any(ops.convert_to_numpy(plain.get_layer("block_0").attention.output_dense.kernel))


# Each option alone through the eager step function, and all of them together through the
# compiled one too (the compiled path runs the same layer code: one model covers it).
@pytest.mark.parametrize(
    "option, jit",
    [({"norm": "rms"}, False), ({"qk_norm": True}, False), ({"logit_soft_cap": 2.0}, False),
     ({"activation": "relu_squared"}, False),
     ({"tie_weights": False, "head_initializer": "zeros", "zero_init_output": True}, False),
     (MODERN, False), (MODERN, True)],
    ids=["rms", "qk_norm", "soft_cap", "relu2", "zero_init", "all", "all-compiled"],
)  # fmt: skip
def test_cached_logits_equal_uncached_logits_with_each_option(option, jit):
    keras.utils.set_random_seed(1)
    model = _trained_a_little(build_gpt(**{**TINY, **option}))
    full, cached = full_and_cached_logits(model, _ids(), jit)
    np.testing.assert_allclose(cached, full[:, 2:], atol=1e-5)
    assert np.std(full) > 1e-3  # the comparison is not between zeros


def test_the_soft_cap_bounds_the_logits_in_the_model_and_in_the_cached_path():
    keras.utils.set_random_seed(3)
    capped = _trained_a_little(build_gpt(**TINY, logit_soft_cap=0.1), steps=5)
    uncapped = build_gpt(**TINY)
    uncapped.set_weights(capped.get_weights())  # the cap has no weights: the same model, uncut
    ids = _ids()
    raw, logits = (ops.convert_to_numpy(m(ids)) for m in (uncapped, capped))
    assert np.abs(raw).max() > 0.2 and np.abs(logits).max() < 0.1
    np.testing.assert_allclose(logits, 0.1 * np.tanh(raw / 0.1), atol=1e-6)
    cached, _ = gpt_step_fn(capped, jit=False)(ids, None)
    np.testing.assert_allclose(ops.convert_to_numpy(cached), logits[:, -1], atol=1e-5)


def test_soft_cap_layer_passes_the_layer_checks():
    out = check_layer(LogitSoftCap, {"cap": 3.0}, np.linspace(-6, 6, 12).reshape(2, 6),
                      run_fit=False)  # fmt: skip
    out = ops.convert_to_numpy(out)
    assert out.max() < 3.0 and out.min() > -3.0 and out.dtype == np.float32
    np.testing.assert_allclose(out, 3.0 * np.tanh(np.linspace(-2, 2, 12).reshape(2, 6)), 1e-6)


def test_qk_norm_attention_passes_the_layer_checks_and_normalises_keys_in_the_cache():
    check_layer(MultiHeadAttention, {"num_heads": 2, "head_dim": 4, "qk_norm": True},
                np.random.default_rng(0).normal(size=(2, 5, 8)).astype("float32"),
                expected_output_shape=(2, 5, 8), call_kwargs={"use_causal_mask": True},
                mixed_precision=True)  # fmt: skip
    layer = MultiHeadAttention(2, 4, qk_norm=True)
    x = np.random.default_rng(1).normal(size=(1, 3, 8)).astype("float32") * 50
    _, cache = layer(x, cache=layer.empty_cache(1, 4), cache_index=0)
    keys = ops.convert_to_numpy(cache)[0, 0, :, :3]  # (heads, 3 positions, head_dim)
    np.testing.assert_allclose(np.sqrt(np.mean(keys**2, axis=-1)), 1.0, atol=1e-3)


def test_decoder_block_options_round_trip():
    check_layer(TransformerDecoderBlock,
                {"num_heads": 2, "intermediate_dim": 16, "norm": "rms", "qk_norm": True,
                 "zero_init_output": True, "activation": "relu_squared"},
                np.random.default_rng(0).normal(size=(2, 5, 8)).astype("float32"),
                expected_output_shape=(2, 5, 8))  # fmt: skip


@pytest.mark.parametrize(
    "kwargs, message, error",
    [
        ({"norm": "batch"}, "norm='batch'", ValueError),
        ({"qk_norm": 1}, "qk_norm=1", TypeError),
        ({"zero_init_output": "yes"}, "zero_init_output='yes'", TypeError),
        ({"logit_soft_cap": 0.0}, "logit_soft_cap=0.0", ValueError),
        ({"logit_soft_cap": -3}, "logit_soft_cap=-3", ValueError),
        ({"head_initializer": "zeros"}, "tie_weights=False", ValueError),
        ({"tie_weights": False, "head_initializer": "nope"}, "head_initializer", ValueError),
    ],
)
def test_bad_options_name_the_parameter(kwargs, message, error):
    with pytest.raises(error, match=message):
        build_gpt(**{**TINY, **kwargs})


def test_muon_gets_every_hidden_matrix_and_adamw_the_rest():
    model = build_gpt(**TINY, **MODERN)
    optimizer = compile_for_training(model, optimizer="muon", jit_compile=False)
    assert isinstance(optimizer, MatrixMuon)
    muon = sorted(v.path for v in model.trainable_variables if optimizer.uses_muon(v))
    adamw = sorted(v.path for v in model.trainable_variables if not optimizer.uses_muon(v))
    # Attention kernels are stored 3-D, (width, heads, head_dim): Keras' own rule (2-D only)
    # would leave them to AdamW; here each is orthogonalised as the matrix it is.
    expected = sorted(f"block_{i}/{path}/kernel" for i in range(2)
                      for path in ("attention/query", "attention/key", "attention/value",
                                   "attention/attention_output", "mlp/hidden",
                                   "mlp/projection"))  # fmt: skip
    assert muon == expected
    assert "token_embedding/embeddings" in adamw and "logits/kernel" in adamw
    assert all("norm" in path or "bias" in path or path.startswith(("token_", "logits"))
               for path in adamw)  # fmt: skip


@pytest.mark.slow
def test_muon_trains_the_model_and_round_trips_in_the_saved_file(tmp_path):
    keras.utils.set_random_seed(0)
    model = build_gpt(**TINY, **MODERN)
    compile_for_training(model, learning_rate=1e-2, optimizer="muon", jit_compile=False)
    build_for_training(model)  # as train_with_time_budget does
    ids = _ids(batch=8, length=13, seed=4)
    before = float(model.test_on_batch(ids[:, :-1], ids[:, 1:]))
    for _ in range(20):
        model.train_on_batch(ids[:, :-1], ids[:, 1:])
    after = float(model.test_on_batch(ids[:, :-1], ids[:, 1:]))
    assert after < before - 0.25, (before, after)  # 0.43 in 20 steps on Keras 3.13, more on 3.15
    path = str(tmp_path / "muon.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded.optimizer, MatrixMuon)
    np.testing.assert_allclose(ops.convert_to_numpy(loaded(ids)), ops.convert_to_numpy(model(ids)))
    # One more step from the file equals one more step in memory: the optimizer state and
    # its rules (which variables get Muon, which no decay) survived.
    model.train_on_batch(ids[:, :-1], ids[:, 1:])
    loaded.train_on_batch(ids[:, :-1], ids[:, 1:])
    np.testing.assert_allclose(
        ops.convert_to_numpy(loaded(ids)), ops.convert_to_numpy(model(ids)), atol=1e-5
    )

"""LoRA: W + (α/r)·A·B with B = 0 at the start, equal to Keras' `enable_lora`, merged exactly."""

import keras
import numpy as np
import pytest
from keras import ops

from lmkeras import testing
from lmkeras.layers.lora import LoRA, add_lora, lora_parameter_count, merge_lora
from lmkeras.models.gpt import build_gpt, gpt_parts

RNG = np.random.default_rng(0)
X = RNG.normal(size=(2, 5, 8)).astype("float32")
IDS = RNG.integers(0, 11, (2, 6)).astype("int32")


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def _dense(activation=None):
    layer = keras.layers.Dense(6, activation=activation)
    layer.build((None, None, 8))
    layer.bias.assign(RNG.normal(size=6).astype("float32"))
    return layer


def _einsum():
    layer = keras.layers.EinsumDense("btd,dhk->bthk", output_shape=(None, 2, 3), bias_axes="hk")
    layer.build((None, None, 8))
    layer.bias.assign(RNG.normal(size=(2, 3)).astype("float32"))
    return layer


def _randomise_b(wrapper):
    wrapper.lora_b.assign(RNG.normal(size=wrapper.lora_b.shape).astype("float32"))


def test_lora_passes_the_shared_layer_checks():
    testing.check_layer(LoRA, {"layer": keras.layers.Dense(4), "rank": 2, "alpha": 4.0}, X,
                        expected_output_shape=(2, 5, 4), mixed_precision=True)  # fmt: skip
    testing.check_layer(
        LoRA,
        {"layer": keras.layers.EinsumDense("btd,dk->btk", output_shape=(None, 3), bias_axes="k"),
         "rank": 3},
        X, expected_output_shape=(2, 5, 3),
    )  # fmt: skip


@pytest.mark.parametrize("make", [_dense, _einsum], ids=["Dense", "EinsumDense"])
def test_b_starts_at_zero_so_the_wrapped_layer_is_unchanged(make):
    layer = make()
    wrapper = LoRA(layer, rank=4, alpha=8)
    np.testing.assert_array_equal(_np(wrapper(X)), _np(layer(X)))
    assert not _np(wrapper.lora_b).any() and _np(wrapper.lora_a).any()
    assert [w.name for w in wrapper.trainable_weights] == ["lora_a", "lora_b"]
    assert not layer.trainable


def test_the_output_is_the_formula_w_plus_alpha_over_r_a_b():
    layer = _dense(activation="tanh")
    wrapper = LoRA(layer, rank=3, alpha=6.0)
    wrapper.build()
    _randomise_b(wrapper)
    w, b = _np(layer.kernel), _np(layer.bias)
    a_, b_ = _np(wrapper.lora_a), _np(wrapper.lora_b)
    expected = np.tanh(X @ (w + (6.0 / 3) * a_ @ b_) + b)  # activation after the update
    np.testing.assert_allclose(_np(wrapper(X)), expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize("make", [_dense, _einsum], ids=["Dense", "EinsumDense"])
def test_equals_keras_enable_lora_with_the_same_a_and_b(make):
    ours, theirs = make(), make()
    theirs.set_weights(ours.get_weights())
    wrapper = LoRA(ours, rank=2, alpha=5.0)
    wrapper.build()
    _randomise_b(wrapper)
    theirs.enable_lora(2, lora_alpha=5.0)
    theirs.lora_kernel_a.assign(wrapper.lora_a)
    theirs.lora_kernel_b.assign(wrapper.lora_b)
    np.testing.assert_allclose(_np(wrapper(X)), _np(theirs(X)), atol=1e-5, rtol=0)


@pytest.mark.parametrize("make", [_dense, _einsum], ids=["Dense", "EinsumDense"])
def test_merge_folds_the_update_into_the_kernel(make):
    wrapper = LoRA(make(), rank=2)
    wrapper.build()
    _randomise_b(wrapper)
    before = _np(wrapper(X))
    merged = wrapper.merge()
    assert merged is wrapper.layer
    np.testing.assert_allclose(_np(merged(X)), before, atol=1e-5, rtol=0)
    np.testing.assert_allclose(_np(wrapper(X)), before, atol=1e-5, rtol=0)  # B is now zero


def _tiny_gpt():
    keras.utils.set_random_seed(0)
    return build_gpt(11, sequence_length=8, num_layers=2, num_heads=2, hidden_dim=8)


def test_add_lora_on_a_gpt_counts_freezes_matches_keras_and_merges():
    model, reference = _tiny_gpt(), _tiny_gpt()
    order = [w.path for w in model.weights]
    base = _np(model(IDS))
    wrappers = add_lora(model, rank=2, alpha=4)
    # q and v of 2 blocks: A (8, 2 heads, 2) + B (2, head width 4) = 32 + 8 each.
    assert len(wrappers) == 4 and lora_parameter_count(model) == 4 * 40
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == 160
    np.testing.assert_array_equal(_np(model(IDS)), base)
    for block, theirs in zip(gpt_parts(model).blocks, gpt_parts(reference).blocks):
        for name in ("query_dense", "value_dense"):
            ours, keras_layer = getattr(block.attention, name), getattr(theirs.attention, name)
            _randomise_b(ours)
            keras_layer.enable_lora(2, lora_alpha=4)
            keras_layer.lora_kernel_a.assign(ours.lora_a)
            keras_layer.lora_kernel_b.assign(ours.lora_b)
    adapted = _np(model(IDS))
    assert np.abs(adapted - base).max() > 1e-3
    np.testing.assert_allclose(adapted, _np(reference(IDS)), atol=1e-5, rtol=0)
    assert merge_lora(model) == 4
    assert [w.path for w in model.weights] == order  # the plain layers are back in place
    np.testing.assert_allclose(_np(model(IDS)), adapted, atol=1e-5, rtol=0)


def test_one_training_step_moves_only_the_factors():
    model = _tiny_gpt()
    frozen = {w.path: _np(w).copy() for w in model.weights}
    add_lora(model, rank=2, targets=("query", "key", "value", "attention_output"))
    # One step: eager TensorFlow saves the tracing (eager JAX would compile op by op).
    model.compile(optimizer=keras.optimizers.Adam(1e-2),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  run_eagerly=keras.backend.backend() != "jax")  # fmt: skip
    model.train_on_batch(IDS[:, :-1], IDS[:, 1:])
    for w in model.weights:
        if w.path in frozen:
            np.testing.assert_array_equal(_np(w), frozen[w.path], err_msg=w.path)
    assert all(_np(w.layer.kernel).any() for w in model._flatten_layers() if isinstance(w, LoRA))
    assert any(_np(w).any() for w in model.trainable_weights if w.name == "lora_b")


def test_bad_arguments_are_refused_by_name():
    with pytest.raises(ValueError, match="`rank`.*rank=0"):
        LoRA(_dense(), rank=0)
    with pytest.raises(TypeError, match="`rank`"):
        LoRA(_dense(), rank=2.0)
    with pytest.raises(ValueError, match="`alpha`.*alpha=0"):
        LoRA(_dense(), rank=2, alpha=0)
    with pytest.raises(TypeError, match="`alpha`"):
        LoRA(_dense(), rank=2, alpha="16")
    with pytest.raises(TypeError, match="`layer`.*Embedding"):
        LoRA(keras.layers.Embedding(4, 2), rank=2)
    keras_lora = _dense()
    keras_lora.enable_lora(2)
    with pytest.raises(ValueError, match="`layer`.*LoRA"):
        LoRA(keras_lora, rank=2)
    model = _tiny_gpt()
    with pytest.raises(ValueError, match="`targets`.*'qkv'.*attention_output"):
        add_lora(model, rank=2, targets=("qkv",))
    with pytest.raises(TypeError, match="`targets`"):
        add_lora(model, rank=2, targets="query")
    add_lora(model, rank=2)
    with pytest.raises(ValueError, match="merge_lora"):
        add_lora(model, rank=2)

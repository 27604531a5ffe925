"""The shared layer/builder check must pass good layers and catch the classic bugs."""

import keras
import numpy as np
import pytest

from lmkeras.testing import check_config_has_init_args, check_layer, check_model


@keras.saving.register_keras_serializable(package="lmkeras_tests")
class Scale(keras.layers.Layer):
    """y = x * w + offset, with a trainable w per feature."""

    def __init__(self, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.offset = offset

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="random_normal")

    def call(self, x):
        return x * self.w + self.offset

    def get_config(self):
        return {**super().get_config(), "offset": self.offset}


@keras.saving.register_keras_serializable(package="lmkeras_tests")
class ForgetfulScale(Scale):
    """Takes `offset` but forgets it in get_config: a .keras reload would lose it."""

    def get_config(self):
        return keras.layers.Layer.get_config(self)


@keras.saving.register_keras_serializable(package="lmkeras_tests")
class NoisyOnLoad(Scale):
    """Re-draws its weights on every build: save/load changes the outputs."""

    def build(self, input_shape):
        super().build(input_shape)

    def load_own_variables(self, store):
        pass  # ignores the saved weights


def test_check_layer_passes_a_correct_layer():
    x = np.arange(6, dtype="float32").reshape(2, 3)
    out = check_layer(Scale, {"offset": 1.5}, x, expected_output_shape=(2, 3))
    assert out.shape == (2, 3)


def test_check_layer_catches_a_forgotten_constructor_argument():
    x = np.ones((2, 3), "float32")
    with pytest.raises(AssertionError, match="lacks the constructor argument `offset`"):
        check_layer(ForgetfulScale, {"offset": 1.5}, x)


def test_check_layer_catches_outputs_that_change_after_loading():
    x = np.ones((2, 3), "float32")
    with pytest.raises(AssertionError, match="output changed after .keras load"):
        check_layer(NoisyOnLoad, {"offset": 0.0}, x)


def test_check_layer_catches_a_wrong_shape():
    with pytest.raises(AssertionError, match="expected"):
        check_layer(Scale, {}, np.ones((2, 3), "float32"), expected_output_shape=(2, 4))


def test_check_config_reports_a_changed_value():
    class Renamed(Scale):
        def get_config(self):
            return {**super().get_config(), "offset": 0.0}

    with pytest.raises(AssertionError, match="offset=2.0"):
        check_config_has_init_args(Renamed(offset=2.0), {"offset": 2.0})


def test_check_model_on_a_builder_output():
    inputs = keras.Input(shape=(4,), dtype="int32")
    logits = keras.layers.Dense(5)(keras.layers.Embedding(10, 8)(inputs))
    model = keras.Model(inputs, logits)
    x = np.array([[1, 2, 3, 4], [5, 6, 7, 8]], "int32")
    out = check_model(
        model,
        x,
        target=x % 5,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    assert tuple(out.shape) == (2, 4, 5)

"""One shared check for every layer and model builder of the course.

`check_layer` and `check_model` run the checks that catch the classic Keras 3 bugs: a
constructor argument missing from `get_config`, a layer that cannot be rebuilt from its config
or loaded from a `.keras` file in safe mode, outputs that change after loading, symbolic and
eager calls that disagree on shape, and a layer that cannot train. The tests of later chapters
call them on each new layer and builder.

Modelled on KerasHub's `TestCase.run_layer_test`.
"""

from __future__ import annotations

import copy
import inspect
import os
import tempfile
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

_PLAIN = (int, float, str, bool, type(None), list, tuple, dict)


def _normalise(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_normalise(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    return value


def _to_numpy(structure: Any) -> Any:
    return keras.tree.map_structure(lambda t: np.asarray(keras.ops.convert_to_numpy(t)), structure)


def _symbolic_inputs(input_data: Any) -> Any:
    return keras.tree.map_structure(
        lambda a: keras.Input(shape=np.shape(a)[1:], dtype=str(np.asarray(a).dtype)),
        input_data,
    )


def _assert_same(expected: Any, actual: Any, atol: float, what: str) -> None:
    for e, a in zip(keras.tree.flatten(_to_numpy(expected)), keras.tree.flatten(_to_numpy(actual))):
        if atol == 0:
            np.testing.assert_array_equal(a, e, err_msg=what)
        else:
            np.testing.assert_allclose(a, e, atol=atol, rtol=0, err_msg=what)


def check_config_has_init_args(layer: keras.layers.Layer, init_kwargs: dict) -> dict:
    """Assert every constructor argument appears in `get_config()` with the value passed.

    Returns:
        The layer's config.
    """
    config = layer.get_config()
    cls = type(layer)
    for name, param in inspect.signature(cls.__init__).parameters.items():
        if name == "self" or param.kind in (param.VAR_KEYWORD, param.VAR_POSITIONAL):
            continue
        assert name in config, (
            f"{cls.__name__}.get_config() lacks the constructor argument `{name}`, so a "
            f"{cls.__name__} rebuilt from its config (or loaded from .keras) loses it."
        )
        if name in init_kwargs and isinstance(init_kwargs[name], _PLAIN):
            assert _normalise(config[name]) == _normalise(init_kwargs[name]), (
                f"{cls.__name__}.get_config()['{name}'] is {config[name]!r}, but the layer was "
                f"built with {name}={init_kwargs[name]!r}."
            )
    return config


def _save_load_and_fit(
    model: keras.Model,
    input_data: Any,
    expected: Any,
    target: Any,
    loss: str | Callable,
    run_fit: bool,
    atol: float,
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        model.save(path)
        loaded = keras.saving.load_model(path, safe_mode=True)
    _assert_same(
        expected, loaded(input_data, training=False), atol, "output changed after .keras load"
    )
    if not run_fit:
        return
    if target is None:
        target = keras.tree.map_structure(np.zeros_like, _to_numpy(expected))
    before = [np.array(w) for w in _to_numpy(model.trainable_weights)]
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=loss)
    history = model.fit(input_data, target, epochs=1, verbose=0)
    final_loss = history.history["loss"][-1]
    assert np.isfinite(final_loss), f"one fit step gave a non-finite loss: {final_loss}"
    after = _to_numpy(model.trainable_weights)
    if before:
        assert any(not np.array_equal(b, a) for b, a in zip(before, after)), (
            "one fit step changed no trainable weight"
        )


def check_layer(
    layer_cls: type[keras.layers.Layer],
    init_kwargs: dict,
    input_data: Any,
    expected_output_shape: tuple | None = None,
    target: Any = None,
    loss: str | Callable = "mse",
    run_fit: bool = True,
    atol: float = 0.0,
) -> Any:
    """Run the shared layer checks; raise AssertionError on the first that fails.

    Args:
        layer_cls: the layer class.
        init_kwargs: dict. Constructor arguments.
        input_data: array, or a list/dict of arrays, with a leading batch axis.
        expected_output_shape: tuple or None. Expected eager output shape.
        target: optional fit target; defaults to zeros shaped like the output.
        loss: loss for the fit step. Defaults to `"mse"`.
        run_fit: bool. Run one `fit` step. Defaults to `True`.
        atol: float. Tolerance for "same outputs"; `0` demands identical outputs.

    Returns:
        The eager output of a fresh layer on `input_data`.

    Example:
    >>> out = check_layer(keras.layers.Identity, {}, np.ones((2, 3), "float32"))
    >>> tuple(out.shape)
    (2, 3)
    """
    layer = layer_cls(**init_kwargs)
    config = check_config_has_init_args(layer, init_kwargs)
    rebuilt = layer_cls.from_config(copy.deepcopy(config))
    assert rebuilt.get_config() == config, "from_config(get_config()) gives a different config"
    round_trip = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(round_trip) is layer_cls and round_trip.get_config() == config, (
        "serialize → deserialize does not give back the same layer; is the class decorated "
        "with @keras.saving.register_keras_serializable?"
    )

    eager = layer(input_data)
    eager_shapes = [tuple(np.shape(t)) for t in keras.tree.flatten(_to_numpy(eager))]
    if expected_output_shape is not None:
        assert eager_shapes[0] == tuple(expected_output_shape), (
            f"eager output shape {eager_shapes[0]} != expected {tuple(expected_output_shape)}"
        )

    symbolic_inputs = _symbolic_inputs(input_data)
    symbolic = layer_cls(**init_kwargs)(symbolic_inputs)
    for shape, tensor in zip(eager_shapes, keras.tree.flatten(symbolic)):
        assert tuple(tensor.shape)[1:] == shape[1:], (
            f"symbolic output shape {tuple(tensor.shape)} disagrees with eager shape {shape}"
        )

    model = keras.Model(symbolic_inputs, layer_cls(**init_kwargs)(symbolic_inputs))
    expected = model(input_data, training=False)
    _save_load_and_fit(model, input_data, expected, target, loss, run_fit, atol)
    return eager


def check_model(
    model: keras.Model,
    input_data: Any,
    target: Any = None,
    loss: str | Callable = "mse",
    run_fit: bool = True,
    atol: float = 0.0,
) -> Any:
    """Run the shared checks on a built model (the output of a builder function).

    Checks the config round trip (functional models), `.keras` save → safe load with the same
    outputs, and one `fit` step. Returns the model's output on `input_data`.
    """
    expected = model(input_data, training=False)
    config = model.get_config()
    # from_config may consume its argument (Functional does), so hand it a copy.
    rebuilt = model.__class__.from_config(copy.deepcopy(config))
    assert rebuilt.get_config() == config, "from_config(get_config()) gives a different config"
    _save_load_and_fit(model, input_data, expected, target, loss, run_fit, atol)
    return expected

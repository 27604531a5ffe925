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

from lmkeras._checks import check_float, check_type, describe

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
    def symbolic(a, name=None):
        return keras.Input(shape=np.shape(a)[1:], dtype=str(np.asarray(a).dtype), name=name)

    if isinstance(input_data, dict):  # named as their keys, as a functional model expects
        return {key: symbolic(value, key) for key, value in input_data.items()}
    return keras.tree.map_structure(symbolic, input_data)


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
    check_type("layer", layer, keras.layers.Layer, "a keras Layer (an instance, not its class)")
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
    # One step, eagerly on TensorFlow: tracing a train step builds the optimizer's update once
    # per variable in the graph, which took 26 s for the test translator's one step against
    # 2.7 s eagerly (2026-12-03). The recipes' tests and the notebooks train compiled.
    eager = keras.backend.backend() == "tensorflow"
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=loss, run_eagerly=eager)
    history = model.fit(input_data, target, epochs=1, verbose=0)
    final_loss = history.history["loss"][-1]
    assert np.isfinite(final_loss), f"one fit step gave a non-finite loss: {final_loss}"
    after = _to_numpy(model.trainable_weights)
    if before:
        assert any(not np.array_equal(b, a) for b, a in zip(before, after)), (
            "one fit step changed no trainable weight"
        )


def _check_mixed_precision(
    layer_cls: type[keras.layers.Layer], init_kwargs: dict, input_data: Any, call_kwargs: dict
) -> None:
    """Under `mixed_bfloat16` the layer keeps float32 weights and gives finite outputs."""
    layer = layer_cls(**init_kwargs, dtype="mixed_bfloat16")
    outputs = layer(input_data, **call_kwargs)
    assert layer.compute_dtype == "bfloat16", f"compute dtype {layer.compute_dtype} under bf16"
    for weight in layer.weights:
        assert "float32" in str(weight.dtype), (
            f"weight {weight.path} is {weight.dtype}, not float32"
        )
    for array in keras.tree.flatten(_to_numpy(outputs)):
        if np.issubdtype(np.asarray(array).dtype, np.floating) or "bfloat16" in str(array.dtype):
            assert np.all(np.isfinite(np.asarray(array, "float32"))), "non-finite bf16 output"


def check_layer(
    layer_cls: type[keras.layers.Layer],
    init_kwargs: dict,
    input_data: Any,
    expected_output_shape: tuple | None = None,
    target: Any = None,
    loss: str | Callable = "mse",
    run_fit: bool = True,
    atol: float = 0.0,
    call_kwargs: dict | None = None,
    mixed_precision: bool = False,
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
        call_kwargs: dict or None. Extra call arguments, passed in the eager, symbolic and
            saved calls alike: plain values (`use_causal_mask=True`) as they are, NumPy arrays
            (an encoder's outputs, a padding mask) as extra inputs of the saved model.
        mixed_precision: bool. Also build the layer under `mixed_bfloat16` and check float32
            weights and finite outputs. Defaults to `False`.

    Returns:
        The eager output of a fresh layer on `input_data`.

    Example:
    >>> out = check_layer(keras.layers.Identity, {}, np.ones((2, 3), "float32"))
    >>> tuple(out.shape)
    (2, 3)
    """
    if not (isinstance(layer_cls, type) and issubclass(layer_cls, keras.layers.Layer)):
        raise TypeError(
            f"`layer_cls` must be a keras Layer class; received layer_cls={describe(layer_cls)}."
        )
    check_type("init_kwargs", init_kwargs, dict, "a dict of constructor arguments")
    check_float("atol", atol, 0.0)
    if call_kwargs is not None:
        check_type("call_kwargs", call_kwargs, dict, "a dict of call arguments or None")
    layer = layer_cls(**init_kwargs)
    config = check_config_has_init_args(layer, init_kwargs)
    rebuilt = layer_cls.from_config(copy.deepcopy(config))
    assert rebuilt.get_config() == config, "from_config(get_config()) gives a different config"
    round_trip = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(round_trip) is layer_cls and round_trip.get_config() == config, (
        "serialize → deserialize does not give back the same layer; is the class decorated "
        "with @keras.saving.register_keras_serializable?"
    )

    static = {k: v for k, v in (call_kwargs or {}).items() if not isinstance(v, np.ndarray)}
    tensors = {k: v for k, v in (call_kwargs or {}).items() if isinstance(v, np.ndarray)}
    eager = layer(input_data, **static, **tensors)
    eager_shapes = [tuple(np.shape(t)) for t in keras.tree.flatten(_to_numpy(eager))]
    if expected_output_shape is not None:
        assert eager_shapes[0] == tuple(expected_output_shape), (
            f"eager output shape {eager_shapes[0]} != expected {tuple(expected_output_shape)}"
        )

    # Array-valued call arguments (an encoder's outputs, a mask) become model inputs too.
    data = {"inputs": input_data, **tensors} if tensors else input_data
    symbolic_data = _symbolic_inputs(data)

    def call(new_layer: keras.layers.Layer) -> Any:
        if not tensors:
            return new_layer(symbolic_data, **static)
        extra = {k: symbolic_data[k] for k in tensors}
        return new_layer(symbolic_data["inputs"], **static, **extra)

    symbolic = call(layer_cls(**init_kwargs))
    for shape, tensor in zip(eager_shapes, keras.tree.flatten(symbolic)):
        assert tuple(tensor.shape)[1:] == shape[1:], (
            f"symbolic output shape {tuple(tensor.shape)} disagrees with eager shape {shape}"
        )

    model = keras.Model(symbolic_data, call(layer_cls(**init_kwargs)))
    expected = model(data, training=False)
    _save_load_and_fit(model, data, expected, target, loss, run_fit, atol)
    if mixed_precision:
        _check_mixed_precision(layer_cls, init_kwargs, input_data, {**static, **tensors})
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
    outputs, and one `fit` step (run eagerly on TensorFlow). Returns the model's output on
    `input_data`.
    """
    check_type("model", model, keras.Model, "a built keras.Model")
    check_float("atol", atol, 0.0)
    expected = model(input_data, training=False)
    config = model.get_config()
    # from_config may consume its argument (Functional does), so hand it a copy.
    rebuilt = model.__class__.from_config(copy.deepcopy(config))
    assert rebuilt.get_config() == config, "from_config(get_config()) gives a different config"
    _save_load_and_fit(model, input_data, expected, target, loss, run_fit, atol)
    return expected


def check_loss(loss: keras.losses.Loss, y_true: Any, y_pred: Any) -> float:
    """Run the shared checks on a loss: config and serialisation round trips give the same
    value, and a model compiled with it keeps it through `.keras` save and load.

    Returns:
        The loss value on `(y_true, y_pred)`.
    """
    check_type("loss", loss, keras.losses.Loss, "a keras.losses.Loss instance")
    value = float(keras.ops.convert_to_numpy(loss(y_true, y_pred)))
    rebuilt = type(loss).from_config(copy.deepcopy(loss.get_config()))
    assert rebuilt.get_config() == loss.get_config(), "from_config(get_config()) differs"
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert type(restored) is type(loss) and restored.get_config() == loss.get_config(), (
        "serialize → deserialize does not give back the same loss; is the class decorated "
        "with @keras.saving.register_keras_serializable?"
    )
    for copy_of_loss in (rebuilt, restored):
        again = float(keras.ops.convert_to_numpy(copy_of_loss(y_true, y_pred)))
        assert again == value, f"the rebuilt loss gives {again}, not {value}"
    inputs = keras.Input(shape=np.shape(y_pred)[1:])
    model = keras.Model(inputs, keras.layers.Identity()(inputs))
    model.compile(optimizer="sgd", loss=loss)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        model.save(path)
        loaded = keras.saving.load_model(path, safe_mode=True)
    assert loaded.loss.get_config() == loss.get_config(), "the loss changed through .keras"
    return value

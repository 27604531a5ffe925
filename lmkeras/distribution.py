"""Set-up for training on several devices with the engines people use, checked on the way in.

`keras.distribution` (JAX backend) and `tf.distribute` (TensorFlow backend) do the work: they
split each batch, replicate or shard the variables and all-reduce the gradients. This module
only builds their objects for the course's GPT and refuses bad set-ups early, naming the values:

- `simulate_cpu_devices(n)`: n CPU devices in one process, to try all of it on a laptop;
- `device_mesh(shape, axis_names)`: a `keras.distribution.DeviceMesh` whose size must match the
  devices;
- `data_parallel(num_devices)`: `keras.distribution.DataParallel` on JAX,
  `tf.distribute.MirroredStrategy` on TensorFlow; `check_batch_size` refuses a global batch
  the replicas cannot share evenly;
- `GPT_LAYOUT` and `gpt_layout_map(mesh, model)`: a `LayoutMap` that shards the GPT's
  embeddings, attention and MLP kernels on a "model" axis, after checking that every regex
  matches a variable and every matrix is matched; `variable_layouts(model)` reads back what
  the engine did.

Several processes (hosts) start with `keras.distribution.initialize` on JAX, or a `TF_CONFIG`
and `tf.distribute.MultiWorkerMirroredStrategy` on TensorFlow; `lmkeras.recipes.multihost_gpt`
is a runnable script.
"""

from __future__ import annotations

import math
import re
from typing import Any

import keras

from lmkeras._checks import check_int, check_str, check_type, describe

# Megatron-style sharding of a GPT block over a "model" axis: the first matmul of each pair
# (query/key/value by heads, the MLP's hidden layer by columns) splits its output, the second
# (attention output, MLP projection) its input, so each block needs one all-reduce after
# attention and one after the MLP. Embedding tables are split along the width. Biases of the
# split outputs follow their kernels; norms and the other biases are small and replicated.
GPT_LAYOUT: dict[str, tuple[str | None, ...]] = {
    r"(.*/)?token_embedding/embeddings": (None, "model"),  # (vocabulary, width)
    r"(.*/)?position_embedding/embeddings": (None, "model"),  # (positions, width)
    r"(.*/)?attention/(query|key|value)/kernel": (None, "model", None),  # (width, heads, dim)
    r"(.*/)?attention/(query|key|value)/bias": ("model", None),  # (heads, dim)
    r"(.*/)?attention/attention_output/kernel": ("model", None, None),  # (heads, dim, width)
    r"(.*/)?mlp/hidden/kernel": (None, "model"),  # (width, intermediate)
    r"(.*/)?mlp/hidden/bias": ("model",),  # (intermediate,)
    r"(.*/)?mlp/projection/kernel": ("model", None),  # (intermediate, width)
}


def _backend(*allowed: str) -> str:
    backend = keras.backend.backend()
    if backend not in allowed:
        raise RuntimeError(
            f"This needs the {' or '.join(allowed)} backend; the running backend is "
            f"{backend!r}. Set KERAS_BACKEND before Keras is imported (a fresh process)."
        )
    return backend


def simulate_cpu_devices(count: int) -> int:
    """Split this process's CPU into `count` devices, before the backend starts computing.

    On JAX this sets `jax_num_cpu_devices` (as `JAX_NUM_CPU_DEVICES=count` would); on
    TensorFlow it creates `count` logical CPU devices. Both share the same cores, so they show
    that a distributed program is correct, not that it is faster.

    Args:
        count: int ≥ 1. Devices wanted.

    Returns:
        int. The number of CPU devices the backend now has.

    Raises:
        RuntimeError: when the backend has already computed something (then the device list
            is fixed: call this first, in a fresh process), or on the PyTorch backend.
    """
    count = check_int("count", count)
    backend = _backend("jax", "tensorflow")
    late = (
        f"simulate_cpu_devices({count}) must run before the {backend} backend computes "
        "anything (its devices are fixed from then on): call it right after importing Keras, "
        "in a fresh process"
    )
    if backend == "jax":
        import jax

        if jax.config.jax_num_cpu_devices == count:
            return len(jax.devices("cpu"))
        try:
            jax.config.update("jax_num_cpu_devices", count)
        except RuntimeError as error:
            have = len(jax.devices("cpu"))
            raise RuntimeError(f"{late}; it already has {have} CPU device(s).") from error
        return len(jax.devices("cpu"))
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(count)]
        )
    except RuntimeError as error:
        have = len(tf.config.list_logical_devices("CPU"))
        if have != count:
            raise RuntimeError(f"{late}; it already has {have} CPU device(s).") from error
    return len(tf.config.list_logical_devices("CPU"))


def device_mesh(
    shape: tuple[int, ...],
    axis_names: tuple[str, ...] = ("batch",),
    devices: list[str] | None = None,
) -> keras.distribution.DeviceMesh:
    """A `keras.distribution.DeviceMesh` whose size is checked against the devices.

    The mesh is only a description; `DataParallel`/`ModelParallel` place arrays on it (JAX).

    Args:
        shape: tuple of ints ≥ 1. Devices along each axis, e.g. `(2, 2)` for 2-way data ×
            2-way model parallelism.
        axis_names: tuple of str, one per axis. Defaults to `("batch",)`.
        devices: list of device names (`"cpu:0"`, …) or None for all of
            `keras.distribution.list_devices()`.

    Returns:
        `keras.distribution.DeviceMesh`.

    Raises:
        ValueError: when the mesh holds more or fewer devices than given (or found).

    Example:
    >>> device_mesh((2, 1), ("batch", "model"), devices=["cpu:0", "cpu:1"])
    <DeviceMesh shape=(2, 1), axis_names=['batch', 'model']>
    """
    if not isinstance(shape, (tuple, list)) or not shape:
        raise TypeError(f"`shape` must be a non-empty tuple of ints; received shape={shape!r}.")
    shape = tuple(check_int("shape", size) for size in shape)
    if not isinstance(axis_names, (tuple, list)):
        raise TypeError(f"`axis_names` must be a tuple of str; received {axis_names!r}.")
    axis_names = tuple(check_str("axis_names", name) for name in axis_names)
    if len(axis_names) != len(shape) or len(set(axis_names)) != len(axis_names):
        raise ValueError(
            f"`axis_names` must hold one distinct name per axis of `shape`; received "
            f"shape={shape}, axis_names={axis_names}."
        )
    devices = keras.distribution.list_devices() if devices is None else list(devices)
    if math.prod(shape) != len(devices):
        raise ValueError(
            f"A mesh of shape={shape} holds {math.prod(shape)} devices, but "
            f"{len(devices)} were given: {describe(devices)}. Pass a shape whose product is "
            f"{len(devices)}, or a list of {math.prod(shape)} devices; on a CPU, "
            f"simulate_cpu_devices({math.prod(shape)}) (or JAX_NUM_CPU_DEVICES="
            f"{math.prod(shape)}) before JAX starts gives that many."
        )
    return keras.distribution.DeviceMesh(shape, list(axis_names), devices)


def data_parallel(num_devices: int | None = None, device_type: str | None = None) -> Any:
    """The engine's own data-parallel set-up over the first `num_devices` devices.

    On JAX, `keras.distribution.DataParallel` over a 1-D `DeviceMesh` named "batch"; on
    TensorFlow, `tf.distribute.MirroredStrategy`. Either way: build and compile the model
    inside `strategy.scope()`, then each step splits the global batch across the replicas,
    each replica computes gradients on its slice, and an all-reduce averages them so that
    every replica applies the same update.

    Args:
        num_devices: int ≥ 1 or None for all the devices of `device_type`.
        device_type: "cpu", "gpu", "tpu" or None for accelerators when present, else CPUs.

    Returns:
        `keras.distribution.DataParallel` (JAX) or `tf.distribute.MirroredStrategy`
        (TensorFlow); both have `.scope()`.

    Raises:
        ValueError: when fewer than `num_devices` devices exist.
    """
    if num_devices is not None:
        check_int("num_devices", num_devices)
    if device_type is not None:
        device_type = check_str("device_type", device_type).lower()
    backend = _backend("jax", "tensorflow")
    if backend == "jax":
        devices = keras.distribution.list_devices(device_type)
    else:
        import tensorflow as tf

        kinds = [device_type.upper()] if device_type else ["TPU", "GPU", "CPU"]
        found = [[d.name for d in tf.config.list_logical_devices(k)] for k in kinds]
        devices = next((names for names in found if names), [])
    num_devices = len(devices) if num_devices is None else check_int("num_devices", num_devices)
    if num_devices > len(devices):
        raise ValueError(
            f"`num_devices` must be at most the {len(devices)} device(s) found "
            f"({describe(devices)}); received num_devices={num_devices}. On a CPU, "
            f"simulate_cpu_devices({num_devices}) before the backend starts gives more."
        )
    if backend == "jax":
        mesh = device_mesh((num_devices,), ("batch",), devices[:num_devices])
        return keras.distribution.DataParallel(device_mesh=mesh)
    import tensorflow as tf

    return tf.distribute.MirroredStrategy(devices[:num_devices])


def num_replicas(strategy: Any) -> int:
    """How many slices a global batch is cut into: data-parallel replicas of the model."""
    for attribute in ("num_model_replicas", "num_replicas_in_sync"):  # keras / tf.distribute
        replicas = getattr(strategy, attribute, None)
        if replicas is not None:
            return int(replicas)
    raise TypeError(
        f"`strategy` must be a keras.distribution DataParallel/ModelParallel or a "
        f"tf.distribute.Strategy; received {describe(strategy)}."
    )


def check_batch_size(batch_size: int, strategy: Any) -> int:
    """Refuse a global batch the replicas cannot share evenly; return the rows per replica.

    Example:
    >>> class Two:  # any object with tf.distribute's attribute
    ...     num_replicas_in_sync = 2
    >>> check_batch_size(32, Two())
    16
    >>> check_batch_size(33, Two())
    Traceback (most recent call last):
    ...
    ValueError: `batch_size` must be divisible by the 2 data-parallel replicas, ...;
    received batch_size=33 (nearest valid: 32 or 34).
    """
    batch_size = check_int("batch_size", batch_size)
    replicas = num_replicas(strategy)
    if batch_size % replicas:
        low = batch_size // replicas * replicas
        nearest = f"{low} or {low + replicas}" if low else f"{replicas}"
        raise ValueError(
            f"`batch_size` must be divisible by the {replicas} data-parallel replicas, so that "
            f"each gets the same number of rows; received batch_size={batch_size} (nearest "
            f"valid: {nearest})."
        )
    return batch_size // replicas


def gpt_layout_map(
    mesh: keras.distribution.DeviceMesh,
    model: keras.Model,
    rules: dict[str, tuple[str | None, ...]] | None = None,
) -> keras.distribution.LayoutMap:
    """A `keras.distribution.LayoutMap` for a GPT, checked against the model's variable paths.

    Pass `model` built anywhere (an unsharded copy is fine: only its variable paths and
    shapes are read), then build the model again inside `ModelParallel(layout_map=...)`.
    A regex that matches no variable is almost always a typo or a renamed layer, and a matrix
    that no regex matches would be silently replicated on every device; both are refused.

    Args:
        mesh: `keras.distribution.DeviceMesh` with every axis the rules name.
        model: a `keras.Model` built by `lmkeras.models.gpt.build_gpt` (or any model the rules
            fit).
        rules: dict {regex over `variable.path`: axes, one mesh axis name or None per
            dimension}. Defaults to `GPT_LAYOUT`.

    Returns:
        `keras.distribution.LayoutMap`.

    Raises:
        ValueError: a regex that matches no variable; a variable of two or more dimensions
            that no regex matches; a variable two regexes match; axes that do not fit the
            variable's rank or name an axis the mesh lacks.
    """
    check_type("mesh", mesh, keras.distribution.DeviceMesh, "a keras.distribution.DeviceMesh")
    check_type("model", model, keras.Model, "a built keras.Model")
    if rules is not None:
        check_type("rules", rules, dict, "a dict {regex: axes}")
    rules = dict(GPT_LAYOUT if rules is None else rules)
    paths = {variable.path: tuple(variable.shape) for variable in model.variables}
    matched: dict[str, list[str]] = {path: [] for path in paths}
    for pattern, axes in rules.items():
        hits = [path for path in paths if re.fullmatch(pattern, path)]
        if not hits:
            raise ValueError(
                f"The layout regex {pattern!r} matches none of the model's "
                f"{len(paths)} variable paths (e.g. {describe(sorted(paths)[:4], 120)}); "
                "fix the regex or leave it out."
            )
        unknown = [axis for axis in axes if axis is not None and axis not in mesh.axis_names]
        if unknown:
            raise ValueError(
                f"The layout {axes} for {pattern!r} names mesh axis {unknown[0]!r}; the mesh "
                f"has axes {tuple(mesh.axis_names)}."
            )
        for path in hits:
            if len(axes) != len(paths[path]):
                raise ValueError(
                    f"The layout {axes} for {pattern!r} has {len(axes)} axes, but {path!r} has "
                    f"shape {paths[path]}: give one axis name (or None) per dimension."
                )
            matched[path].append(pattern)
    twice = {path: hits for path, hits in matched.items() if len(hits) > 1}
    if twice:
        path, hits = next(iter(twice.items()))
        raise ValueError(f"The variable {path!r} matches two layout regexes: {hits}.")
    missed = [path for path, hits in matched.items() if not hits and len(paths[path]) >= 2]
    if missed:
        raise ValueError(
            f"{len(missed)} matrix variable(s) match no layout regex and would be replicated "
            f"on every device: {describe(missed, 200)}. Add a rule (axes all None to "
            "replicate on purpose)."
        )
    layout_map = keras.distribution.LayoutMap(mesh)
    for pattern, axes in rules.items():
        layout_map[pattern] = tuple(axes)
    return layout_map


def variable_layouts(model: keras.Model) -> dict[str, tuple[str | None, ...]]:
    """How the engine placed each variable: its sharding axes (all None means replicated).

    Args:
        model: a `keras.Model` built inside a `keras.distribution` scope (JAX backend).

    Returns:
        dict {variable path: one mesh axis name or None per dimension}.
    """
    check_type("model", model, keras.Model, "a keras.Model")
    _backend("jax")
    layouts = {}
    for variable in model.variables:
        spec = tuple(getattr(variable.value.sharding, "spec", ()))
        layouts[variable.path] = spec + (None,) * (len(variable.shape) - len(spec))
    return layouts


__all__ = [
    "GPT_LAYOUT",
    "check_batch_size",
    "data_parallel",
    "device_mesh",
    "gpt_layout_map",
    "num_replicas",
    "simulate_cpu_devices",
    "variable_layouts",
]

"""LoRA: a frozen projection plus a trainable low-rank update, and merging the update back.

Low-rank adaptation (Hu et al., 2021) fine-tunes a pretrained weight matrix W without changing
it: the layer computes with W + (α/r)·ΔW, where ΔW is the product of two thin matrices of rank
r, and only those are trained. In the paper's notation (W of shape (out, in)) the update is
B·A with A (r, in) and B (out, r); Keras kernels are input-major (y = x·W, W of shape
(in, out)), so here it is written A·B with A (in, r) and B (r, out), the same update
transposed. B starts at zero, so a freshly wrapped layer computes exactly what it did before.

`LoRA` wraps a built `Dense` or `EinsumDense` with the factor shapes of Keras' own
`layer.enable_lora(rank)` — A of shape `kernel.shape[:-1] + (rank,)`, B of shape
`(rank, kernel.shape[-1])` — so the two agree given the same A and B. For a Dense kernel that is
the paper's rank-r update; for an attention kernel (dim, heads, head_dim) it is a rank-r update
per head, with B shared by the heads, as in Keras. `add_lora(model, rank)` wraps the layers of
a model named in `targets` (the attention's query and value projections by default, as in the
paper) and freezes every other weight; `merge_lora(model)` folds each update into its kernel and
puts the plain layers back, so the model runs at its original speed and saves as before.
"""

from __future__ import annotations

import contextlib

import keras
from keras import ops

from lmkeras._checks import check_int, check_positive, check_str, check_type

_PROJECTIONS = (keras.layers.Dense, keras.layers.EinsumDense)


@keras.saving.register_keras_serializable(package="lmkeras")
class LoRA(keras.layers.Wrapper):
    """A frozen `Dense`/`EinsumDense` computing with W + (α/r)·A·B; only A and B train.

    Args:
        layer: a `keras.layers.Dense` or `keras.layers.EinsumDense` (built or not, without
            Keras' own LoRA and not quantized). It is frozen (`layer.trainable = False`).
        rank: int ≥ 1. r, the rank of the update.
        alpha: float > 0 or None. α; the update is scaled by α / r. None means α = r (scale 1,
            Keras' default). Defaults to `None`.
        a_initializer: initializer of A. Defaults to `"he_uniform"` (Keras' choice); B starts
            at zero.
        **kwargs: base layer arguments. The dtype policy defaults to the wrapped layer's.

    Call arguments:
        inputs: the wrapped layer's inputs.

    Returns:
        What the wrapped layer returns, computed with the kernel W + (α/r)·A·B.

    Example:
    >>> dense = keras.layers.Dense(3)
    >>> dense.build((None, 4))
    >>> lora = LoRA(dense, rank=2)
    >>> x = ops.ones((1, 4))
    >>> bool(ops.all(lora(x) == dense(x)))  # B = 0: unchanged at step 0
    True
    >>> [tuple(w.shape) for w in lora.trainable_weights]
    [(4, 2), (2, 3)]
    """

    def __init__(self, layer, rank, alpha=None, a_initializer="he_uniform", **kwargs):
        if not isinstance(layer, _PROJECTIONS):
            raise TypeError(
                f"`layer` must be a keras.layers.Dense or keras.layers.EinsumDense; received "
                f"{type(layer).__name__} {getattr(layer, 'name', layer)!r}."
            )
        if getattr(layer, "lora_enabled", False) or getattr(layer, "quantization_mode", None):
            raise ValueError(
                f"`layer` {layer.name!r} must be a plain projection; received one with Keras' "
                f"own LoRA enabled or quantized (quantization_mode="
                f"{getattr(layer, 'quantization_mode', None)!r})."
            )
        kwargs.setdefault("dtype", layer.dtype_policy)
        super().__init__(layer, **kwargs)
        self.rank = check_int("rank", rank)
        self.alpha = None if alpha is None else check_positive("alpha", alpha)
        self.a_initializer = keras.initializers.get(a_initializer)
        layer.trainable = False

    @property
    def scale(self) -> float:
        """α / r."""
        return (self.rank if self.alpha is None else self.alpha) / self.rank

    def build(self, input_shape=None):
        super().build(input_shape)  # builds the wrapped layer if needed
        kernel_shape = tuple(self.layer.kernel.shape)
        self.lora_a = self.add_weight(
            name="lora_a", shape=(*kernel_shape[:-1], self.rank), initializer=self.a_initializer
        )
        self.lora_b = self.add_weight(
            name="lora_b", shape=(self.rank, kernel_shape[-1]), initializer="zeros"
        )

    def delta(self):
        """The update (α/r)·A·B, shaped like the wrapped kernel."""
        return self.scale * ops.matmul(self.lora_a, self.lora_b)

    def call(self, inputs):
        layer = self.layer
        kernel = layer.kernel + ops.cast(self.delta(), layer.kernel.dtype)  # W + (α/r)·A·B
        if isinstance(layer, keras.layers.EinsumDense):
            outputs = ops.einsum(layer.equation, inputs, kernel)
        else:
            outputs = ops.matmul(inputs, kernel)
        if layer.bias is not None:
            outputs = outputs + layer.bias
        return layer.activation(outputs)

    def merge(self) -> keras.layers.Layer:
        """Fold (α/r)·A·B into the wrapped kernel and zero B; return the wrapped layer.

        Afterwards the wrapped layer alone computes what the wrapper computed (and so does the
        wrapper, whose update is now zero).
        """
        kernel = self.layer.kernel
        kernel.assign(kernel + ops.cast(self.delta(), kernel.dtype))
        self.lora_b.assign(ops.zeros(self.lora_b.shape, self.lora_b.dtype))
        return self.layer

    def get_config(self):
        config = super().get_config()
        config.update(
            rank=self.rank,
            alpha=self.alpha,
            a_initializer=keras.initializers.serialize(self.a_initializer),
        )
        return config


def _replace(parent, attribute, old, new):
    # The new layer takes the old one's place in the parent's tracked layers, so the model's
    # weights keep their order (the private tracker, as Keras' own `enable_lora` uses it).
    parent._tracker.replace_tracked_value("layers", old, new)
    setattr(parent, attribute, new)


def _sublayer_slots(model):
    """(parent, attribute, layer) for every layer held as an attribute of a layer of `model`."""
    for parent in model._flatten_layers(include_self=True):
        # On the PyTorch backend a layer is a torch.nn.Module, which keeps its sub-layers in
        # `_modules` rather than in the instance's `__dict__`.
        attributes = {**vars(parent), **(getattr(parent, "_modules", None) or {})}
        for attribute, value in list(attributes.items()):
            if isinstance(value, keras.layers.Layer):
                yield parent, attribute, value


def add_lora(model, rank, alpha=None, targets=("query", "value"), a_initializer="he_uniform"):
    """Wrap the projections of `model` named in `targets` with `LoRA`; freeze all other weights.

    Every `Dense`/`EinsumDense` that is an attribute of a layer of `model` and whose name is in
    `targets` is replaced by `LoRA(layer, rank, alpha)` in place. For a `build_gpt` model the
    attention projections are named `"query"`, `"key"`, `"value"` and `"attention_output"`,
    the MLP's `"hidden"` and `"projection"`. Afterwards only the A and B factors are
    trainable. Compile (or re-compile) the model after this call. Merge with `merge_lora`
    before saving: the model's config does not describe the wrappers.

    Args:
        model: a built `keras.Model` (or layer).
        rank: int ≥ 1.
        alpha: float > 0 or None (α = r). Defaults to `None`.
        targets: names of the layers to wrap. Defaults to `("query", "value")`.
        a_initializer: initializer of A. Defaults to `"he_uniform"`.

    Returns:
        list of the `LoRA` wrappers, in model order.

    Example:
    >>> from lmkeras.layers.attention import MultiHeadAttention
    >>> attention = MultiHeadAttention(num_heads=2, head_dim=4)
    >>> attention.build((None, None, 8))
    >>> [wrapper.name for wrapper in add_lora(attention, rank=2)]
    ['query_lora', 'value_lora']
    >>> [w.name for w in attention.trainable_weights]
    ['lora_a', 'lora_b', 'lora_a', 'lora_b']
    """
    check_type("model", model, keras.layers.Layer, "a built keras.Model (or layer)")
    check_int("rank", rank)
    if alpha is not None:
        check_positive("alpha", alpha)
    if isinstance(targets, str) or not all(isinstance(t, str) for t in targets):
        raise TypeError(f"`targets` must be a list of layer names; received targets={targets!r}.")
    targets = tuple(check_str("targets", t) for t in targets)
    if any(isinstance(layer, LoRA) for layer in model._flatten_layers()):
        raise ValueError("`model` already holds LoRA wrappers; call merge_lora(model) first.")
    slots = [slot for slot in _sublayer_slots(model) if isinstance(slot[2], _PROJECTIONS)]
    chosen = {id(layer): layer for _, _, layer in slots if layer.name in targets}
    if not chosen:
        names = sorted({layer.name for _, _, layer in slots})
        raise ValueError(
            f"`targets` must name Dense/EinsumDense layers held as attributes of the model's "
            f"layers (a node of a functional graph cannot be replaced in place); received "
            f"targets={targets!r}; the model has {names}."
        )
    wrappers = {}
    for key, layer in chosen.items():
        wrappers[key] = LoRA(layer, rank, alpha, a_initializer, name=f"{layer.name}_lora")
        # Build in the wrapped layer's scope, for paths like "block_0/attention/query_lora/...".
        with contextlib.ExitStack() as scopes:
            for part in layer.kernel.path.split("/")[:-2]:
                scopes.enter_context(keras.name_scope(part))
            wrappers[key].build()
    for parent, attribute, layer in slots:
        if id(layer) in wrappers:
            _replace(parent, attribute, layer, wrappers[id(layer)])
    wrappers = list(wrappers.values())
    adapters = {id(w) for wrapper in wrappers for w in (wrapper.lora_a, wrapper.lora_b)}
    for variable in model.weights:
        if id(variable) not in adapters:
            variable.trainable = False
    return wrappers


def merge_lora(model) -> int:
    """Fold every `LoRA` of `model` into its wrapped layer and put that layer back in its place.

    The model then computes what it computed with the adapters, without them. Its other weights
    stay frozen as `add_lora` left them (set `variable.trainable = True` to train them again).

    Args:
        model: a model that `add_lora` changed.

    Returns:
        int. The number of wrappers merged.
    """
    check_type("model", model, keras.layers.Layer, "a keras.Model (or layer) changed by add_lora")
    merged = 0
    for parent, attribute, wrapper in list(_sublayer_slots(model)):
        if isinstance(wrapper, LoRA):
            _replace(parent, attribute, wrapper, wrapper.merge())
            merged += 1
    return merged


def lora_parameter_count(model) -> int:
    """Number of LoRA factor entries (A and B) in `model`."""
    check_type("model", model, keras.layers.Layer, "a keras.Model (or layer)")
    return sum(
        int(ops.size(w)) for layer in model._flatten_layers() if isinstance(layer, LoRA)
        for w in (layer.lora_a, layer.lora_b)
    )  # fmt: skip


__all__ = ["LoRA", "add_lora", "lora_parameter_count", "merge_lora"]

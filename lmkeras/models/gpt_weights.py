"""GPT-2's weights in the course's own GPT: from KerasHub's `GPT2Backbone` or a safetensors file.

GPT-2 is the architecture `build_gpt` builds with `activation="gelu_tanh"`, learned positions,
tied output weights and LayerNorm epsilon 1e-5, so its weights are just arrays to copy, once
each is put in our layout:

    GPT-2 (Hugging Face names)     shape         ours (`build_gpt`)                 shape
    wte.weight, wpe.weight         (V, D) (L, D) token_embedding, position_embedding same
    h.i.ln_1, h.i.ln_2, ln_f       (D,)          block_i/attention_norm, mlp_norm,  same
      (.weight, .bias)                           final_norm (gamma, beta)
    h.i.attn.c_attn.weight         (D, 3D)       block_i/attention/q|k|v/kernel     3 × (D, H, D/H)
    h.i.attn.c_attn.bias           (3D,)         block_i/attention/q|k|v/bias       3 × (H, D/H)
    h.i.attn.c_proj.weight         (D, D)        .../attention_output/kernel        (H, D/H, D)
    h.i.attn.c_proj.bias           (D,)          .../attention_output/bias          same
    h.i.mlp.c_fc, h.i.mlp.c_proj   (D, 4D)       block_i/mlp/hidden, mlp/projection same
                                   (4D, D)

Hugging Face's GPT-2 stores its projections input-major (its `Conv1D` computes x·W + b, like
Keras), the three attention projections fused side by side in `c_attn`; the names may carry a
`transformer.` prefix (`GPT2LMHeadModel`) or not (`GPT2Model`). KerasHub's GPT-2 uses the same
layouts as ours, under its own names. Every name and shape is checked before anything is copied.

`keras_hub` and `safetensors` are imported only when a function needs them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import keras
import numpy as np

from lmkeras._checks import check_path, check_str, describe
from lmkeras.layers.positional import PositionEmbedding
from lmkeras.models.gpt import gpt_parts

# Checkpoint tensors that are not weights: the causal-mask buffers of older GPT-2 files.
_BUFFERS = (".attn.bias", ".attn.masked_bias")
_HUB_ROOTS = ("token_embedding", "position_embedding", "transformer_layer_", "layer_norm")


class WeightRow(NamedTuple):
    """One row of the mapping: a checkpoint tensor and the model variable it fills."""

    source: str
    source_shape: tuple
    target: str
    target_shape: tuple


class _Tensor(NamedTuple):
    """One Hugging Face tensor, the variables it fills and the KerasHub names of those."""

    hf: str
    targets: list
    hub: list
    split: Callable[[np.ndarray], list]  # HF array -> one array per target
    join: Callable[[list], np.ndarray]  # our arrays -> the HF array
    hf_shape: tuple


def _copy(hf, variable, hub):
    return _Tensor(hf, [variable], [hub], lambda a: [a], lambda xs: xs[0], tuple(variable.shape))


def _plan(model, epsilon: float | None = 1e-5) -> list[_Tensor]:
    """Every tensor of a GPT-2 checkpoint, in file order, for a `build_gpt` model."""
    parts = gpt_parts(model)
    _check_architecture(parts, epsilon)
    table = [
        _copy("wte.weight", parts.token_embedding.embeddings, "token_embedding/embeddings"),
        _copy("wpe.weight", parts.positions.embeddings, "position_embedding/embeddings"),
    ]
    for i, block in enumerate(parts.blocks):
        h, hub = f"h.{i}.", f"transformer_layer_{i}/"
        attention = block.attention
        qkv = [attention.query_dense, attention.key_dense, attention.value_dense]
        dim, heads, head_dim = attention.query_dense.kernel.shape

        def split_kernel(a, shape=(dim, heads, head_dim)):
            return [piece.reshape(shape) for piece in np.split(a, 3, axis=1)]  # 3 × (D, H, Dh)

        def split_bias(a, shape=(heads, head_dim)):
            return [piece.reshape(shape) for piece in np.split(a, 3)]  # 3 × (H, Dh)

        def join_kernel(xs, dim=dim):
            return np.concatenate([x.reshape(dim, -1) for x in xs], axis=1)  # (D, 3D)

        out = attention.output_dense.kernel  # (H, Dh, D)
        names = [f"{hub}self_attention/{n}" for n in ("query", "key", "value")]
        table += [
            _copy(h + "ln_1.weight", block.attention_norm.gamma,
                  hub + "self_attention_layer_norm/gamma"),
            _copy(h + "ln_1.bias", block.attention_norm.beta,
                  hub + "self_attention_layer_norm/beta"),
            _Tensor(h + "attn.c_attn.weight", [p.kernel for p in qkv],
                    [n + "/kernel" for n in names], split_kernel, join_kernel,
                    (dim, 3 * heads * head_dim)),
            _Tensor(h + "attn.c_attn.bias", [p.bias for p in qkv], [n + "/bias" for n in names],
                    split_bias, lambda xs: np.concatenate([x.reshape(-1) for x in xs]),
                    (3 * heads * head_dim,)),
            _Tensor(h + "attn.c_proj.weight", [out],
                    [hub + "self_attention/attention_output/kernel"],
                    lambda a, shape=tuple(out.shape): [a.reshape(shape)],
                    lambda xs, dim=dim: xs[0].reshape(-1, dim), (heads * head_dim, dim)),
            _copy(h + "attn.c_proj.bias", attention.output_dense.bias,
                  hub + "self_attention/attention_output/bias"),
            _copy(h + "ln_2.weight", block.mlp_norm.gamma, hub + "feedforward_layer_norm/gamma"),
            _copy(h + "ln_2.bias", block.mlp_norm.beta, hub + "feedforward_layer_norm/beta"),
            _copy(h + "mlp.c_fc.weight", block.mlp.hidden.kernel,
                  hub + "feedforward_intermediate_dense/kernel"),
            _copy(h + "mlp.c_fc.bias", block.mlp.hidden.bias,
                  hub + "feedforward_intermediate_dense/bias"),
            _copy(h + "mlp.c_proj.weight", block.mlp.projection.kernel,
                  hub + "feedforward_output_dense/kernel"),
            _copy(h + "mlp.c_proj.bias", block.mlp.projection.bias,
                  hub + "feedforward_output_dense/bias"),
        ]  # fmt: skip
    table += [
        _copy("ln_f.weight", parts.final_norm.gamma, "layer_norm/gamma"),
        _copy("ln_f.bias", parts.final_norm.beta, "layer_norm/beta"),
    ]
    return table


def _check_architecture(parts, epsilon):
    """Refuse a model that GPT-2's weights cannot reproduce, naming what differs."""
    problems = {}  # the first block that shows each difference
    if not isinstance(parts.positions, PositionEmbedding):
        problems["position"] = "learned positions (position='learned')"
    if parts.logits is not None:
        problems["tie"] = "an output layer tied to the token table (tie_weights=True)"
    for block in parts.blocks:
        if block.activation != "gelu_tanh":
            problems.setdefault(
                "activation", f"activation='gelu_tanh' ({block.name} has {block.activation!r})"
            )
        if block.rotary or block.cross_attention or not block.attention.use_bias:
            problems.setdefault("attention", f"plain biased self-attention ({block.name} has "
                                f"rotary={block.rotary}, cross_attention={block.cross_attention},"
                                f" use_bias={block.attention.use_bias})")  # fmt: skip
        if epsilon is not None and not np.isclose(block.layer_norm_epsilon, epsilon, rtol=1e-3):
            problems.setdefault("epsilon", f"layer_norm_epsilon={epsilon:g} ({block.name} has "
                                f"{block.layer_norm_epsilon:g})")  # fmt: skip
    if problems:
        raise ValueError(
            f"`model` must have GPT-2's architecture to take its weights; it lacks "
            f"{'; '.join(problems.values())}. Build it with "
            f"build_gpt(**gpt2_hyperparameters(source))."
        )


def _hub_types():
    import keras_hub

    return keras_hub.models.GPT2Backbone, keras_hub.models.GPT2CausalLM


def _is_hub_model(source) -> bool:
    module = type(source).__module__
    return module.startswith("keras_hub") and isinstance(source, _hub_types())


def _backbone(source):
    backbone, causal_lm = _hub_types()
    return source.backbone if isinstance(source, causal_lm) else source


def _hub_arrays(backbone) -> dict[str, np.ndarray]:
    """KerasHub's weights by path, from the first component GPT-2 names on."""
    arrays = {}
    for variable in backbone.weights:
        parts = variable.path.split("/")
        start = next((i for i, p in enumerate(parts) if p.startswith(_HUB_ROOTS)), 0)
        arrays["/".join(parts[start:])] = keras.ops.convert_to_numpy(variable)
    return arrays


def _hf_arrays(tensors: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """A Hugging Face GPT-2 state: `transformer.` and buffers dropped, the tied head checked."""
    arrays = {}
    for name, value in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"`source` must map str names to arrays; received a key {name!r}.")
        short = name.removeprefix("transformer.")
        if short.endswith(_BUFFERS):
            continue
        arrays[short] = np.asarray(value)
    head = arrays.pop("lm_head.weight", None)
    if head is not None and not np.array_equal(head, arrays.get("wte.weight")):
        raise ValueError(
            "`source` holds an `lm_head.weight` that differs from `wte.weight`: GPT-2 ties its "
            "output layer to the token table, and so does a build_gpt model (tie_weights=True)."
        )
    return arrays


def _read_safetensors(path: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return load_file(str(path))


def _source_arrays(source) -> tuple[dict[str, np.ndarray], str, dict | None]:
    """(arrays, naming "hub" or "hf", the Hugging Face config beside a file or None)."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.suffix != ".safetensors":
            raise ValueError(f"`source` must be a .safetensors file; received {str(source)!r}.")
        if not path.is_file():
            raise FileNotFoundError(f"`source` names no file: {str(source)!r}.")
        config_path = path.with_name("config.json")
        config = json.loads(config_path.read_text()) if config_path.is_file() else None
        return _hf_arrays(_read_safetensors(path)), "hf", config
    if isinstance(source, Mapping):
        return _hf_arrays(source), "hf", None
    if _is_hub_model(source):
        return _hub_arrays(_backbone(source)), "hub", None
    raise TypeError(
        f"`source` must be a KerasHub GPT2Backbone or GPT2CausalLM, a path to a .safetensors "
        f"file, or a dict of arrays in Hugging Face's naming; received {describe(source)}."
    )


def gpt2_hyperparameters(source) -> dict:
    """The `build_gpt` keyword arguments that reproduce a GPT-2.

    Args:
        source: a KerasHub `GPT2Backbone` or `GPT2CausalLM`; a `.safetensors` file with its
            Hugging Face `config.json` beside it; the path of that `config.json`; or its dict.

    Returns:
        dict: `vocabulary_size`, `sequence_length`, `num_layers`, `num_heads`, `hidden_dim`,
        `intermediate_dim`, `activation="gelu_tanh"`, `layer_norm_epsilon`, `position`,
        `tie_weights`.

    Example:
    >>> gpt2_hyperparameters({"vocab_size": 50257, "n_positions": 1024, "n_layer": 12,
    ...                       "n_head": 12, "n_embd": 768})["intermediate_dim"]
    3072
    """
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        path = path if path.name == "config.json" else path.with_name("config.json")
        if not path.is_file():
            raise FileNotFoundError(
                f"GPT-2's hyperparameters are in the checkpoint's config.json, which is not "
                f"there: {str(path)!r}."
            )
        source = json.loads(path.read_text())
    if isinstance(source, Mapping):
        missing = [k for k in ("vocab_size", "n_positions", "n_layer", "n_head", "n_embd")
                   if k not in source]  # fmt: skip
        if missing:
            raise ValueError(f"`source` config lacks {missing}; received keys {sorted(source)}.")
        kwargs = {"vocabulary_size": source["vocab_size"], "sequence_length": source["n_positions"],
                  "num_layers": source["n_layer"], "num_heads": source["n_head"],
                  "hidden_dim": source["n_embd"],
                  "intermediate_dim": source.get("n_inner") or 4 * source["n_embd"],
                  "layer_norm_epsilon": source.get("layer_norm_epsilon", 1e-5)}  # fmt: skip
    elif _is_hub_model(source):
        backbone = _backbone(source)
        kwargs = {"vocabulary_size": backbone.vocabulary_size,
                  "sequence_length": backbone.max_sequence_length,
                  "num_layers": backbone.num_layers, "num_heads": backbone.num_heads,
                  "hidden_dim": backbone.hidden_dim,
                  "intermediate_dim": backbone.intermediate_dim,
                  "layer_norm_epsilon": 1e-5}  # fmt: skip
    else:
        raise TypeError(
            f"`source` must be a KerasHub GPT2Backbone/GPT2CausalLM, a checkpoint path or a "
            f"config dict; received {describe(source)}."
        )
    return {**kwargs, "activation": "gelu_tanh", "position": "learned", "tie_weights": True}


def _check_config(model, config):
    """Compare a Hugging Face config.json with the model (heads cannot be seen in the arrays)."""
    expected = gpt2_hyperparameters(config)
    parts = gpt_parts(model)
    attention = parts.blocks[0].attention if parts.blocks else None
    actual = {"vocabulary_size": parts.vocabulary_size, "sequence_length": parts.sequence_length,
              "num_layers": len(parts.blocks),
              "num_heads": attention.num_heads if attention else None,
              "hidden_dim": parts.token_embedding.output_dim}  # fmt: skip
    for key, value in actual.items():
        if value != expected[key]:
            raise ValueError(
                f"The checkpoint's config.json gives {key}={expected[key]}; the model has "
                f"{key}={value}. Build it with build_gpt(**gpt2_hyperparameters(source))."
            )
    variants = {"activation_function": ("gelu_new", ("gelu_new", "gelu_pytorch_tanh")),
                "scale_attn_weights": (True, (True,)),
                "scale_attn_by_inverse_layer_idx": (False, (False,)),
                "reorder_and_upcast_attn": (False, (False,))}  # fmt: skip
    for key, (default, allowed) in variants.items():
        if config.get(key, default) not in allowed:
            raise ValueError(
                f"The checkpoint's config.json gives {key}={config[key]!r}; a build_gpt model "
                f"computes GPT-2's {key}={default!r}."
            )


def _check_names(arrays: dict, needed: list[str], naming: str):
    missing = [name for name in needed if name not in arrays]
    extra = sorted(set(arrays) - set(needed))
    where = "KerasHub backbone" if naming == "hub" else "checkpoint"
    if missing:
        raise ValueError(
            f"The {where} lacks {len(missing)} weight(s) the model needs: {missing[:6]}"
            f"{' …' if len(missing) > 6 else ''}. Does it have as many blocks as the model?"
        )
    if extra:
        raise ValueError(
            f"The {where} holds {len(extra)} weight(s) the model has no place for: "
            f"{extra[:6]}{' …' if len(extra) > 6 else ''}. Does it have more blocks than the "
            f"model?"
        )


def load_gpt2_weights(model: keras.Model, source) -> list[WeightRow]:
    """Copy GPT-2's weights into a `build_gpt` model, after checking every name and shape.

    Args:
        model: a `keras.Model` from `build_gpt(**gpt2_hyperparameters(source))`: GPT-2's sizes,
            `activation="gelu_tanh"`, learned positions, tied output weights.
        source: a KerasHub `GPT2Backbone` or `GPT2CausalLM`; the path of a `.safetensors` file
            in Hugging Face's naming (its `config.json` beside it, if present, is checked too:
            the head count cannot be read from the arrays); or a dict of arrays in that naming.

    Returns:
        list of `WeightRow(source, source_shape, target, target_shape)`, one per model
        variable, in checkpoint order: the mapping, for a table.

    Raises:
        ValueError: naming the model's architectural difference, a missing or extra weight, or
            a weight of the wrong shape (with both shapes). Nothing is copied then.
    """
    gpt_parts(model)  # a model that is not a GPT is refused before the source is read
    arrays, naming, config = _source_arrays(source)
    plan = _plan(model, (config or {}).get("layer_norm_epsilon", 1e-5))
    if config is not None:
        _check_config(model, config)
    pending, rows = [], []
    if naming == "hub":
        _check_names(arrays, [name for t in plan for name in t.hub], naming)
        for tensor in plan:
            for variable, name in zip(tensor.targets, tensor.hub):
                _check_shape(name, arrays[name].shape, tuple(variable.shape), variable.path)
                pending.append((variable, arrays[name]))
                rows.append(WeightRow(name, arrays[name].shape, variable.path,
                                      tuple(variable.shape)))  # fmt: skip
    else:
        _check_names(arrays, [t.hf for t in plan], naming)
        for tensor in plan:
            value = arrays[tensor.hf]
            targets = "|".join(v.path for v in tensor.targets)
            _check_shape(tensor.hf, value.shape, tensor.hf_shape, targets)
            for variable, piece in zip(tensor.targets, tensor.split(value)):
                pending.append((variable, piece))
                rows.append(WeightRow(tensor.hf, value.shape, variable.path,
                                      tuple(variable.shape)))  # fmt: skip
    for variable, value in pending:  # every check has passed: now copy
        variable.assign(np.asarray(value, dtype=keras.backend.standardize_dtype(variable.dtype)))
    return rows


def _check_shape(name, shape, expected, target):
    if tuple(shape) != tuple(expected):
        raise ValueError(
            f"Weight {name!r} has shape {tuple(shape)}; the model needs {tuple(expected)} for "
            f"{target}. Build the model with build_gpt(**gpt2_hyperparameters(source))."
        )


def gpt2_state_dict(model: keras.Model, prefix: str = "transformer.") -> dict[str, np.ndarray]:
    """A `build_gpt` model's weights in Hugging Face's GPT-2 naming and layout (float32 NumPy).

    The inverse of `load_gpt2_weights` for a dict: `load_gpt2_weights(other, gpt2_state_dict(
    model))` makes `other` compute what `model` computes. The tied output layer is left out,
    as `GPT2LMHeadModel.save_pretrained` leaves it out.

    Args:
        model: a GPT-2-shaped `build_gpt` model.
        prefix: str. Put before every name. Defaults to `"transformer."` (`GPT2LMHeadModel`'s).

    Returns:
        dict name → array.
    """
    check_str("prefix", prefix, allow_empty=True)
    state = {}
    for tensor in _plan(model, epsilon=None):
        arrays = [keras.ops.convert_to_numpy(v).astype("float32") for v in tensor.targets]
        state[prefix + tensor.hf] = np.ascontiguousarray(tensor.join(arrays))
    return state


def save_gpt2_checkpoint(model: keras.Model, folder) -> Path:
    """Write `model.safetensors` and `config.json` in Hugging Face's GPT-2 format into `folder`.

    Args:
        model: a GPT-2-shaped `build_gpt` model.
        folder: str or path. Created if missing.

    Returns:
        The path of the `.safetensors` file.
    """
    from safetensors.numpy import save_file

    folder = check_path("folder", folder)
    parts = gpt_parts(model)
    folder.mkdir(parents=True, exist_ok=True)
    block = parts.blocks[0]
    config = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2",
              "vocab_size": parts.vocabulary_size, "n_positions": parts.sequence_length,
              "n_embd": parts.token_embedding.output_dim, "n_layer": len(parts.blocks),
              "n_head": block.num_heads, "n_inner": block.intermediate_dim,
              "activation_function": "gelu_new", "layer_norm_epsilon": block.layer_norm_epsilon,
              "resid_pdrop": 0.0, "embd_pdrop": 0.0, "attn_pdrop": 0.0,
              "tie_word_embeddings": True}  # fmt: skip
    path = folder / "model.safetensors"
    save_file(gpt2_state_dict(model), str(path), metadata={"format": "pt"})
    (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    return path


__all__ = [
    "WeightRow",
    "gpt2_hyperparameters",
    "gpt2_state_dict",
    "load_gpt2_weights",
    "save_gpt2_checkpoint",
]

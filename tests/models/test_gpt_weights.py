"""GPT-2 weights into `build_gpt`: from a tiny random KerasHub `GPT2Backbone` and from a
safetensors checkpoint written by Hugging Face's own `GPT2LMHeadModel` (tests/data/gpt2_tiny,
made by its `make_fixture.py`): same logits, same greedy text; bad checkpoints refused by name."""

import json
import shutil
from pathlib import Path

import keras
import keras_hub
import numpy as np
import pytest
from keras import ops

from lmkeras import sampling
from lmkeras.hub import tiny_gpt2_backbone
from lmkeras.models.gpt import build_gpt, gpt_generate, gpt_step_fn
from lmkeras.models.gpt_weights import (
    gpt2_hyperparameters,
    gpt2_state_dict,
    load_gpt2_weights,
    save_gpt2_checkpoint,
)

FIXTURE = Path(__file__).parents[1] / "data" / "gpt2_tiny"
CHECKPOINT = FIXTURE / "model.safetensors"
# float32 logits of magnitude ~3 computed in another order by another framework.
ATOL = 1e-5
JIT = keras.backend.backend() == "jax"  # eager TensorFlow is cheaper for a tiny model


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


@pytest.fixture(scope="module")
def backbone():
    return tiny_gpt2_backbone(vocabulary_size=50, max_sequence_length=16, stddev=0.3, seed=1)


@pytest.fixture(scope="module")
def expected():
    return np.load(FIXTURE / "expected.npz")


def test_keras_hub_backbone_gives_the_same_logits_and_greedy_text(backbone):
    model = build_gpt(**gpt2_hyperparameters(backbone))
    rows = load_gpt2_weights(model, backbone)
    assert len(rows) == len(model.weights) == len(backbone.weights)
    ids = np.random.default_rng(0).integers(0, 50, (2, 12)).astype("int32")
    causal_lm = keras_hub.models.GPT2CausalLM(backbone, preprocessor=None)
    theirs = _np(causal_lm({"token_ids": ids, "padding_mask": np.ones_like(ids)}))
    np.testing.assert_allclose(_np(model(ids)), theirs, atol=ATOL, rtol=0)
    prompt = np.zeros((2, 12), "int32")  # KerasHub generates into a fixed-length buffer
    prompt[:, :4] = ids[:, :4]
    causal_lm.compile(sampler="greedy", run_eagerly=not JIT)  # eager on TensorFlow: no tracing
    mask = np.broadcast_to(np.arange(12) < 4, prompt.shape)
    theirs = causal_lm.generate({"token_ids": prompt, "padding_mask": mask}, stop_token_ids=None)
    theirs = theirs["token_ids"]
    np.testing.assert_array_equal(_np(gpt_generate(model, ids[:, :4], 8, jit=JIT)), theirs)


def test_safetensors_from_hugging_face_matches_its_own_logits_and_generation(expected):
    model = build_gpt(**gpt2_hyperparameters(CHECKPOINT))
    load_gpt2_weights(model, CHECKPOINT)
    np.testing.assert_allclose(_np(model(expected["ids"])), expected["logits"], atol=ATOL, rtol=0)
    prompt, step = expected["ids"][:, :4], gpt_step_fn(model, jit=JIT)
    greedy = sampling.generate(step, prompt, 12, sampling.GreedySampler())
    np.testing.assert_array_equal(_np(greedy), expected["greedy"])
    no_repeat = sampling.generate(step, prompt, 12, sampling.GreedySampler(),
                                  no_repeat_ngram_size=2)  # fmt: skip
    np.testing.assert_array_equal(_np(no_repeat), expected["no_repeat_2"])


def test_exported_state_dict_round_trips_with_and_without_the_prefix(backbone, tmp_path):
    model = build_gpt(**gpt2_hyperparameters(backbone))
    load_gpt2_weights(model, backbone)
    ids = np.arange(10, dtype="int32")[None]
    state = gpt2_state_dict(model)
    assert state["transformer.h.0.attn.c_attn.weight"].shape == (8, 24)  # q|k|v, input-major
    bare = {name.removeprefix("transformer."): value for name, value in state.items()}
    copy = build_gpt(**gpt2_hyperparameters(backbone))
    for source in (state, bare, save_gpt2_checkpoint(model, tmp_path)):
        for variable in copy.weights:
            variable.assign(np.zeros(variable.shape, "float32"))
        load_gpt2_weights(copy, source)
        np.testing.assert_array_equal(_np(copy(ids)), _np(model(ids)))


def test_a_wrong_shape_is_refused_naming_the_weight_and_both_shapes(backbone):
    model = build_gpt(**gpt2_hyperparameters(backbone))
    before = [_np(w).copy() for w in model.weights]
    state = gpt2_state_dict(model)
    state["transformer.h.1.attn.c_attn.weight"] = np.zeros((8, 30), "float32")
    with pytest.raises(ValueError, match=r"'h\.1\.attn\.c_attn\.weight'.*\(8, 30\).*\(8, 24\)"):
        load_gpt2_weights(model, state)
    for old, new in zip(before, model.weights):  # refused before anything was copied
        np.testing.assert_array_equal(_np(new), old)
    wider = build_gpt(**{**gpt2_hyperparameters(backbone), "intermediate_dim": 16})
    words = r"feedforward_intermediate_dense/kernel.*\(8, 32\).*\(8, 16\)"
    with pytest.raises(ValueError, match=words):
        load_gpt2_weights(wider, backbone)


def test_missing_or_extra_weights_are_refused_by_name(backbone):
    model = build_gpt(**gpt2_hyperparameters(backbone))
    state = gpt2_state_dict(model)
    with pytest.raises(ValueError, match=r"lacks 1 weight.*'ln_f\.bias'"):
        load_gpt2_weights(model, {k: v for k, v in state.items() if not k.endswith("ln_f.bias")})
    one_block = build_gpt(**{**gpt2_hyperparameters(backbone), "num_layers": 1})
    with pytest.raises(ValueError, match=r"no place for.*'h\.1\.attn\.c_attn\.bias'"):
        load_gpt2_weights(one_block, state)
    with pytest.raises(ValueError, match="lm_head"):
        load_gpt2_weights(model, {**state, "lm_head.weight": np.ones((50, 8), "float32")})


def test_a_model_without_gpt2_architecture_is_refused(backbone):
    kwargs = gpt2_hyperparameters(backbone)
    for change, words in [({"activation": "gelu"}, "activation='gelu_tanh'"),
                          ({"tie_weights": False}, "tie_weights=True"),
                          ({"position": "rope"}, "position='learned'"),
                          ({"layer_norm_epsilon": 1e-6}, "layer_norm_epsilon=1e-05")]:  # fmt: skip
        with pytest.raises(ValueError, match=words.replace("(", r"\(")):
            load_gpt2_weights(build_gpt(**{**kwargs, **change}), backbone)


def test_the_checkpoint_config_is_checked_where_the_arrays_cannot_tell(tmp_path):
    shutil.copy(CHECKPOINT, tmp_path / "model.safetensors")
    config = json.loads((FIXTURE / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps(config))
    heads = build_gpt(**{**gpt2_hyperparameters(CHECKPOINT), "num_heads": 4})
    with pytest.raises(ValueError, match="num_heads=2.*num_heads=4"):
        load_gpt2_weights(heads, tmp_path / "model.safetensors")
    (tmp_path / "config.json").write_text(json.dumps({**config, "activation_function": "relu"}))
    with pytest.raises(ValueError, match="activation_function='relu'"):
        load_gpt2_weights(build_gpt(**gpt2_hyperparameters(CHECKPOINT)),
                          tmp_path / "model.safetensors")  # fmt: skip


def test_bad_sources_are_refused():
    model = build_gpt(**gpt2_hyperparameters(CHECKPOINT))
    with pytest.raises(TypeError, match="`source`"):
        load_gpt2_weights(model, 3)
    with pytest.raises(ValueError, match=r"\.safetensors"):
        load_gpt2_weights(model, FIXTURE / "config.json")
    with pytest.raises(FileNotFoundError, match="missing.safetensors"):
        load_gpt2_weights(model, FIXTURE / "missing.safetensors")
    with pytest.raises(ValueError, match=r"lacks \['n_head'\]"):
        gpt2_hyperparameters({"vocab_size": 5, "n_positions": 4, "n_layer": 1, "n_embd": 4})

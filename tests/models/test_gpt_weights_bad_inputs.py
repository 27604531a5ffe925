"""Bad inputs of `lmkeras.models.gpt_weights`: models GPT-2's weights do not fit, sources that are
not checkpoints, missing or misshapen weights, and paths."""

from __future__ import annotations

import functools
import os
import tempfile

import numpy as np

from lmkeras.models.gpt import build_gpt
from lmkeras.models.gpt_weights import (
    gpt2_hyperparameters,
    gpt2_state_dict,
    load_gpt2_weights,
    save_gpt2_checkpoint,
)
from tests.bad_inputs import bad, check_refused, table

CONFIG = {"vocab_size": 10, "n_positions": 8, "n_layer": 1, "n_head": 1, "n_embd": 4}


@functools.cache
def gpt2():
    """A tiny GPT with GPT-2's architecture."""
    return build_gpt(**gpt2_hyperparameters(CONFIG))


@functools.cache
def plain_gpt():
    """A tiny GPT that GPT-2's weights cannot reproduce (GELU, not its tanh approximation)."""
    return build_gpt(10, sequence_length=8, num_layers=1, num_heads=1, hidden_dim=4)


def state(drop=(), **changes):
    arrays = {k: v for k, v in gpt2_state_dict(gpt2()).items() if k not in drop}
    return {**arrays, **changes}


def unwritten_folder():
    return os.path.join(tempfile.mkdtemp(prefix="lmkeras-gpt2-"), "checkpoint")


def refused_without_a_folder():
    folder = unwritten_folder()
    try:
        save_gpt2_checkpoint("model", folder)
    finally:
        assert not os.path.exists(folder), "a refused call created the folder"


GPT_WEIGHTS_ROWS = [
    bad(gpt2_hyperparameters, lambda: gpt2_hyperparameters(5), TypeError, "`source`", "5"),
    bad(gpt2_hyperparameters, lambda: gpt2_hyperparameters({"vocab_size": 5}), ValueError,
        "`source`", "'n_positions'", "['vocab_size']"),
    bad(gpt2_hyperparameters, lambda: gpt2_hyperparameters("/no/such/config.json"),
        FileNotFoundError, "config.json", "/no/such/config.json"),
    bad(load_gpt2_weights, lambda: load_gpt2_weights("model", {}), TypeError, "`model`",
        "'model'", "build_gpt"),
    bad(load_gpt2_weights, lambda: load_gpt2_weights(gpt2(), 5), TypeError, "`source`", "5",
        "GPT2Backbone"),
    bad(load_gpt2_weights, lambda: load_gpt2_weights(gpt2(), "weights.bin"), ValueError,
        "`source`", "'weights.bin'", ".safetensors"),
    bad(load_gpt2_weights, lambda: load_gpt2_weights(gpt2(), "/no/such/model.safetensors"),
        FileNotFoundError, "`source`", "'/no/such/model.safetensors'"),
    bad(load_gpt2_weights, lambda: load_gpt2_weights(gpt2(), {1: np.zeros(3)}), TypeError,
        "`source`", "str names", "1"),
    bad(load_gpt2_weights, lambda: load_gpt2_weights(plain_gpt(), state()), ValueError,
        "`model`", "activation='gelu_tanh'", "'gelu'"),
    bad(load_gpt2_weights,
        lambda: load_gpt2_weights(gpt2(), state(drop=("transformer.ln_f.bias",))), ValueError,
        "lacks 1 weight", "'ln_f.bias'"),
    bad(load_gpt2_weights,
        lambda: load_gpt2_weights(gpt2(), state(**{"transformer.wte.weight": np.zeros((10, 5))})),
        ValueError, "'wte.weight'", "(10, 5)", "(10, 4)"),
    bad(gpt2_state_dict, lambda: gpt2_state_dict("model"), TypeError, "`model`", "'model'"),
    bad(gpt2_state_dict, lambda: gpt2_state_dict(gpt2(), prefix=5), TypeError, "`prefix`",
        "prefix=5"),
    bad(gpt2_state_dict, lambda: gpt2_state_dict(plain_gpt()), ValueError,
        "activation='gelu_tanh'"),
    bad(save_gpt2_checkpoint, lambda: save_gpt2_checkpoint(gpt2(), 5), TypeError, "`folder`",
        "folder=5"),
    bad(save_gpt2_checkpoint, refused_without_a_folder, TypeError, "`model`", "'model'"),
]  # fmt: skip


@table(GPT_WEIGHTS_ROWS)
def test_gpt_weights_refuse_bad_input(row):
    check_refused(row)

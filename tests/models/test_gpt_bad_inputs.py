"""Bad inputs of `lmkeras.models.gpt`: prompts outside the vocabulary or the context, NaN logits."""

from __future__ import annotations

import functools

import numpy as np

from lmkeras.models import gpt as g
from lmkeras.models.rnn import build_rnn_lm
from lmkeras.sampling import TemperatureSampler
from tests.bad_inputs import bad, check_refused, table

TINY = {"sequence_length": 16, "num_layers": 1, "num_heads": 1, "hidden_dim": 4}
P = np.array([[1, 2]])


@functools.cache
def gpt():
    return g.build_gpt(10, **TINY)


@functools.cache
def broken_gpt():
    """A GPT whose weights went NaN (a diverged run): every logit is NaN."""
    model = g.build_gpt(10, **TINY)
    model.set_weights([np.full_like(w, np.nan) for w in model.get_weights()])
    return model


@functools.cache
def step():
    return g.gpt_step_fn(gpt(), jit=False)


def generate(prompt=P, max_new_tokens=3, **kwargs):
    return g.gpt_generate(kwargs.pop("model", gpt()), prompt, max_new_tokens,
                          **{"jit": False, **kwargs})  # fmt: skip


def build(**kwargs):
    return g.build_gpt(**{"vocabulary_size": 10, **TINY, **kwargs})


GPT_ROWS = [
    bad(g.check_gpt_options, lambda: g.check_gpt_options(norm="batch"), ValueError,
        "norm='batch'"),
    bad(g.check_gpt_options, lambda: g.check_gpt_options(head_initializer="zeros"), ValueError,
        "tie_weights=False"),
    bad(g.check_gpt_options, lambda: g.check_gpt_options(position="absolute"), ValueError,
        "position='absolute'"),
    bad(g.build_gpt, lambda: build(vocabulary_size=0), ValueError, "vocabulary_size=0"),
    bad(g.build_gpt, lambda: build(sequence_length=True), TypeError, "sequence_length=True"),
    bad(g.build_gpt, lambda: build(hidden_dim=10, num_heads=4), ValueError, "hidden_dim=10",
        "num_heads=4"),
    bad(g.build_gpt, lambda: build(position="absolute"), ValueError, "position='absolute'",
        "'learned'"),
    bad(g.build_gpt, lambda: build(dropout=1), ValueError, "dropout=1"),
    bad(g.build_gpt, lambda: build(attention_dropout=1.5), ValueError, "attention_dropout=1.5"),
    bad(g.build_gpt, lambda: build(attention_dropout="0"), TypeError, "attention_dropout='0'"),
    bad(g.build_gpt, lambda: build(tie_weights="yes"), TypeError, "tie_weights='yes'"),
    bad(g.build_gpt, lambda: build(activation="swish"), ValueError, "activation='swish'"),
    bad(g.build_gpt, lambda: build(layer_norm_epsilon=-1), ValueError, "layer_norm_epsilon=-1"),
    bad(g.build_gpt, lambda: build(intermediate_dim=0), ValueError, "intermediate_dim=0"),
    bad(g.build_gpt, lambda: build(kernel_initializer="nope"), ValueError,
        "`kernel_initializer`", "'nope'"),
    bad(g.build_gpt, lambda: build(hidden_dim=6, num_heads=2, position="rope"), ValueError,
        "position='rope'", "3"),
    bad(g.gpt_parts, lambda: g.gpt_parts("model"), TypeError, "`model`", "'model'"),
    bad(g.gpt_parts, lambda: g.gpt_parts(build_rnn_lm(10, 2, 2)), TypeError, "`model`",
        "build_gpt"),
    bad(g.gpt_step_fn, lambda: g.gpt_step_fn(gpt(), use_cache="yes"), TypeError,
        "use_cache='yes'"),
    bad(g.gpt_step_fn, lambda: g.gpt_step_fn(gpt(), max_length=64), ValueError,
        "max_length=64", "sequence_length=16"),
    bad(g.gpt_step_fn, lambda: g.gpt_step_fn(gpt(), bucket=0), ValueError, "bucket=0"),
    bad(g.gpt_step_fn, lambda: g.gpt_step_fn(gpt(), jit=1), TypeError, "jit=1"),
    bad(g.gpt_step_fn, lambda: step()(np.array([[3, 10]]), None), ValueError, "`new_ids`",
        "[0, 10)", "10"),
    bad(g.gpt_step_fn, lambda: step()(np.array([3, 4]), None), ValueError, "`new_ids`",
        "2 axes"),
    bad(g.gpt_step_fn, lambda: step()(np.array([[0.5]]), None), TypeError, "`new_ids`",
        "float64"),
    bad(g.gpt_step_fn, lambda: step()(np.zeros((1, 17), "int32"), None), ValueError,
        "max_length=16", "17 new ids"),
    bad(g.gpt_generate, lambda: generate(np.array([[1, 10]])), ValueError, "`prompt_ids`",
        "[0, 10)", "10"),
    bad(g.gpt_generate, lambda: generate(np.array([[-1]])), ValueError, "`prompt_ids`", "-1"),
    bad(g.gpt_generate, lambda: generate(np.array([1, 2])), ValueError, "`prompt_ids`",
        "2 axes"),
    bad(g.gpt_generate, lambda: generate(np.zeros((1, 0), "int32")), ValueError,
        "`prompt_ids`", "(1, 0)"),
    bad(g.gpt_generate, lambda: generate(max_new_tokens=0), ValueError, "max_new_tokens=0"),
    bad(g.gpt_generate, lambda: generate(sampler=5), TypeError, "`sampler`", "5"),
    bad(g.gpt_generate, lambda: generate(seed=-1), ValueError, "seed=-1"),
    bad(g.gpt_generate, lambda: generate(np.zeros((1, 17), "int32")), ValueError,
        "`prompt_ids`", "max_length=16", "(1, 17)"),
    bad(g.gpt_generate, lambda: generate(use_cache="yes"), TypeError, "use_cache='yes'"),
    bad(g.gpt_generate, lambda: generate(max_length=0), ValueError, "max_length=0"),
    bad(g.gpt_generate, lambda: generate(max_length=17), ValueError, "max_length=17",
        "sequence_length=16"),
    bad(g.gpt_generate, lambda: generate(model=broken_gpt()), ValueError, "NaN", "logits"),
    bad(g.gpt_generate, lambda: generate(model=broken_gpt(), sampler=TemperatureSampler(1.0)),
        ValueError, "NaN", "`logits`"),
    bad(g.gpt_attention_weights, lambda: g.gpt_attention_weights(gpt(), np.array([[3, 11]])),
        ValueError, "`token_ids`", "11"),
    bad(g.gpt_attention_weights, lambda: g.gpt_attention_weights(gpt(), np.array([3, 4])),
        ValueError, "`token_ids`", "2 axes"),
    bad(g.gpt_attention_weights,
        lambda: g.gpt_attention_weights(gpt(), np.zeros((1, 17), "int32")), ValueError,
        "17 positions", "sequence_length=16"),
]  # fmt: skip


@table(GPT_ROWS)
def test_gpt_refuses_bad_input(row):
    check_refused(row)

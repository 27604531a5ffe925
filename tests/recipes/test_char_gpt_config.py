"""Chapter 08's recipe as a config: every field reaches the model or the trainer."""

import inspect

import keras

from lmkeras.models.gpt import build_gpt
from lmkeras.recipes.char_gpt import CharGPTConfig
from lmkeras.training import train_with_time_budget


def test_every_field_reaches_build_gpt_or_the_trainer():
    config = CharGPTConfig.modern(dropout=0.1)
    model_names, training_names = set(config.model_kwargs()), set(config.training_kwargs())
    fields = set(CharGPTConfig.__dataclass_fields__)
    assert model_names | training_names == fields
    assert model_names & training_names == {"sequence_length"}  # the model's and the windows'
    assert training_names <= set(inspect.signature(train_with_time_budget).parameters)


def test_dropout_reaches_every_dropout_of_the_model():
    small = {"num_layers": 2, "num_heads": 2, "hidden_dim": 16, "sequence_length": 8}
    model = build_gpt(11, **CharGPTConfig.modern(dropout=0.15, **small).model_kwargs())
    rates = {
        layer.rate for layer in model._flatten_layers() if isinstance(layer, keras.layers.Dropout)
    }
    assert rates == {0.15}
    plain = build_gpt(11, **CharGPTConfig(**small).model_kwargs())
    assert not [
        layer for layer in plain._flatten_layers() if isinstance(layer, keras.layers.Dropout)
    ]


def test_attention_dropout_zero_keeps_dropout_on_the_residual_branches_only():
    small = {"num_layers": 2, "num_heads": 2, "hidden_dim": 16, "sequence_length": 8}
    config = CharGPTConfig.modern(dropout=0.1, attention_dropout=0.0, **small)
    model = build_gpt(11, **config.model_kwargs())
    rates = [
        layer.rate for layer in model._flatten_layers() if isinstance(layer, keras.layers.Dropout)
    ]
    # The embeddings' and, in each block, the attention branch's and the MLP's.
    assert rates == [0.1] * (1 + 2 * 2)
    blocks = [model.get_layer(f"block_{i}") for i in range(2)]
    assert [block.attention.dropout_layer for block in blocks] == [None, None]

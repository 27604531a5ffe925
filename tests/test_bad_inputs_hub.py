"""Bad inputs of `lmkeras.hub` (the KerasHub bridge): n-gram sizes, samplers KerasHub's loop
cannot wrap, sizes of the tiny GPT-2 and its tokenizer, and preset names."""

from __future__ import annotations

import keras_hub
import numpy as np

from lmkeras import hub
from tests.bad_inputs import bad, check_refused, table

IDS = np.array([[1, 2, 1, 0, 0]], "int32")
TEXTS = ["Hello! How are you today? I am fine, thank you."]
mask_at, Sampler = hub.banned_ngram_mask_at, hub.NoRepeatNGramSampler
backbone, tokenizer = hub.tiny_gpt2_backbone, hub.tiny_gpt2_tokenizer

HUB_ROWS = [
    bad(mask_at, lambda: mask_at(IDS, 3, 4, 0), ValueError, "ngram_size=0", "≥ 1"),
    bad(mask_at, lambda: mask_at(IDS, 3, 0, 2), ValueError, "vocabulary_size=0"),
    bad(mask_at, lambda: mask_at(IDS, 3, 4, 2.0), TypeError, "ngram_size=2.0"),
    bad(Sampler, lambda: Sampler(0), ValueError, "ngram_size=0"),
    bad(Sampler, lambda: Sampler(2, "beam"), ValueError, "`sampler`", "'beam'", "'greedy'"),
    bad(Sampler, lambda: Sampler(2, 5), TypeError, "`sampler`", "sampler=5"),
    bad(Sampler, lambda: Sampler(2, keras_hub.samplers.BeamSampler()), ValueError,
        "`sampler`", "BeamSampler", "standard generation loop"),
    bad(Sampler, lambda: Sampler(2, Sampler(2)), TypeError, "`sampler`",
        "other than a NoRepeatNGramSampler"),
    bad(backbone, lambda: backbone(num_heads=3), ValueError, "`num_heads`", "hidden_dim=8",
        "num_heads=3"),
    bad(backbone, lambda: backbone(vocabulary_size=0), ValueError, "vocabulary_size=0"),
    bad(backbone, lambda: backbone(num_layers="2"), TypeError, "num_layers='2'"),
    bad(backbone, lambda: backbone(intermediate_dim=0), ValueError, "intermediate_dim=0"),
    bad(backbone, lambda: backbone(stddev=0.0), ValueError, "stddev=0.0", "> 0"),
    bad(backbone, lambda: backbone(seed=-1), ValueError, "seed=-1"),
    bad(tokenizer, lambda: tokenizer(TEXTS[0]), TypeError, "`texts`", "one str"),
    bad(tokenizer, lambda: tokenizer(TEXTS, vocabulary_size=100), ValueError,
        "vocabulary_size=100", "≥ 258"),
    bad(tokenizer, lambda: tokenizer(["ab"]), ValueError, "`texts`", "no merge"),
    bad(hub.tiny_gpt2_causal_lm, lambda: hub.tiny_gpt2_causal_lm(TEXTS, sequence_length=0),
        ValueError, "sequence_length=0"),
    bad(hub.tiny_gpt2_causal_lm, lambda: hub.tiny_gpt2_causal_lm(TEXTS, vocabulary_size=4),
        ValueError, "vocabulary_size=4"),
    bad(hub.load_gpt2, lambda: hub.load_gpt2(5), TypeError, "`preset`", "preset=5"),
    bad(hub.load_gpt2, lambda: hub.load_gpt2(""), ValueError, "`preset`", "''"),
]  # fmt: skip


@table(HUB_ROWS)
def test_hub_refuses_bad_input(row):
    check_refused(row)

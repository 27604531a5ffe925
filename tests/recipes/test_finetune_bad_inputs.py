"""Bad inputs of chapter 12's fine-tuning recipe (`lmkeras.recipes.finetune`): every one is
refused before any data is loaded or any model copied or trained."""

from __future__ import annotations

import functools

import numpy as np

from lmkeras.models.gpt import build_gpt
from lmkeras.recipes import finetune as ft
from lmkeras.text import CharTokenizer
from tests.bad_inputs import bad, check_refused, offline, table

Config = ft.FinetuneConfig
TOKENIZER = CharTokenizer.from_text("Go.Its' ")
PAIRS = [("Go.", "Ve."), ("It's 5.", "Son las 5.")]
IDS = np.zeros(64, "int32")
DATA = {"train_ids": IDS, "validation_ids": IDS}


@functools.cache
def gpt():
    return build_gpt(10, sequence_length=8, num_layers=1, num_heads=1, hidden_dim=4)


def tune(method=4, **kwargs):
    return ft.finetune(kwargs.pop("base", gpt()), kwargs.pop("data", DATA), method, **kwargs)


def compare(**kwargs):
    return ft.compare_finetuning(kwargs.pop("base", gpt()), kwargs.pop("data", DATA), **kwargs)


def load(path=None, seconds=1.0, **kwargs):
    return offline(lambda: ft.load_or_train_char_gpt(path, seconds, **kwargs))


FINETUNE_ROWS = [
    bad(Config, lambda: Config(seconds=0), ValueError, "seconds=0"),
    bad(Config, lambda: Config(ranks=(4, 0)), ValueError, "`ranks`", "ranks=0"),
    bad(Config, lambda: Config(ranks=8), TypeError, "`ranks`", "ranks=8"),
    bad(Config, lambda: Config(alpha=0.0), ValueError, "alpha=0.0"),
    bad(Config, lambda: Config(lora_learning_rate=0.0), ValueError, "lora_learning_rate=0.0"),
    bad(Config, lambda: Config(full_learning_rate="1e-3"), TypeError,
        "full_learning_rate='1e-3'"),
    bad(Config, lambda: Config(weight_decay=-0.1), ValueError, "weight_decay=-0.1"),
    bad(Config, lambda: Config(batch_size=0), ValueError, "batch_size=0"),
    bad(Config, lambda: Config(warmup_steps=2.5), TypeError, "warmup_steps=2.5"),
    bad(Config, lambda: Config(min_lr_ratio=2.0), ValueError, "min_lr_ratio=2.0", "≤ 1"),
    bad(Config, lambda: Config(eval_every=-1.0), ValueError, "eval_every=-1.0"),
    bad(Config, lambda: Config(max_steps=0), ValueError, "max_steps=0"),
    bad(Config, lambda: Config(jit_compile="yes"), TypeError, "jit_compile='yes'"),
    bad(Config.replace, lambda: Config().replace(rank=4), TypeError, "['rank']"),
    bad(Config.replace, lambda: Config().replace(seconds=-1), ValueError, "seconds=-1"),
    bad(ft.english_text, lambda: ft.english_text("Go.", TOKENIZER), TypeError, "`pairs`",
        "'Go.'"),
    bad(ft.english_text, lambda: ft.english_text(PAIRS, "Go."), TypeError, "`tokenizer`",
        "CharTokenizer"),
    bad(ft.modern_english, offline(lambda: ft.modern_english("Go.")), TypeError, "`tokenizer`",
        "CharTokenizer"),
    bad(ft.modern_english, offline(lambda: ft.modern_english(TOKENIZER, train_size=0)),
        ValueError, "train_size=0"),
    bad(ft.load_or_train_char_gpt, load(seconds=0), ValueError, "seconds=0"),
    bad(ft.load_or_train_char_gpt, load(path=5), TypeError, "`path`", "path=5"),
    bad(ft.load_or_train_char_gpt, load(config="small"), TypeError, "`config`", "'small'",
        "CharGPTConfig"),
    bad(ft.load_or_train_char_gpt, load(verbose=5), ValueError, "verbose=5"),
    bad(ft.copy_model, lambda: ft.copy_model("gpt"), TypeError, "`model`", "'gpt'"),
    bad(ft.finetune, lambda: tune("lora"), ValueError, "`method`", "method='lora'", "'full'"),
    bad(ft.finetune, lambda: tune(0), ValueError, "method=0"),
    bad(ft.finetune, lambda: tune(2.0), TypeError, "method=2.0"),
    bad(ft.finetune, lambda: tune(config={"seconds": 1}), TypeError, "`config`",
        "FinetuneConfig"),
    bad(ft.finetune, lambda: tune(base="gpt"), TypeError, "`model`", "'gpt'"),
    bad(ft.finetune, lambda: tune(data=IDS), TypeError, "`data`", "dict"),
    bad(ft.finetune, lambda: tune(data={"train_ids": IDS}), ValueError, "`data`",
        "['train_ids']", "validation_ids"),
    bad(ft.compare_finetuning, lambda: compare(config="fast"), TypeError, "`config`",
        "FinetuneConfig"),
    bad(ft.compare_finetuning, lambda: compare(base="gpt"), TypeError, "`model`", "'gpt'"),
    bad(ft.compare_finetuning, lambda: compare(data=IDS), TypeError, "`data`", "dict"),
    bad(ft.compile_for_evaluation, lambda: ft.compile_for_evaluation("gpt"), TypeError,
        "`model`", "'gpt'"),
    bad(ft.compile_for_evaluation, lambda: ft.compile_for_evaluation(gpt(), "yes"), TypeError,
        "jit_compile='yes'"),
]  # fmt: skip


@table(FINETUNE_ROWS)
def test_finetune_recipe_refuses_bad_input(row):
    check_refused(row)

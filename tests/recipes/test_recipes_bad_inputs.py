"""Bad inputs of the chapter recipes (`lmkeras.recipes.char_lm`, `char_gpt`, `translation`):
every one is refused before any data is loaded or any model trained."""

from __future__ import annotations

import functools

from lmkeras.datasets.translation import PairEncoder
from lmkeras.models.transformer_translator import TransformerTranslator
from lmkeras.recipes import char_gpt, char_lm
from lmkeras.recipes import translation as tr
from lmkeras.text import CharTokenizer
from tests.bad_inputs import bad, check_refused, table

TEXT = "To be, or not to be, that is the question.\n" * 5
PAIRS = [("hola .", "hello ."), ("adiós .", "bye ."), ("el gato .", "the cat .")]
ENC = PairEncoder.from_pairs(PAIRS, 100, 100)
LMConfig, GPTConfig = char_lm.CharLMConfig, char_gpt.CharGPTConfig


@functools.cache
def translator(source=None, target=None):
    return TransformerTranslator(source or ENC.source_vocabulary_size,
                                 target or ENC.target_vocabulary_size, max_length=8,
                                 hidden_dim=2, num_encoder_layers=1, num_decoder_layers=1,
                                 num_heads=1)  # fmt: skip


def lm(train_text=TEXT * 40, validation_text=TEXT, seconds=1.0, **kwargs):
    return char_lm.train_char_lm(train_text, validation_text, seconds, **kwargs)


def gpt(seconds=1.0, text=TEXT, **kwargs):
    return char_gpt.train_char_gpt(seconds, text, **{"verbose": 0, **kwargs})


def translate(sources=("hola .",), **kwargs):
    return tr.translate(kwargs.pop("model", translator()), kwargs.pop("encoder", ENC), sources,
                        **kwargs)  # fmt: skip


def fit(train_pairs=PAIRS, **kwargs):
    return tr.fit_translator(kwargs.pop("model", translator()), kwargs.pop("encoder", ENC),
                             train_pairs, None, kwargs.pop("epochs", 1),
                             **{"batch_size": 2, **kwargs})  # fmt: skip


RECIPES_ROWS = [
    bad(LMConfig, lambda: LMConfig(cell="rnn"), ValueError, "cell='rnn'", "'gru'"),
    bad(LMConfig, lambda: LMConfig(units=0), ValueError, "units=0"),
    bad(LMConfig, lambda: LMConfig(dropout=2.0), ValueError, "dropout=2.0"),
    bad(LMConfig, lambda: LMConfig(learning_rate=-1.0), ValueError, "learning_rate=-1.0"),
    bad(LMConfig, lambda: LMConfig(keep_best="yes"), TypeError, "keep_best='yes'"),
    bad(LMConfig, lambda: LMConfig(jit_compile="yes"), ValueError, "jit_compile='yes'"),
    bad(char_lm.train_char_lm, lambda: lm(train_text=""), ValueError, "`train_text`", "''"),
    bad(char_lm.train_char_lm, lambda: lm(validation_text=5), TypeError, "validation_text=5"),
    bad(char_lm.train_char_lm, lambda: lm(seconds=-1), ValueError, "seconds=-1"),
    bad(char_lm.train_char_lm, lambda: lm(config="gru"), TypeError, "`config`", "'gru'"),
    bad(char_lm.train_char_lm, lambda: lm(validation_text="To be."), ValueError,
        "`validation_text`", "6 characters", "sequence_length + 1 = 101"),
    bad(char_lm.train_char_lm, lambda: lm(tokenizer=CharTokenizer(["T", "o"])), ValueError,
        "`train_text`", "not in the vocabulary"),
    bad(char_lm.train_char_lm, lambda: lm(verbose=5), ValueError, "verbose=5"),
    bad(GPTConfig, lambda: GPTConfig(hidden_dim=130), ValueError, "hidden_dim=130",
        "num_heads=4"),
    bad(GPTConfig, lambda: GPTConfig(batch_size=0), ValueError, "batch_size=0"),
    bad(GPTConfig, lambda: GPTConfig(optimizer="sgd"), ValueError, "optimizer='sgd'"),
    bad(GPTConfig, lambda: GPTConfig(norm="batch"), ValueError, "norm='batch'"),
    bad(GPTConfig, lambda: GPTConfig.modern(logit_soft_cap=-1.0), ValueError,
        "logit_soft_cap=-1.0"),
    bad(GPTConfig, lambda: GPTConfig(head_initializer="zeros"), ValueError,
        "tie_weights=False"),
    bad(GPTConfig, lambda: GPTConfig(learning_rate=0.0), ValueError, "learning_rate=0.0"),
    bad(GPTConfig, lambda: GPTConfig(min_lr_ratio=2.0), ValueError, "min_lr_ratio=2.0"),
    bad(GPTConfig, lambda: GPTConfig(schedule="step"), ValueError, "schedule='step'"),
    bad(GPTConfig, lambda: GPTConfig(cooldown_fraction=1.5), ValueError, "cooldown_fraction=1.5"),
    bad(GPTConfig, lambda: GPTConfig(num_layers=1.5), TypeError, "num_layers=1.5"),
    bad(GPTConfig, lambda: GPTConfig(weight_decay=-0.1), ValueError, "weight_decay=-0.1"),
    bad(GPTConfig, lambda: GPTConfig(dropout=1.0), ValueError, "dropout=1.0"),
    bad(GPTConfig, lambda: GPTConfig(attention_dropout=-0.1), ValueError,
        "attention_dropout=-0.1"),
    bad(GPTConfig.replace, lambda: GPTConfig().replace(depth=3), TypeError, "['depth']"),
    bad(GPTConfig.replace, lambda: GPTConfig().replace(num_heads=3), ValueError,
        "hidden_dim=128", "num_heads=3"),
    bad(char_gpt.train_char_gpt, lambda: gpt(seconds=0), ValueError, "seconds=0"),
    bad(char_gpt.train_char_gpt, lambda: gpt(text=""), ValueError, "`text`", "''"),
    bad(char_gpt.train_char_gpt, lambda: gpt(text=5), TypeError, "text=5"),
    bad(char_gpt.train_char_gpt, lambda: gpt(config="small"), TypeError, "`config`", "'small'"),
    bad(char_gpt.train_char_gpt, lambda: gpt(verbose=3), ValueError, "verbose=3"),
    bad(char_gpt.train_char_gpt, lambda: gpt(jit_compile="yes"), TypeError, "jit_compile='yes'"),
    bad(char_gpt.train_char_gpt, lambda: gpt(text=TEXT[:100]), ValueError, "`text`",
        "100 characters", "sequence_length=128"),
]  # fmt: skip

TRANSLATION_ROWS = [
    bad(tr.spa_eng_task, lambda: tr.spa_eng_task(source_vocabulary_size=2), ValueError,
        "source_vocabulary_size=2"),
    bad(tr.spa_eng_task, lambda: tr.spa_eng_task(target_vocabulary_size=4), ValueError,
        "target_vocabulary_size=4"),
    bad(tr.spa_eng_task, lambda: tr.spa_eng_task(max_train_words=0), ValueError,
        "max_train_words=0"),
    bad(tr.spa_eng_task, lambda: tr.spa_eng_task(train_size=0), ValueError, "train_size=0"),
    bad(tr.spa_eng_task, lambda: tr.spa_eng_task(train_size=True), TypeError,
        "train_size=True"),
    bad(tr.translate, lambda: translate("hola ."), TypeError, "`sources`", "'hola .'"),
    bad(tr.translate, lambda: translate(num_beams=0), ValueError, "num_beams=0"),
    bad(tr.translate, lambda: translate(batch_size=0), ValueError, "batch_size=0"),
    bad(tr.translate, lambda: translate(max_new_tokens=0), ValueError, "max_new_tokens=0"),
    bad(tr.translate, lambda: translate(use_cache="yes"), TypeError, "use_cache='yes'"),
    bad(tr.translate, lambda: translate(length_penalty=-1.0), ValueError,
        "length_penalty=-1.0"),
    bad(tr.translate, lambda: translate(model="model"), TypeError, "`model`", "step_fn"),
    bad(tr.translate, lambda: translate(encoder="encoder"), TypeError, "`encoder`",
        "PairEncoder"),
    bad(tr.translate, lambda: translate(model=translator(source=4)), ValueError,
        "source_vocabulary_size=4", f"{ENC.source_vocabulary_size}"),
    bad(tr.fit_translator, lambda: fit(learning_rate=-1), ValueError, "learning_rate=-1"),
    bad(tr.fit_translator, lambda: fit(label_smoothing=2.0), ValueError,
        "label_smoothing=2.0"),
    bad(tr.fit_translator, lambda: fit(epochs=0), ValueError, "epochs=0"),
    bad(tr.fit_translator, lambda: fit(warmup_fraction=1.0), ValueError,
        "warmup_fraction=1.0"),
    bad(tr.fit_translator, lambda: fit(weight_decay=-1), ValueError, "weight_decay=-1"),
    bad(tr.fit_translator, lambda: fit("hola"), TypeError, "`train_pairs`", "'hola'"),
    bad(tr.fit_translator, lambda: fit(batch_size=0), ValueError, "batch_size=0"),
    bad(tr.fit_translator, lambda: fit(seed=-1), ValueError, "seed=-1"),
    bad(tr.fit_translator, lambda: fit(jit_compile="yes"), ValueError, "jit_compile='yes'"),
    bad(tr.fit_translator, lambda: fit(verbose=5), ValueError, "verbose=5"),
    bad(tr.fit_translator, lambda: fit(encoder="encoder"), TypeError, "`encoder`"),
    bad(tr.fit_translator, lambda: fit(model=translator(target=5)), ValueError,
        "target_vocabulary_size=5", f"{ENC.target_vocabulary_size}"),
]  # fmt: skip


@table(RECIPES_ROWS)
def test_recipes_refuse_bad_input(row):
    check_refused(row)


@table(TRANSLATION_ROWS)
def test_translation_recipe_refuses_bad_input(row):
    check_refused(row)

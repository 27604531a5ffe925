"""Chapter 12's fine-tuning recipe: the data, the runs and the table, on a tiny model."""

import keras
import numpy as np
import pytest
from keras import ops

from lmkeras.data import load_shakespeare
from lmkeras.models.gpt import build_gpt
from lmkeras.recipes.finetune import (
    FinetuneConfig,
    compare_finetuning,
    english_text,
    load_or_train_char_gpt,
    modern_english,
)
from lmkeras.text import CharTokenizer

# A few steps, not seconds (a loaded machine must not change the test), without XLA.
QUICK = FinetuneConfig(seconds=600.0, ranks=(2,), max_steps=3, eval_every=1000.0,
                       jit_compile=False, batch_size=4, sequence_length=16,
                       warmup_steps=1)  # fmt: skip


def test_english_text_keeps_distinct_sentences_the_tokenizer_can_encode():
    tokenizer = CharTokenizer.from_text("abc .")
    pairs = [("a b.", "x"), ("a b.", "y"), ("c 1.", "z"), ("cab.", "w")]
    assert english_text(pairs, tokenizer) == ("a b.\ncab.\n", 1)


@pytest.fixture(scope="module")
def data(data_dir):
    tokenizer = CharTokenizer.from_text(load_shakespeare())
    return tokenizer, modern_english(tokenizer, train_size=2000)


def test_modern_english_is_spa_eng_english_in_shakespeare_characters(data):
    tokenizer, english = data
    assert english["train_sentences"] > 1000 and english["validation_sentences"] > 4000
    assert english["dropped"] > 0  # digits, quotes, accents: left out, not altered
    text = tokenizer.decode(english["validation_ids"][:200])
    assert text.count("\n") >= 3 and text.split("\n")[0][0].isupper()


@pytest.mark.slow
def test_compare_finetuning_trains_copies_and_reports_every_method(data):
    tokenizer, english = data
    keras.utils.set_random_seed(0)
    base = build_gpt(tokenizer.vocabulary_size, sequence_length=16, num_layers=1, num_heads=2,
                     hidden_dim=8)  # fmt: skip
    weights = [np.array(w) for w in base.get_weights()]
    short = {**english, "validation_ids": english["validation_ids"][:300]}  # 4 batches
    result = compare_finetuning(base, short, QUICK)
    rows = {row["method"]: row for row in result["rows"]}
    assert list(rows) == ["before", "LoRA r=2", "full"]
    # LoRA on q and v: A (8, 2 heads, 2) + B (2, head width 4) = 40 each.
    assert rows["LoRA r=2"]["trainable"] == 80
    assert rows["full"]["trainable"] == base.count_params()
    assert rows["full"]["fraction"] == 1.0 and rows["LoRA r=2"]["fraction"] < 0.1
    assert all(np.isfinite(row["val_loss"]) for row in rows.values())
    assert rows["full"]["steps"] == 3 and rows["full"]["val_loss"] != rows["before"]["val_loss"]
    for old, new in zip(weights, base.get_weights()):  # the runs trained copies
        np.testing.assert_array_equal(old, new)
    merged = result["models"]["LoRA r=2"]
    assert not any("lora" in w.path for w in merged.weights)  # adapters merged away
    ids = english["validation_ids"][None, :16]
    assert np.abs(ops.convert_to_numpy(merged(ids)) - ops.convert_to_numpy(base(ids))).max() > 0


def test_the_chapter_08_model_is_loaded_when_saved(tmp_path):
    model = build_gpt(65, sequence_length=16, num_layers=1, num_heads=2, hidden_dim=8)
    model.save(tmp_path / "char_gpt.keras")
    loaded, tokenizer, how = load_or_train_char_gpt(tmp_path / "char_gpt.keras", seconds=60)
    assert how == "loaded the chapter-08 model from char_gpt.keras"
    assert tokenizer.vocabulary_size == 65
    np.testing.assert_array_equal(loaded.get_weights()[0], model.get_weights()[0])


def test_bad_settings_are_refused_by_name():
    with pytest.raises(ValueError, match="`seconds`"):
        FinetuneConfig(seconds=0)
    with pytest.raises(ValueError, match="`ranks`"):
        FinetuneConfig(ranks=(4, 0))
    with pytest.raises(TypeError, match="no field"):
        FinetuneConfig().replace(rank=4)

"""Chapter 13's recipe: the one-device rows, gradient accumulation, int8 and the SavedModel.

The multi-device runs are tested in tests/test_distribution.py (they need child processes).
"""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest

from lmkeras.config import gpu_names
from lmkeras.models.gpt import build_gpt
from lmkeras.recipes import multihost_gpt, scaling
from lmkeras.training import train_with_time_budget

# Quantizing the attention and MLP kernels to int8 (one scale per output column) moved the
# validation loss of this small trained GPT by well under 0.01 nats; 0.02 leaves room for
# other seeds and backends while still catching a broken scale (which costs nats, not
# hundredths).
INT8_LOSS_BOUND = 0.02


@pytest.fixture(scope="module")
def trained(data_dir):
    """A small GPT trained for 60 steps on Shakespeare characters (loss well below uniform)."""
    vocabulary_size, train_ids, val_ids = scaling.char_ids()
    config = scaling.SMALL
    keras.utils.set_random_seed(0)
    model = build_gpt(vocabulary_size, **config.model_kwargs())
    train_with_time_budget(
        model, train_ids, val_ids[:20_000], 1e9, max_steps=60, eval_every=1e9, eval_batches=1,
        verbose=0, **{**config.training_kwargs(), "warmup_steps": 5},
    )  # fmt: skip
    return model, val_ids[:20_000]


@pytest.mark.slow
def test_int8_loss_stays_within_the_bound_and_weights_shrink(trained, tmp_path):
    model, val_ids = trained
    rows, quantized = scaling.int8_table(model, val_ids, scaling.SMALL.sequence_length, 16)
    by_name = {row["model"]: row for row in rows}
    assert by_name["float32"]["val_loss"] < 0.85 * math.log(65), rows  # it learned something
    change = abs(by_name["int8"]["val_loss"] - by_name["float32"]["val_loss"])
    assert change < INT8_LOSS_BOUND, rows
    # This small model's tables and norms stay float32, so the file shrinks by less than 4×.
    assert by_name["int8"]["weights_bytes"] < by_name["float32"]["weights_bytes"]
    # The float32 row holds the weights alone, not the trained model's Adam moments as well.
    model.save_weights(tmp_path / "trained.weights.h5")
    assert (tmp_path / "trained.weights.h5").stat().st_size > by_name["float32"]["weights_bytes"]
    kinds = {v.path.split("/")[-1]: str(v.dtype) for v in quantized.variables}
    assert kinds["kernel"] == "int8" and kinds["embeddings"] == "float32"  # the tied table stays
    assert all(str(v.dtype) == "float32" for v in model.variables)  # the original is untouched


@pytest.mark.slow
def test_exported_saved_model_gives_the_same_logits_without_lmkeras(trained):
    model, val_ids = trained
    ids = val_ids[: 2 * 12].reshape(2, 12)  # a length the model never trained on
    result = scaling.export_check(model, ids)
    assert result["lmkeras_importable"] is False
    assert result["max_logit_difference"] < 1e-5
    assert "serve" in result["signatures"] or "serving_default" in result["signatures"]


@pytest.mark.slow
def test_gradient_accumulation_equals_one_large_batch():
    result = scaling.gradient_accumulation_check(accumulation_steps=4, batch_size=16, updates=2)
    assert result["micro_batch"] == 4
    assert result["max_weight_difference"] < 1e-5
    with pytest.raises(ValueError, match="accumulation_steps=4; received batch_size=18"):
        scaling.gradient_accumulation_check(accumulation_steps=4, batch_size=18)


@pytest.mark.slow
def test_one_device_row_trains_and_a_gpu_row_without_gpu_is_not_measured(data_dir):
    vocabulary_size, train_ids, val_ids = scaling.char_ids()
    jit = keras.backend.backend() == "jax"  # the faster to compile on each backend
    row, model = scaling.one_device_row(
        vocabulary_size, train_ids, val_ids[:10_000], "mixed_bfloat16", jit, 8, steps=3,
        config=scaling.SMALL, timing_steps=2,
    )  # fmt: skip
    assert model.dtype_policy.name == "mixed_bfloat16"
    assert keras.config.dtype_policy().name == "float32"  # the global policy is restored
    assert row["tokens_per_second"] > 0 and np.isfinite(row["val_loss"])
    if not gpu_names():
        gpu_row, none = scaling.one_device_row(
            vocabulary_size, train_ids, val_ids, "mixed_float16", True, 32, steps=3
        )
        assert none is None and gpu_row["tokens_per_second"] is None
        assert "mixed_float16    on      32  not measured (no GPU)" in scaling.format_rows(
            [row, gpu_row]
        )


def test_fresh_process_refuses_unknown_tasks():
    with pytest.raises(ValueError, match="`task` must be one of"):
        scaling.in_fresh_process("fit_everything")


def test_multihost_flags_and_preemption_callback():
    flags = "--coordinator 10.0.0.1:1234 --num-processes 2 --process-id 1 --backup-dir /shared"
    args = multihost_gpt.parse_args(flags.split())
    assert (args.num_processes, args.process_id, args.epochs) == (2, 1, 20)
    with pytest.raises(SystemExit) as stopped:
        multihost_gpt.Preempt(2).on_epoch_end(1)
    assert stopped.value.code == multihost_gpt.EXIT_PREEMPTED
    multihost_gpt.Preempt(2).on_epoch_end(0)  # other epochs go on
    assert multihost_gpt._EXCEPTION.match("ValueError: Attempt to convert a value")

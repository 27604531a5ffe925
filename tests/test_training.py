"""The generic trainers, tested directly: budgets, keep-best, the time-budget trainer and
evaluation, and the optimizer whose weight-decay rule survives saving."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from lmkeras.layers.losses import MaskedCrossEntropy
from lmkeras.models import TransformerTranslator
from lmkeras.models.gpt import build_gpt
from lmkeras.training import (
    DecayExcludingAdamW,
    KeepBest,
    TimeBudget,
    _lr_factor,
    build_for_training,
    compile_for_training,
    evaluate_loss,
    fit_with_budget,
    train_with_time_budget,
)

TINY = {"vocabulary_size": 13, "sequence_length": 16, "num_layers": 1, "num_heads": 2,
        "hidden_dim": 8}  # fmt: skip


def _regression(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], "float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(16).repeat()
    return model, data, (x, y)


def test_fit_with_budget_runs_epochs_of_the_given_steps_and_counts_them():
    keras.utils.set_random_seed(0)
    model, data, validation = _regression()
    history, budget = fit_with_budget(
        model, data, validation, seconds=600.0, steps_per_epoch=4, tokens_per_step=16,
        max_epochs=3,
    )  # fmt: skip
    assert len(history.history["loss"]) == 3 and budget.steps == 12
    assert len(budget.epoch_seconds) == 3 and budget.epoch_seconds == sorted(budget.epoch_seconds)
    assert 0 < budget.train_seconds <= budget.elapsed
    assert budget.tokens_per_second == pytest.approx(12 * 16 / budget.train_seconds)
    assert history.history["val_loss"][-1] < history.history["val_loss"][0]


def test_time_budget_stops_fit_once_the_time_is_spent():
    keras.utils.set_random_seed(0)
    model, data, _ = _regression()
    budget = TimeBudget(seconds=1e-6)
    model.fit(data, epochs=50, steps_per_epoch=4, callbacks=[budget], verbose=0, shuffle=False)
    assert budget.steps == 1  # the first step already spent the budget
    assert budget.tokens_per_second is None  # no tokens_per_step given


def test_keep_best_restores_the_epoch_of_lowest_validation_loss():
    keras.utils.set_random_seed(0)
    model, data, validation = _regression()
    keep = KeepBest()
    weights = []
    record = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: weights.append(model.get_weights())
    )
    # Learning rate that diverges after a few epochs: the best epoch is not the last.
    model.compile(optimizer=keras.optimizers.SGD(0.3), loss="mse")
    history = model.fit(data, validation_data=validation, epochs=6, steps_per_epoch=2,
                        callbacks=[record, keep], verbose=0, shuffle=False)  # fmt: skip
    losses = history.history["val_loss"]
    assert keep.best_epoch == int(np.argmin(losses)) and keep.best == pytest.approx(min(losses))
    for kept, best in zip(model.get_weights(), weights[keep.best_epoch]):
        np.testing.assert_array_equal(kept, best)


def test_evaluate_loss_averages_whole_batches_of_windows():
    keras.utils.set_random_seed(0)
    model = build_gpt(**TINY)
    compile_for_training(model, jit_compile=False)
    ids = np.random.default_rng(0).integers(0, 13, 8 * 4 * 3 + 5)
    loss = evaluate_loss(model, ids, sequence_length=8, batch_size=4)
    windows = np.stack([ids[i * 8 : i * 8 + 9] for i in range(12)])
    logits = keras.ops.convert_to_numpy(model(windows[:, :-1]))
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = -np.take_along_axis(log_probs, windows[:, 1:, None], -1).mean()
    assert loss == pytest.approx(float(expected), rel=1e-5)
    with pytest.raises(ValueError, match="more than sequence_length × batch_size"):
        evaluate_loss(model, ids[:20], sequence_length=8, batch_size=4)


def test_the_optimizer_keeps_its_no_decay_rule_through_its_config():
    optimizer = DecayExcludingAdamW(1e-3, weight_decay=0.1, no_decay_names=["bias"])
    restored = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert type(restored) is DecayExcludingAdamW and restored.no_decay_names == ["bias"]
    bias, kernel = keras.Variable(np.ones(2), name="bias"), keras.Variable(np.ones(2), name="w")
    restored.build([bias, kernel])
    restored.apply_gradients([(np.zeros(2), bias), (np.zeros(2), kernel)])
    # Zero gradients: only the decay moves a weight, and only the kernel decays.
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(bias), np.ones(2))
    assert float(keras.ops.convert_to_numpy(kernel)[0]) < 1.0


def test_the_schedules_warm_up_then_decay_to_the_floor():
    cosine = [_lr_factor(f, 1000, 10, 0.1) for f in (0.0, 0.25, 0.5, 1.0, 1.5)]
    np.testing.assert_allclose(cosine, [1.0, 0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi / 4)), 0.55,
                                        0.1, 0.1])  # fmt: skip
    wsd = [_lr_factor(f, 1000, 10, 0.1, "wsd", 0.4) for f in (0.0, 0.6, 0.8, 1.0, 1.5)]
    np.testing.assert_allclose(wsd, [1.0, 1.0, 0.55, 0.1, 0.1])  # held, then a straight line
    assert _lr_factor(0.0, 4, 10, 0.1, "wsd") == 0.5  # warm-up: step 5 of 10


@pytest.mark.parametrize("schedule", ["cosine", "wsd"])
def test_train_with_time_budget_learns_a_repeating_sequence(schedule):
    keras.utils.set_random_seed(5)
    ids = np.tile(np.arange(13), 40)
    model = build_gpt(**TINY)
    history = train_with_time_budget(
        model, ids, ids, seconds=600.0, sequence_length=8, batch_size=8, learning_rate=1e-2,
        warmup_steps=5, eval_every=1e9, eval_batches=2, max_steps=150, verbose=0,
        jit_compile=keras.backend.backend() == "jax",  # XLA's compile time is not needed here
        schedule=schedule,
    )  # fmt: skip
    assert set(history) == {"seconds", "step", "train_loss", "val_loss", "tokens_per_second",
                            "first_step_seconds"}  # fmt: skip
    assert 0 < history["first_step_seconds"] <= history["seconds"][-1]
    assert history["step"] == [150]  # the step budget ran out first
    assert history["val_loss"][-1] < 0.5 * np.log(13)  # well below the uniform guess


def test_train_with_time_budget_rejects_bad_arguments():
    model = build_gpt(**TINY)
    with pytest.raises(ValueError, match="seconds=0"):
        train_with_time_budget(model, np.arange(50), np.arange(50), seconds=0)
    with pytest.raises(ValueError, match="validation_ids"):
        train_with_time_budget(model, np.arange(50) % 13, np.arange(5), 1.0, sequence_length=8)


def _translator():
    model = TransformerTranslator(9, 11, max_length=6, hidden_dim=8, num_encoder_layers=1,
                                  num_decoder_layers=1, num_heads=2, dropout=0.0)  # fmt: skip
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=MaskedCrossEntropy())
    return model


def test_build_for_training_creates_every_variable_before_the_first_step():
    rng = np.random.default_rng(0)
    source, target = rng.integers(1, 9, (4, 5)), rng.integers(1, 11, (4, 6))
    batch = ((source, target[:, :-1]), target[:, 1:])
    keras.utils.set_random_seed(0)
    built_here = _translator()
    build_for_training(built_here, ((None, None), (None, None)))
    assert built_here.built and built_here.optimizer.built
    count = len(built_here.variables) + len(built_here.optimizer.variables)
    loss_here = built_here.train_on_batch(*batch)
    # The first step created nothing: TensorFlow traced it once.
    assert len(built_here.variables) + len(built_here.optimizer.variables) == count
    keras.utils.set_random_seed(0)
    built_by_keras = _translator()
    loss_keras = built_by_keras.train_on_batch(*batch)
    np.testing.assert_allclose(loss_here, loss_keras, rtol=1e-6)  # same initial weights
    for here, there in zip(built_here.weights, built_by_keras.weights):
        np.testing.assert_allclose(np.array(here), np.array(there), rtol=1e-5, atol=1e-6)


def test_build_for_training_leaves_a_model_without_shapes_to_keras():
    unbuilt = _translator()
    build_for_training(unbuilt)  # no input shape: Keras builds it in the first step
    assert not unbuilt.built and not unbuilt.optimizer.built
    gpt = build_gpt(**TINY)
    compile_for_training(gpt, jit_compile=False)
    assert not gpt.optimizer.built
    build_for_training(gpt)  # a functional model is built: its optimizer is built now
    assert gpt.optimizer.built
    with pytest.raises(TypeError, match="`model` must be a compiled keras.Model; received str"):
        build_for_training("gpt")

"""Bad inputs of `lmkeras.training`: impossible budgets and rates, ids the model cannot embed."""

from __future__ import annotations

import functools

import keras
import numpy as np

from lmkeras import training
from lmkeras.models.gpt import build_gpt
from lmkeras.training import DecayExcludingAdamW, KeepBest, MatrixMuon, TimeBudget
from tests.bad_inputs import bad, check_refused, table

nan = float("nan")
IDS = np.arange(64) % 10  # valid ids of a 10-token vocabulary


@functools.cache
def gpt():
    return build_gpt(10, sequence_length=8, num_layers=1, num_heads=1, hidden_dim=4)


@functools.cache
def regression():
    """A compiled one-weight model and its data, for the fit-based rows."""
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", jit_compile=False)
    return model, (np.ones((4, 1), "float32"), np.ones((4, 1), "float32"))


def fit(**kwargs):
    model, data = regression()
    arguments = {"seconds": 60.0, "steps_per_epoch": 1, "max_epochs": 1, **kwargs}
    return training.fit_with_budget(model, data, arguments.pop("validation_data", data),
                                    **arguments)  # fmt: skip


def keep_best_on_a_missing_metric():
    model, (x, y) = regression()
    model.fit(x, y, validation_data=(x, y), epochs=1, verbose=0, callbacks=[KeepBest("val_acc")])


def train(train_ids=IDS, validation_ids=IDS, **kwargs):
    arguments = {"seconds": 0.01, "sequence_length": 4, "batch_size": 2, "verbose": 0,
                 "jit_compile": False, **kwargs}  # fmt: skip
    return training.train_with_time_budget(gpt(), train_ids, validation_ids, **arguments)


def evaluate(ids=IDS, **kwargs):
    return training.evaluate_loss(gpt(), ids, **{"sequence_length": 4, "batch_size": 2, **kwargs})


TRAINING_ROWS = [
    bad(TimeBudget, lambda: TimeBudget(nan), ValueError, "seconds=nan", "> 0"),
    bad(TimeBudget, lambda: TimeBudget(0), ValueError, "seconds=0"),
    bad(TimeBudget, lambda: TimeBudget("60"), TypeError, "seconds='60'"),
    bad(TimeBudget, lambda: TimeBudget(10, tokens_per_step=0), ValueError, "tokens_per_step=0"),
    bad(TimeBudget, lambda: TimeBudget(10, tokens_per_step=True), TypeError,
        "tokens_per_step=True"),
    bad(KeepBest, lambda: KeepBest(monitor=5), TypeError, "monitor=5"),
    bad(KeepBest, lambda: KeepBest(monitor=""), ValueError, "`monitor`", "''"),
    bad(KeepBest, keep_best_on_a_missing_metric, ValueError, "monitor='val_acc'", "val_loss"),
    bad(training.fit_with_budget, lambda: training.fit_with_budget("model", None, None, 1, 1),
        TypeError, "`model`", "'model'"),
    bad(training.fit_with_budget, lambda: fit(seconds=-1), ValueError, "seconds=-1"),
    bad(training.fit_with_budget, lambda: fit(steps_per_epoch=0), ValueError,
        "steps_per_epoch=0"),
    bad(training.fit_with_budget, lambda: fit(max_epochs=0), ValueError, "max_epochs=0"),
    bad(training.fit_with_budget, lambda: fit(tokens_per_step=-1), ValueError,
        "tokens_per_step=-1"),
    bad(training.fit_with_budget, lambda: fit(keep_best="yes"), TypeError, "keep_best='yes'"),
    bad(training.fit_with_budget, lambda: fit(keep_best=True, validation_data=None), ValueError,
        "keep_best=True", "validation_data"),
    bad(training.fit_with_budget, lambda: fit(callbacks=KeepBest()), TypeError,
        "`callbacks`", "KeepBest"),
    bad(training.fit_with_budget, lambda: fit(verbose=5), ValueError, "verbose=5"),
    bad(MatrixMuon, lambda: MatrixMuon(learning_rate=0.0), ValueError, "learning_rate=0.0"),
    bad(MatrixMuon, lambda: MatrixMuon(no_decay_names="bias"), TypeError, "no_decay_names"),
    bad(DecayExcludingAdamW, lambda: DecayExcludingAdamW(no_decay_names="bias"), TypeError,
        "`no_decay_names`", "'bias'"),
    bad(DecayExcludingAdamW, lambda: DecayExcludingAdamW(learning_rate=-1.0), ValueError,
        "learning_rate=-1.0"),
    bad(DecayExcludingAdamW, lambda: DecayExcludingAdamW(weight_decay=nan), ValueError,
        "weight_decay=nan"),
    bad(training.build_for_training, lambda: training.build_for_training("model"), TypeError,
        "`model`", "'model'"),
    bad(training.compile_for_training, lambda: training.compile_for_training("model"),
        TypeError, "`model`", "'model'"),
    bad(training.compile_for_training, lambda: training.compile_for_training(gpt(), 0),
        ValueError, "learning_rate=0"),
    bad(training.compile_for_training,
        lambda: training.compile_for_training(gpt(), weight_decay=-0.1), ValueError,
        "weight_decay=-0.1"),
    bad(training.compile_for_training,
        lambda: training.compile_for_training(gpt(), jit_compile="yes"), ValueError,
        "jit_compile='yes'", "'auto'"),
    bad(training.compile_for_training,
        lambda: training.compile_for_training(gpt(), optimizer="sgd"), ValueError,
        "optimizer='sgd'", "'muon'"),
    bad(training.train_with_time_budget, lambda: train(optimizer="lion"), ValueError,
        "optimizer='lion'"),
    bad(training.train_with_time_budget, lambda: train(train_ids=IDS + 3), ValueError,
        "`train_ids`", "[0, 10)", "12"),
    bad(training.train_with_time_budget, lambda: train(train_ids=IDS - 1), ValueError,
        "`train_ids`", "-1"),
    bad(training.train_with_time_budget, lambda: train(validation_ids=IDS + 1), ValueError,
        "`validation_ids`", "10"),
    bad(training.train_with_time_budget, lambda: train(train_ids=IDS + 0.5), TypeError,
        "`train_ids`", "float64"),
    bad(training.train_with_time_budget, lambda: train(train_ids=IDS.reshape(8, 8)),
        ValueError, "`train_ids`", "1 axis", "(8, 8)"),
    bad(training.train_with_time_budget, lambda: train(train_ids=IDS[:5]), ValueError,
        "`train_ids`", "sequence_length + 1 = 5", "(5,)"),
    bad(training.train_with_time_budget, lambda: train(vocabulary_size=0), ValueError,
        "vocabulary_size=0"),
    bad(training.train_with_time_budget, lambda: train(vocabulary_size=12), ValueError,
        "vocabulary_size=12", "10"),
    bad(training.train_with_time_budget, lambda: train(sequence_length=16), ValueError,
        "16", "sequence_length=8"),
    bad(training.train_with_time_budget, lambda: train(learning_rate=-1), ValueError,
        "learning_rate=-1"),
    bad(training.train_with_time_budget, lambda: train(seconds=nan), ValueError, "seconds=nan"),
    bad(training.train_with_time_budget, lambda: train(sequence_length=True), TypeError,
        "sequence_length=True"),
    bad(training.train_with_time_budget, lambda: train(batch_size=0), ValueError,
        "batch_size=0"),
    bad(training.train_with_time_budget, lambda: train(max_steps=0), ValueError, "max_steps=0"),
    bad(training.train_with_time_budget, lambda: train(verbose=3), ValueError, "verbose=3"),
    bad(training.train_with_time_budget, lambda: train(min_lr_ratio=2), ValueError,
        "min_lr_ratio=2"),
    bad(training.train_with_time_budget, lambda: train(eval_every=0), ValueError,
        "eval_every=0"),
    bad(training.train_with_time_budget, lambda: train(warmup_steps=0), ValueError,
        "warmup_steps=0"),
    bad(training.train_with_time_budget, lambda: train(weight_decay=-1), ValueError,
        "weight_decay=-1"),
    bad(training.train_with_time_budget, lambda: train(seed=-1), ValueError, "seed=-1"),
    bad(training.train_with_time_budget, lambda: train(schedule="linear"), ValueError,
        "schedule='linear'", "'wsd'"),
    bad(training.train_with_time_budget, lambda: train(cooldown_fraction=0.0), ValueError,
        "cooldown_fraction=0.0"),
    bad(training.train_with_time_budget,
        lambda: training.train_with_time_budget("model", IDS, IDS, 1), TypeError, "`model`"),
    bad(training.evaluate_loss, lambda: evaluate(IDS + 5), ValueError, "`ids`", "14"),
    bad(training.evaluate_loss, lambda: evaluate(sequence_length=0), ValueError,
        "sequence_length=0"),
    bad(training.evaluate_loss, lambda: evaluate(batch_size=0), ValueError, "batch_size=0"),
    bad(training.evaluate_loss, lambda: evaluate(IDS[:8]), ValueError, "`ids`", "received 8"),
    bad(training.evaluate_loss, lambda: evaluate(IDS * 1.0), TypeError, "`ids`", "float64"),
]  # fmt: skip


@table(TRAINING_ROWS)
def test_training_refuses_bad_input(row):
    check_refused(row)


def test_a_refused_training_call_leaves_the_model_as_it_was():
    model = gpt()
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    optimizer, weights = model.optimizer, [w.copy() for w in model.get_weights()]
    check_refused(TRAINING_ROWS[[r.words for r in TRAINING_ROWS].index(("max_steps=0",))])
    assert model.optimizer is optimizer  # not recompiled by the refused call
    for before, after in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(before, after)

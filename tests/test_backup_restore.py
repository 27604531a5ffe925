"""`keras.callbacks.BackupAndRestore`: an interrupted and resumed run ends where an
uninterrupted one does.

The backup holds the weights, the optimizer's state and the epoch counter. It does not hold
the random streams (data shuffling, dropout masks), so exact equality needs a run whose only
randomness is the initial weights: fixed batch order, no dropout. With shuffling and dropout
the resumed run draws different batches and masks after the interruption; the second test
bounds the difference by the run-to-run spread of the final loss.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from lmkeras.models.rnn import build_rnn_lm

VOCAB, EPOCHS, INTERRUPT_AFTER = 12, 4, 2


class Interrupt(keras.callbacks.Callback):
    """Raise at the end of epoch `epoch` (0-based), as a killed job or a closed laptop."""

    def __init__(self, epoch: int):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt(f"interrupted after epoch {epoch + 1}")


def _data():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, VOCAB, (64, 9)).astype("int32")
    return ids[:, :-1], ids[:, 1:]


def _model(seed: int, dropout: float = 0.0) -> keras.Model:
    keras.utils.set_random_seed(seed)
    model = build_rnn_lm(VOCAB, embedding_dim=8, units=16, dropout=dropout)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-2),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def _fit(model, callbacks, shuffle):
    x, y = _data()
    return model.fit(
        x, y, batch_size=16, epochs=EPOCHS, shuffle=shuffle, callbacks=callbacks, verbose=0
    )


def _interrupted_then_resumed(tmp_path, dropout, shuffle):
    backup = str(tmp_path / "backup")
    first = _model(0, dropout)
    with pytest.raises(KeyboardInterrupt):
        _fit(
            first,
            [keras.callbacks.BackupAndRestore(backup), Interrupt(INTERRUPT_AFTER - 1)],
            shuffle,
        )
    # A new process would build the model afresh, even with other initial weights: the
    # backup overwrites them, with the optimizer state, and resumes at epoch INTERRUPT_AFTER.
    resumed = _model(123, dropout)
    history = _fit(resumed, [keras.callbacks.BackupAndRestore(backup)], shuffle)
    assert len(history.history["loss"]) == EPOCHS - INTERRUPT_AFTER
    return resumed, history


def test_resumed_run_equals_uninterrupted_run(tmp_path):
    reference = _model(0)
    _fit(reference, [], shuffle=False)
    resumed, _ = _interrupted_then_resumed(tmp_path, dropout=0.0, shuffle=False)
    for expected, actual in zip(reference.get_weights(), resumed.get_weights()):
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


def test_resumed_run_with_shuffling_and_dropout_stays_within_the_seed_spread(tmp_path):
    finals = [_fit(_model(s, 0.2), [], shuffle=True).history["loss"][-1] for s in (0, 1)]
    _, history = _interrupted_then_resumed(tmp_path, dropout=0.2, shuffle=True)
    spread = abs(finals[0] - finals[1])
    assert abs(history.history["loss"][-1] - finals[0]) <= max(3 * spread, 0.05)

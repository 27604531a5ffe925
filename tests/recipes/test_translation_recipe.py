"""The chapters 09–10 recipe: the course task, and the decoding driver `translate`."""

from __future__ import annotations

import numpy as np
import pytest
from keras import ops

from lmkeras.datasets.translation import END_ID
from lmkeras.recipes.translation import spa_eng_task, translate
from tests.datasets.test_translation import _encoder


class _Scripted:
    """A 'translator' whose step function writes a fixed word sequence, for the driver."""

    def __init__(self, words, vocab=12):
        self.words, self.vocab = words, vocab

    def step_fn(self, source_ids, use_cache=True):
        def step(new_ids, state):
            rows = ops.shape(new_ids)[0]
            # The state is each row's step count, batch first, as beam search needs.
            position = np.zeros(rows, "int32") if state is None else np.asarray(state)
            word = self.words[min(int(position[0]), len(self.words) - 1)]
            logits = np.full((rows, self.vocab), -10.0, "float32")
            logits[:, word] = 10.0
            return logits, position + 1

        return step


def test_translate_stops_at_end_and_respects_max_new_tokens():
    enc = _encoder()
    hello, dot = (int(enc.target.encode(w)[0]) for w in ("hello", "."))
    done = translate(_Scripted([hello, dot, END_ID, hello]), enc, ["hola ."])
    assert done == ["hello ."]  # nothing after [end]
    endless = _Scripted([hello])
    assert translate(endless, enc, ["hola ."], max_new_tokens=3) == ["hello hello hello"]
    assert translate(endless, enc, ["hola ."], max_new_tokens=3, num_beams=2) == [
        "hello hello hello"
    ]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_beams": 0}, "num_beams"),
        ({"max_new_tokens": 0}, "max_new_tokens"),
        ({"batch_size": 0}, "batch_size"),
    ],
)
def test_translate_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        translate(_Scripted([END_ID]), _encoder(), ["hola"], **kwargs)


def test_course_task_is_spanish_to_english_on_the_fixed_split(data_dir):
    task = spa_eng_task(train_size=2000)
    assert task.test[1] == ("¡Ayuda!", "Help!")  # (Spanish, English)
    assert len(task.test) == 5893
    assert (
        task.encoder.source_vocabulary_size <= 16000 and "[start]" in task.encoder.target.vocabulary
    )

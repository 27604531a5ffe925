"""Bad inputs of the developer tools: `lmkeras.testing`, `lmkeras.backend`, `lmkeras.load_model`."""

from __future__ import annotations

import keras
import numpy as np

import lmkeras
from lmkeras import backend, testing
from tests.bad_inputs import bad, check_refused, table

X = np.ones((2, 3), "float32")
DENSE = keras.layers.Dense(2)

TESTING_ROWS = [
    bad(testing.check_layer, lambda: testing.check_layer("Dense", {"units": 2}, X), TypeError,
        "`layer_cls`", "'Dense'"),
    bad(testing.check_layer, lambda: testing.check_layer(keras.layers.Dense, [2], X),
        TypeError, "`init_kwargs`", "[2]"),
    bad(testing.check_layer, lambda: testing.check_layer(keras.layers.Identity, {}, X, atol=-1),
        ValueError, "atol=-1"),
    bad(testing.check_layer,
        lambda: testing.check_layer(keras.layers.Identity, {}, X, call_kwargs=[1]), TypeError,
        "`call_kwargs`", "[1]"),
    bad(testing.check_model, lambda: testing.check_model("model", X), TypeError, "`model`",
        "'model'"),
    bad(testing.check_loss, lambda: testing.check_loss("mse", X, X), TypeError, "`loss`",
        "'mse'"),
    bad(testing.check_config_has_init_args,
        lambda: testing.check_config_has_init_args(keras.layers.Dense, {}), TypeError,
        "`layer`", "Dense"),
    bad(backend.compile_step, lambda: backend.compile_step(5, DENSE), TypeError, "`fn`", "5"),
    bad(backend.compile_step, lambda: backend.compile_step(abs, "model"), TypeError, "`model`",
        "'model'"),
    bad(backend.compile_step, lambda: backend.compile_step(abs, DENSE, jit="yes"), TypeError,
        "jit='yes'"),
    bad(backend.categorical, lambda: backend.categorical(np.ones(3), 0), ValueError, "`logits`",
        "(3,)"),
    bad(backend.compile_draw, lambda: backend.compile_draw("draw"), TypeError, "`fn`", "'draw'"),
    bad(backend.dropout, lambda: backend.dropout(np.ones(3), 1.0, keras.random.SeedGenerator(0)),
        ValueError, "rate=1.0"),
    bad(backend.dropout, lambda: backend.dropout(np.ones(3), 0.1, 3), TypeError, "`seed`",
        "SeedGenerator"),
    bad(lmkeras.load_model, lambda: lmkeras.load_model("no/such/model.keras"), ValueError,
        "no/such/model.keras"),
]  # fmt: skip


@table(TESTING_ROWS)
def test_developer_tools_refuse_bad_input(row):
    check_refused(row)

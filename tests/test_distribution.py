"""`lmkeras.distribution`: data and model parallelism on simulated devices, and bad set-ups.

Devices must be simulated before a backend starts, so the multi-device checks run in two child
processes started together (one on JAX with 2 CPU devices, one on TensorFlow with 2 logical
CPUs); each prints one JSON line that the tests below read. The checks that need no devices
run here, on whichever backend the suite runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from lmkeras import distribution
from lmkeras.models.gpt import build_gpt

# Losses and logits are sums in a different order once split over devices: float32 rounding.
TOLERANCE = 1e-5


_JAX_CHILD = """
import json, warnings
import keras
from lmkeras import distribution
distribution.simulate_cpu_devices(2)
from lmkeras.recipes import scaling
from lmkeras.recipes.scaling import SMALL

def error(function, *args, **kwargs):
    try:
        function(*args, **kwargs)
    except (ValueError, RuntimeError) as raised:
        return f"{type(raised).__name__}: {raised}"
    return None

warnings.simplefilter("ignore", UserWarning)
out = {"devices": keras.distribution.list_devices()}
out["data_parallel"] = scaling.data_parallel_check((1, 2), steps=3, config=SMALL)
out["model_parallel"] = scaling.model_parallel_check((1, 2), config=SMALL)
two = distribution.data_parallel(2)
out["mesh_error"] = error(distribution.device_mesh, (4,))
out["devices_error"] = error(distribution.data_parallel, 3)
out["batch_error"] = error(distribution.check_batch_size, 15, two)
_, ids, _ = scaling.char_ids()
odd = scaling.window_dataset(ids, 16, 15, 2)
out["fit_error"] = error(scaling.fit_data_parallel, lambda: None, odd, 2, two)
out["late_error"] = error(distribution.simulate_cpu_devices, 3)
print(json.dumps(out))
"""

_TF_CHILD = """
import json, warnings
import keras
from lmkeras import distribution
distribution.simulate_cpu_devices(2)
from lmkeras.recipes import scaling
from lmkeras.recipes.scaling import SMALL
warnings.simplefilter("ignore", UserWarning)
# Keras clips each replica's gradient before the all-reduce under tf.distribute: compare the
# engines with a clip that never bites.
out = {"data_parallel": scaling.data_parallel_check((1, 2), 3, SMALL, clip_norm=1e6)}
strategy = distribution.data_parallel(2)
out["strategy"] = type(strategy).__name__
_, ids, _ = scaling.char_ids()
data = scaling.window_dataset(ids, 16, 8, 2)
try:
    scaling.fit_data_parallel(lambda: None, data, 2, strategy, jit_compile=True)
except ValueError as raised:
    out["xla_error"] = str(raised)
print(json.dumps(out))
"""


def _start(code: str, backend: str) -> subprocess.Popen:
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.Popen(
        [sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


@pytest.fixture(scope="module")
def children(data_dir):
    """Both child processes, started at once; each result is read when a test needs it."""
    started = {"jax": _start(_JAX_CHILD, "jax"), "tensorflow": _start(_TF_CHILD, "tensorflow")}
    results = {}

    def result(backend):
        if backend not in results:
            out, err = started[backend].communicate(timeout=600)
            assert started[backend].returncode == 0, err[-3000:]
            results[backend] = json.loads(out.strip().splitlines()[-1])
        return results[backend]

    yield result
    for child in started.values():
        if child.poll() is None:
            child.kill()


def test_data_parallel_on_two_jax_devices_follows_one_device(children):
    out = children("jax")
    assert out["devices"] == ["cpu:0", "cpu:1"]
    check = out["data_parallel"]
    one, two = check["losses"]["1"], check["losses"]["2"]
    assert len(one) == len(two) == 3 and one[-1] < one[0]  # it trains
    np.testing.assert_allclose(two, one, atol=TOLERANCE)
    assert check["shards"]["2"] == ["cpu:0: rows 0–3", "cpu:1: rows 4–7"]


def test_sharded_gpt_gives_the_unsharded_logits_and_every_matrix_is_sharded(children):
    check = children("jax")["model_parallel"]
    assert check["max_logit_difference"] < TOLERANCE
    layouts = check["layouts"]
    matrices = [path for path in layouts if len(layouts[path]) >= 2]
    assert matrices and all("model" in layouts[path] for path in matrices), layouts
    assert layouts["block_0/attention/query/kernel"] == [None, "model", None]
    assert layouts["final_norm/gamma"] == [None]  # norms stay replicated
    assert check["bytes_per_device"] < 0.6 * check["parameter_bytes"]


def test_bad_set_ups_are_refused_with_the_values(children):
    out = children("jax")
    assert "shape=(4,) holds 4 devices, but 2 were given" in out["mesh_error"]
    assert "at most the 2 device(s)" in out["devices_error"]
    assert "received num_devices=3" in out["devices_error"]
    assert "divisible by the 2 data-parallel replicas" in out["batch_error"]
    assert "batch_size=15 (nearest valid: 14 or 16)" in out["batch_error"]
    assert "batch_size=15" in out["fit_error"]
    assert out["late_error"].startswith("RuntimeError: simulate_cpu_devices(3) must run before")
    assert "already has 2 CPU device(s)" in out["late_error"]


def test_mirrored_strategy_on_two_logical_cpus_follows_one_device(children):
    out = children("tensorflow")
    assert out["strategy"] == "MirroredStrategy"
    check = out["data_parallel"]
    np.testing.assert_allclose(check["losses"]["2"], check["losses"]["1"], atol=TOLERANCE)
    assert check["shards"]["2"] == ["cpu:0: 4 rows", "cpu:1: 4 rows"]
    assert "jit_compile=True cannot run tf.distribute over several logical CPU" in out["xla_error"]


def _tiny_gpt():
    return build_gpt(65, sequence_length=16, num_layers=2, num_heads=2, hidden_dim=8)


def _mesh():
    return distribution.device_mesh((1, 2), ("batch", "model"), devices=["cpu:0", "cpu:1"])


def test_gpt_layout_covers_every_matrix_of_the_gpt():
    model = _tiny_gpt()
    layout_map = distribution.gpt_layout_map(_mesh(), model)
    for variable in model.variables:
        layout = layout_map[variable.path]
        if len(variable.shape) >= 2:
            assert layout is not None and "model" in layout.axes, variable.path
    assert layout_map["final_norm/gamma"] is None


def test_untied_output_layer_is_refused_until_a_rule_covers_it():
    model = build_gpt(65, 16, num_layers=1, num_heads=2, hidden_dim=8, tie_weights=False)
    with pytest.raises(ValueError, match=r"1 matrix variable\(s\) match no layout regex.*logits"):
        distribution.gpt_layout_map(_mesh(), model)
    rules = {**distribution.GPT_LAYOUT, r"logits/kernel": (None, None)}  # replicated on purpose
    distribution.gpt_layout_map(_mesh(), model, rules)


def test_layout_regex_that_matches_nothing_is_named():
    rules = {**distribution.GPT_LAYOUT, r".*mlp/dense/kernel": (None, "model")}
    with pytest.raises(ValueError, match=r"'\.\*mlp/dense/kernel' matches none of the model's"):
        distribution.gpt_layout_map(_mesh(), _tiny_gpt(), rules)


def test_layout_with_wrong_rank_or_unknown_axis_is_refused():
    wrong_rank = {**distribution.GPT_LAYOUT, r"(.*/)?mlp/hidden/bias": ("model", None)}
    with pytest.raises(ValueError, match=r"has 2 axes, but 'block_0/mlp/hidden/bias' has shape"):
        distribution.gpt_layout_map(_mesh(), _tiny_gpt(), wrong_rank)
    mesh = distribution.device_mesh((2,), ("batch",), devices=["cpu:0", "cpu:1"])
    with pytest.raises(ValueError, match=r"names mesh axis 'model'; the mesh has axes"):
        distribution.gpt_layout_map(mesh, _tiny_gpt())


def test_mesh_must_hold_the_devices_given():
    with pytest.raises(ValueError, match=r"shape=\(4,\) holds 4 devices, but 2 were given"):
        distribution.device_mesh((4,), devices=["cpu:0", "cpu:1"])
    with pytest.raises(ValueError, match="one distinct name per axis"):
        distribution.device_mesh((2, 1), ("batch",), devices=["cpu:0", "cpu:1"])
    with pytest.raises(TypeError, match="`shape` must be a non-empty tuple"):
        distribution.device_mesh(4)


def test_batch_check_types_and_replicas():
    class Four:
        num_model_replicas = 4

    assert distribution.check_batch_size(np.int64(32), Four()) == 8
    with pytest.raises(TypeError, match="batch_size"):
        distribution.check_batch_size(True, Four())
    with pytest.raises(TypeError, match="`strategy` must be"):
        distribution.num_replicas(object())


def test_simulate_refuses_torch_and_bad_counts():
    with pytest.raises(TypeError, match="count"):
        distribution.simulate_cpu_devices("2")
    if keras.backend.backend() == "torch":
        with pytest.raises(RuntimeError, match="jax or tensorflow backend"):
            distribution.simulate_cpu_devices(2)

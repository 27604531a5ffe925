"""Bad inputs of `lmkeras.distribution`: device counts, meshes, batch sizes the replicas cannot
share, and layout rules that do not fit the model. Every row is refused before the backend's
devices are touched, so the table runs on any backend and in one process."""

from __future__ import annotations

import functools

import keras

from lmkeras import distribution as dist
from lmkeras.models.gpt import build_gpt
from tests.bad_inputs import bad, check_refused, table


class Two:
    """Any object with tf.distribute's attribute counts as a strategy of two replicas."""

    num_replicas_in_sync = 2


@functools.cache
def mesh():
    return keras.distribution.DeviceMesh((1, 1), ["batch", "model"], ["cpu:0"])


@functools.cache
def gpt():
    return build_gpt(10, sequence_length=8, num_layers=1, num_heads=1, hidden_dim=4)


def layout(rules):
    return dist.gpt_layout_map(mesh(), gpt(), rules)


DISTRIBUTION_ROWS = [
    bad(dist.simulate_cpu_devices, lambda: dist.simulate_cpu_devices("2"), TypeError,
        "count='2'"),
    bad(dist.simulate_cpu_devices, lambda: dist.simulate_cpu_devices(0), ValueError, "count=0",
        "≥ 1"),
    bad(dist.device_mesh, lambda: dist.device_mesh(4), TypeError, "`shape`", "shape=4"),
    bad(dist.device_mesh, lambda: dist.device_mesh((0,), devices=[]), ValueError, "shape=0"),
    bad(dist.device_mesh, lambda: dist.device_mesh((4,), devices=["cpu:0", "cpu:1"]),
        ValueError, "shape=(4,)", "4 devices", "2 were given"),
    bad(dist.device_mesh, lambda: dist.device_mesh((2, 1), ("batch",), ["cpu:0", "cpu:1"]),
        ValueError, "`axis_names`", "('batch',)", "one distinct name per axis"),
    bad(dist.device_mesh, lambda: dist.device_mesh((2,), "batch", ["cpu:0", "cpu:1"]),
        TypeError, "`axis_names`", "'batch'"),
    bad(dist.device_mesh, lambda: dist.device_mesh((2,), (0,), ["cpu:0", "cpu:1"]), TypeError,
        "`axis_names`", "axis_names=0"),
    bad(dist.data_parallel, lambda: dist.data_parallel(0), ValueError, "num_devices=0"),
    bad(dist.data_parallel, lambda: dist.data_parallel(2.0), TypeError, "num_devices=2.0"),
    bad(dist.data_parallel, lambda: dist.data_parallel(device_type=1), TypeError,
        "device_type=1"),
    bad(dist.num_replicas, lambda: dist.num_replicas(object()), TypeError, "`strategy`",
        "tf.distribute.Strategy"),
    bad(dist.check_batch_size, lambda: dist.check_batch_size(33, Two()), ValueError,
        "`batch_size`", "2 data-parallel replicas", "batch_size=33", "32 or 34"),
    bad(dist.check_batch_size, lambda: dist.check_batch_size(True, Two()), TypeError,
        "batch_size=True"),
    bad(dist.check_batch_size, lambda: dist.check_batch_size(0, Two()), ValueError,
        "batch_size=0"),
    bad(dist.check_batch_size, lambda: dist.check_batch_size(32, "mirrored"), TypeError,
        "`strategy`", "'mirrored'"),
    bad(dist.gpt_layout_map, lambda: dist.gpt_layout_map("mesh", gpt()), TypeError, "`mesh`",
        "'mesh'", "DeviceMesh"),
    bad(dist.gpt_layout_map, lambda: dist.gpt_layout_map(mesh(), "gpt"), TypeError, "`model`",
        "'gpt'"),
    bad(dist.gpt_layout_map, lambda: layout([("kernel", (None, "model"))]), TypeError,
        "`rules`", "list"),
    bad(dist.gpt_layout_map, lambda: layout({**dist.GPT_LAYOUT, ".*mlp/dense/kernel": (None,)}),
        ValueError, "'.*mlp/dense/kernel'", "matches none"),
    bad(dist.gpt_layout_map, lambda: layout({r".*/mlp/hidden/kernel": (None, "width")}),
        ValueError, "'width'", "('batch', 'model')"),
    bad(dist.gpt_layout_map, lambda: layout({r".*/mlp/hidden/bias": (None, "model")}),
        ValueError, "has 2 axes", "'block_0/mlp/hidden/bias'", "(16,)"),
    bad(dist.gpt_layout_map, lambda: layout({r"token_embedding/embeddings": (None, "model")}),
        ValueError, "match no layout regex", "replicated"),
    bad(dist.variable_layouts, lambda: dist.variable_layouts("gpt"), TypeError, "`model`",
        "'gpt'"),
]  # fmt: skip


@table(DISTRIBUTION_ROWS)
def test_distribution_refuses_bad_input(row):
    check_refused(row)

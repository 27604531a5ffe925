"""Bad inputs of chapter 13's recipes (`lmkeras.recipes.scaling` and the multi-host script
`lmkeras.recipes.multihost_gpt`): every one is refused before any data is loaded, any model
built or trained, any child process started or any device simulated. A bad flag of the two
command lines ends argparse's way: its usage, one error line that names the flag, exit code 2."""

from __future__ import annotations

import argparse
import contextlib
import functools
import io

import numpy as np

from lmkeras.models.gpt import build_gpt
from lmkeras.recipes import multihost_gpt as mh
from lmkeras.recipes import scaling as sc
from tests.bad_inputs import bad, check_refused, offline, table

V = 10
IDS = np.zeros(100, "int32")


class CliError(Exception):
    """The command exited with code 2; the message is its whole error output."""


def cli(main, *argv):
    """`main(argv)`; its refusal (exit code 2) as a CliError holding what it printed."""
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            main([str(a) for a in argv])
    except SystemExit as exit_:
        if exit_.code == 2:
            raise CliError(err.getvalue().strip()) from None
        raise AssertionError(f"exit code {exit_.code}: {err.getvalue()}") from None


@functools.cache
def gpt():
    return build_gpt(V, sequence_length=8, num_layers=1, num_heads=1, hidden_dim=4)


def policy(name):
    with sc.dtype_policy(name):
        pass


def row(policy="float32", jit_compile=False, batch_size=8, steps=1, **kwargs):
    return sc.one_device_row(V, IDS, IDS, policy, jit_compile, batch_size, steps, **kwargs)


def one_table(steps=1, **kwargs):
    return sc.one_device_table(V, IDS, IDS, steps, **kwargs)


def fit(build_model=gpt, dataset=None, steps=1, **kwargs):
    return sc.fit_data_parallel(build_model, dataset, steps, None, **kwargs)


def fresh(task="data_parallel_check", **kwargs):
    return sc.in_fresh_process(task, **kwargs)


SCALING_ROWS = [
    bad(sc.dtype_policy, lambda: policy(5), TypeError, "`name`", "name=5"),
    bad(sc.dtype_policy, lambda: policy("float17"), ValueError, "`name`", "name='float17'",
        "'mixed_float16'"),
    bad(sc.char_ids, offline(lambda: sc.char_ids(5)), TypeError, "`text`", "text=5"),
    bad(sc.char_ids, offline(lambda: sc.char_ids("")), ValueError, "`text`", "''"),
    bad(sc.one_device_row, lambda: row(jit_compile="yes"), TypeError, "jit_compile='yes'"),
    bad(sc.one_device_row, lambda: row(steps=0), ValueError, "steps=0"),
    bad(sc.one_device_row, lambda: row(batch_size=0), ValueError, "batch_size=0"),
    bad(sc.one_device_row, lambda: row(policy=16), TypeError, "policy=16"),
    bad(sc.one_device_row, lambda: row(timing_steps=0), ValueError, "timing_steps=0"),
    bad(sc.one_device_row, lambda: row(seed=-1), ValueError, "seed=-1"),
    bad(sc.one_device_row, lambda: row(config="tiny"), TypeError, "`config`", "'tiny'",
        "CharGPTConfig"),
    bad(sc.one_device_table, lambda: one_table(steps=0), ValueError, "steps=0"),
    bad(sc.one_device_table, lambda: one_table(rows=[("float32", 1, 32)]), TypeError, "xla=1"),
    bad(sc.one_device_table, lambda: one_table(rows=("float32", True, 32)), TypeError,
        "`rows`", "'float32'"),
    bad(sc.one_device_table, lambda: one_table(rows=[]), ValueError, "`rows`", "[]"),
    bad(sc.one_device_table, lambda: one_table(rows=[("float32", True, 0)]), ValueError,
        "batch_size=0"),
    bad(sc.one_device_table, lambda: one_table(verbose=1), TypeError, "verbose=1"),
    bad(sc.format_rows, lambda: sc.format_rows("float32"), TypeError, "`rows`", "'float32'"),
    bad(sc.format_rows, lambda: sc.format_rows([{"policy": "float32"}]), ValueError, "`rows`",
        "'val_loss'", "{'policy': 'float32'}"),
    bad(sc.format_rows, lambda: sc.format_rows([("float32", True, 32)]), TypeError, "`rows`",
        "tuple"),
    bad(sc.format_rows, lambda: sc.format_rows([], header="yes"), TypeError, "header='yes'"),
    bad(sc.adamw, lambda: sc.adamw(-1.0), ValueError, "learning_rate=-1.0", "> 0"),
    bad(sc.adamw, lambda: sc.adamw(weight_decay=-0.1), ValueError, "weight_decay=-0.1"),
    bad(sc.adamw, lambda: sc.adamw(clip_norm=0.0), ValueError, "clip_norm=0.0"),
    bad(sc.adamw, lambda: sc.adamw(accumulation_steps=0), ValueError, "accumulation_steps=0"),
    bad(sc.gradient_accumulation_check, lambda: sc.gradient_accumulation_check(1), ValueError,
        "accumulation_steps=1", "≥ 2"),
    bad(sc.gradient_accumulation_check,
        lambda: sc.gradient_accumulation_check(accumulation_steps=4, batch_size=18), ValueError,
        "`batch_size`", "accumulation_steps=4", "batch_size=18"),
    bad(sc.gradient_accumulation_check, lambda: sc.gradient_accumulation_check(updates=0),
        ValueError, "updates=0"),
    bad(sc.gradient_accumulation_check, lambda: sc.gradient_accumulation_check(config="small"),
        TypeError, "`config`", "'small'"),
    bad(sc.gradient_accumulation_check, lambda: sc.gradient_accumulation_check(seed=-1),
        ValueError, "seed=-1"),
    bad(sc.window_dataset, lambda: sc.window_dataset(IDS[:9], 8, 2, 1), ValueError, "`ids`",
        "sequence_length + 2 = 10", "received 9"),
    bad(sc.window_dataset, lambda: sc.window_dataset("abc", 8, 2, 1), TypeError, "`ids`",
        "integer"),
    bad(sc.window_dataset, lambda: sc.window_dataset(IDS, 0, 2, 1), ValueError,
        "sequence_length=0"),
    bad(sc.window_dataset, lambda: sc.window_dataset(IDS, 8, 0, 1), ValueError, "batch_size=0"),
    bad(sc.window_dataset, lambda: sc.window_dataset(IDS, 8, 2, 0), ValueError, "steps=0"),
    bad(sc.window_dataset, lambda: sc.window_dataset(IDS, 8, 2, 1, seed=-1), ValueError,
        "seed=-1"),
    bad(sc.fit_data_parallel, lambda: fit(build_model="gpt"), TypeError, "`build_model`",
        "callable"),
    bad(sc.fit_data_parallel, lambda: fit(steps=0), ValueError, "steps=0"),
    bad(sc.fit_data_parallel, lambda: fit(steps=3, steps_per_epoch=2), ValueError, "`steps`",
        "steps_per_epoch=2", "steps=3"),
    bad(sc.fit_data_parallel, lambda: fit(dataset=IDS), TypeError, "`dataset`", "tf.data"),
    bad(sc.data_parallel_check, offline(lambda: sc.data_parallel_check((0,))), ValueError,
        "device_counts=0"),
    bad(sc.data_parallel_check, offline(lambda: sc.data_parallel_check(2)), TypeError,
        "`device_counts`", "device_counts=2"),
    bad(sc.data_parallel_check, offline(lambda: sc.data_parallel_check(())), ValueError,
        "`device_counts`", "at least one"),
    bad(sc.data_parallel_check, offline(lambda: sc.data_parallel_check(steps=0)), ValueError,
        "steps=0"),
    bad(sc.data_parallel_check, offline(lambda: sc.data_parallel_check(config="tiny")),
        TypeError, "`config`", "'tiny'"),
    bad(sc.data_parallel_check, offline(lambda: sc.data_parallel_check(clip_norm=-1.0)),
        ValueError, "clip_norm=-1.0"),
    bad(sc.format_data_parallel, lambda: sc.format_data_parallel({"losses": {}}), ValueError,
        "`result`", "'shards'", "['losses']"),
    bad(sc.format_data_parallel, lambda: sc.format_data_parallel([1.0]), TypeError,
        "`result`", "list"),
    bad(sc.model_parallel_check, lambda: sc.model_parallel_check((2,)), ValueError,
        "`mesh_shape`", "(2,)"),
    bad(sc.model_parallel_check, lambda: sc.model_parallel_check(2), TypeError, "`mesh_shape`",
        "mesh_shape=2"),
    bad(sc.model_parallel_check, lambda: sc.model_parallel_check((1, 0)), ValueError,
        "mesh_shape=0"),
    bad(sc.model_parallel_check, lambda: sc.model_parallel_check(config="tiny"), TypeError,
        "`config`", "'tiny'"),
    bad(sc.model_parallel_check, lambda: sc.model_parallel_check(seed=-1), ValueError,
        "seed=-1"),
    bad(sc.jax_checks, lambda: sc.jax_checks(quick="yes"), TypeError, "quick='yes'"),
    bad(sc.jax_checks, offline(lambda: sc.jax_checks(steps=0)), ValueError, "steps=0"),
    bad(sc.quantized_copy, lambda: sc.quantized_copy("gpt"), TypeError, "`model`", "'gpt'"),
    bad(sc.int8_table, lambda: sc.int8_table("gpt", IDS, 8), TypeError, "`model`", "'gpt'"),
    bad(sc.int8_table, lambda: sc.int8_table(gpt(), IDS, 0), ValueError, "sequence_length=0"),
    bad(sc.int8_table, lambda: sc.int8_table(gpt(), IDS, 8, batch_size=0), ValueError,
        "batch_size=0"),
    bad(sc.int8_table, lambda: sc.int8_table(gpt(), IDS * 0.5, 8), TypeError,
        "`validation_ids`", "integer"),
    bad(sc.export_check, lambda: sc.export_check("gpt", IDS[:8][None]), TypeError, "`model`",
        "'gpt'"),
    bad(sc.export_check, lambda: sc.export_check(gpt(), IDS[:8]), ValueError, "`ids`",
        "2 axes", "(8,)"),
    bad(sc.export_check, lambda: sc.export_check(gpt(), IDS[:8][None] - 1), ValueError,
        "`ids`", "id -1"),
    bad(sc.in_fresh_process, lambda: fresh("fit_everything"), ValueError, "`task`",
        "'fit_everything'", "'jax_checks'"),
    bad(sc.in_fresh_process, lambda: fresh(backend="torch"), ValueError, "`backend`",
        "'torch'", "'jax'"),
    bad(sc.in_fresh_process, lambda: fresh(devices=0), ValueError, "devices=0"),
    bad(sc.in_fresh_process, lambda: fresh(timeout=0), ValueError, "timeout=0"),
    bad(sc.in_fresh_process, lambda: fresh(config=sc.TINY), TypeError, "`kwargs`",
        "JSON-serializable"),
    bad(sc.main, lambda: cli(sc.main, "fit_everything"), CliError, "invalid choice",
        "'fit_everything'"),
    bad(sc.main, lambda: cli(sc.main, "jax_checks", "--devices", "0"), CliError, "--devices",
        "≥ 1", "--devices 0"),
    bad(sc.main, lambda: cli(sc.main, "jax_checks", "--devices", "two"), CliError, "--devices",
        "'two'"),
    bad(sc.main, lambda: cli(sc.main, "jax_checks", "--kwargs", "{steps: 2}"), CliError,
        "--kwargs", "'{steps: 2}'", "JSON"),
    bad(sc.main, lambda: cli(sc.main, "jax_checks", "--kwargs", "[2]"), CliError, "--kwargs",
        "'[2]'", "JSON object"),
]  # fmt: skip

MULTIHOST_ROWS = [
    bad(mh.Preempt, lambda: mh.Preempt(0), ValueError, "epoch=0", "≥ 1"),
    bad(mh.Preempt, lambda: mh.Preempt("2"), TypeError, "epoch='2'"),
    bad(mh.parse_args, lambda: cli(mh.parse_args, "--epochs", "0"), CliError, "--epochs",
        "≥ 1", "--epochs 0"),
    bad(mh.parse_args, lambda: cli(mh.parse_args, "--epochs", "x"), CliError, "--epochs",
        "'x'"),
    bad(mh.parse_args, lambda: cli(mh.parse_args, "--steps-per-epoch", "-1"), CliError,
        "--steps-per-epoch", "--steps-per-epoch -1"),
    bad(mh.parse_args, lambda: cli(mh.parse_args, "--num-processes", "2", "--process-id", "2"),
        CliError, "--process-id", "2 process(es)", "--process-id 2"),
    bad(mh.parse_args, lambda: cli(mh.parse_args, "--workers", "a:1,b:2", "--process-id", "2"),
        CliError, "--process-id", "2 process(es)"),
    bad(mh.parse_args, lambda: cli(mh.parse_args, "--local", "0"), CliError, "--local",
        "--local 0"),
    bad(mh.parse_args, lambda: cli(mh.parse_args, "--preempt-after", "0"), CliError,
        "--preempt-after", "--preempt-after 0"),
    bad(mh.parse_args, lambda: cli(mh.parse_args, "--seed", "-1"), CliError, "--seed",
        "≥ 0", "--seed -1"),
    bad(mh.parse_args, lambda: cli(mh.parse_args, "--tiny", "--frobnicate"), CliError,
        "unrecognized arguments", "--frobnicate"),
    bad(mh.train, lambda: mh.train({"epochs": 2}), TypeError, "`args`", "Namespace",
        "{'epochs': 2}"),
    bad(mh.train, lambda: mh.train(argparse.ArgumentParser()), TypeError, "`args`",
        "Namespace", "ArgumentParser"),
    bad(mh.launch_local, lambda: mh.launch_local(0), ValueError, "num_processes=0"),
    bad(mh.launch_local, lambda: mh.launch_local(2, "torch"), ValueError, "`backend`",
        "'torch'", "'tensorflow'"),
    bad(mh.launch_local, lambda: mh.launch_local(2, arguments="--epochs 4"), TypeError,
        "`arguments`", "'--epochs 4'"),
    bad(mh.launch_local, lambda: mh.launch_local(2, timeout=0), ValueError, "timeout=0"),
    bad(mh.main, lambda: cli(mh.main, "--local", "2", "--epochs", "0"), CliError, "--epochs",
        "--epochs 0"),
    bad(mh.main, lambda: cli(mh.main, "--local", "two"), CliError, "--local", "'two'"),
]  # fmt: skip


@table(SCALING_ROWS)
def test_scaling_recipe_refuses_bad_input(row):
    check_refused(row)


@table(MULTIHOST_ROWS)
def test_multihost_script_refuses_bad_input(row):
    check_refused(row)

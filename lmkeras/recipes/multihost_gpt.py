"""Train the chapter-08 GPT data-parallel over several processes (hosts): a runnable script.

Every process runs the same command, with its own `--process-id`; each builds the same global
batches, and the engine gives it its share of every batch and all-reduces the gradients.

JAX (`keras.distribution.initialize`, then `DataParallel` over the devices of all processes):

    # host 0 (the coordinator, 10.0.0.1) and host 1, same command but the id:
    KERAS_BACKEND=jax python -m lmkeras.recipes.multihost_gpt \\
        --coordinator 10.0.0.1:1234 --num-processes 2 --process-id 0 --backup-dir /shared/run1

TensorFlow (`TF_CONFIG` from `--workers` and `--process-id`, then
`tf.distribute.MultiWorkerMirroredStrategy`):

    KERAS_BACKEND=tensorflow python -m lmkeras.recipes.multihost_gpt \\
        --workers 10.0.0.1:1234,10.0.0.2:1234 --process-id 0 --backup-dir /shared/run1

On one machine, `--local N` starts the N processes on 127.0.0.1 and prints each one's result.
`--backup-dir` names a folder that survives the worker (a shared disk or bucket): every epoch
`keras.callbacks.BackupAndRestore` writes the weights, the optimizer state and the epoch there
(one sub-folder per process), and a restarted run resumes from it. `--preempt-after N` stops
every process after epoch N, as a preempted machine would.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras

from lmkeras._checks import check_choice, check_int, check_positive, check_texts, check_type

EXIT_PREEMPTED = 3
_EXCEPTION = re.compile(r"^[\w.]*(Error|Exception|Interrupt)\b")  # an error output's last line


class Preempt(keras.callbacks.Callback):
    """Stop the process at the end of epoch `epoch` (1-based), after the backup is written."""

    def __init__(self, epoch: int):
        super().__init__()
        self.epoch = check_int("epoch", epoch)

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.epoch:
            raise SystemExit(EXIT_PREEMPTED)


def parse_args(argv: Sequence[str] | None = None) -> Any:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--coordinator", help="JAX: host:port of process 0")
    parser.add_argument("--workers", help="TensorFlow: comma-separated host:port of all workers")
    parser.add_argument("--num-processes", type=int, default=1)
    parser.add_argument("--process-id", type=int, default=0)
    parser.add_argument("--local", type=int, help="start this many processes on 127.0.0.1")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--steps-per-epoch", type=int, default=10, help="batches per epoch")
    parser.add_argument("--backup-dir", help="folder that survives the worker")
    parser.add_argument("--preempt-after", type=int, help="stop after this epoch (a test)")
    parser.add_argument("--tiny", action="store_true", help="a tiny GPT (tests, demos)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    bounds = {"--num-processes": 1, "--process-id": 0, "--local": 1, "--epochs": 1,
              "--steps-per-epoch": 1, "--preempt-after": 1, "--seed": 0}  # fmt: skip
    for flag, minimum in bounds.items():
        value = getattr(args, flag[2:].replace("-", "_"))
        if value is not None and value < minimum:
            parser.error(f"{flag} must be an int ≥ {minimum}; received {flag} {value}")
    processes = len(args.workers.split(",")) if args.workers else args.num_processes
    if args.process_id >= processes:
        parser.error(f"--process-id must be below the {processes} process(es); received "
                     f"--process-id {args.process_id}")  # fmt: skip
    return args


def _strategy(args: Any) -> Any:
    from lmkeras import distribution

    if keras.backend.backend() == "jax":
        if args.num_processes > 1:
            keras.distribution.initialize(args.coordinator, args.num_processes, args.process_id)
        return distribution.data_parallel()  # every device of every process
    import tensorflow as tf

    if args.workers:
        workers = args.workers.split(",")
        os.environ["TF_CONFIG"] = json.dumps({"cluster": {"worker": workers},
                                              "task": {"type": "worker",
                                                       "index": args.process_id}})  # fmt: skip
        return tf.distribute.MultiWorkerMirroredStrategy()
    return distribution.data_parallel()


def train(args: Any) -> dict:
    """One process's share of the run; returns its per-epoch losses."""
    import argparse

    check_type("args", args, argparse.Namespace, "the argparse.Namespace of parse_args")
    from lmkeras import distribution
    from lmkeras.models.gpt import build_gpt
    from lmkeras.recipes.char_gpt import CharGPTConfig
    from lmkeras.recipes.scaling import TINY, char_ids, fit_data_parallel, window_dataset

    strategy = _strategy(args)
    config = TINY if args.tiny else CharGPTConfig()
    vocabulary_size, train_ids, _ = char_ids()
    # An epoch is one pass over the same `steps_per_epoch` batches, so the data position is
    # a function of the epoch: a run resumed from a backup sees what an unbroken run saw.
    dataset = window_dataset(train_ids, config.sequence_length, config.batch_size,
                             args.steps_per_epoch, args.seed)  # fmt: skip
    callbacks = []
    if args.backup_dir:
        folder = Path(args.backup_dir) / f"process_{args.process_id}"
        callbacks.append(keras.callbacks.BackupAndRestore(str(folder)))
    if args.preempt_after:
        callbacks.append(Preempt(args.preempt_after))

    def build():
        keras.utils.set_random_seed(args.seed)  # the same weights in every process
        model = build_gpt(vocabulary_size, **config.model_kwargs())
        model.build((None, config.sequence_length))  # BackupAndRestore needs it built
        return model

    _, losses, speed = fit_data_parallel(
        build, dataset, args.epochs * args.steps_per_epoch, strategy, callbacks=callbacks,
        steps_per_epoch=args.steps_per_epoch,
    )  # fmt: skip
    # A resumed run trains only the epochs after the backup: `losses` starts there.
    return {"process_id": args.process_id, "num_processes": args.num_processes,
            "replicas": distribution.num_replicas(strategy),
            "first_epoch": args.epochs - len(losses) + 1, "losses": losses,
            "tokens_per_second": speed}  # fmt: skip


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def launch_local(
    num_processes: int,
    backend: str = "jax",
    arguments: Sequence[str] = (),
    timeout: float = 900,
) -> list[dict]:
    """Start `num_processes` copies of this script on 127.0.0.1 and wait for all of them.

    Args:
        num_processes: int ≥ 1.
        backend: "jax" or "tensorflow".
        arguments: further command-line flags for every process (`--epochs 4`, …).
        timeout: float. Seconds to wait for each process.

    Returns:
        One dict per process: `returncode`, `result` (its JSON line, or None) and `error` (the
        last line of its error output, or None).
    """
    num_processes = check_int("num_processes", num_processes)
    check_choice("backend", backend, ("jax", "tensorflow"))
    arguments = check_texts("arguments", arguments, allow_empty=True)
    check_positive("timeout", timeout)
    if backend == "jax":
        where = ["--coordinator", f"127.0.0.1:{_free_port()}"]
    else:
        where = ["--workers", ",".join(f"127.0.0.1:{_free_port()}" for _ in range(num_processes))]
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    script = [sys.executable, "-m", "lmkeras.recipes.multihost_gpt", *where]
    children = [
        subprocess.Popen(
            [*script, f"--num-processes={num_processes}", f"--process-id={i}", *arguments],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(num_processes)
    ]
    results = []
    for child in children:
        out, err = child.communicate(timeout=timeout)
        lines = [line for line in out.splitlines() if line.startswith("{")]
        failed = child.returncode not in (0, EXIT_PREEMPTED)
        errors = [line for line in err.splitlines() if _EXCEPTION.match(line)]
        results.append({
            "returncode": child.returncode,
            "result": json.loads(lines[-1]) if lines else None,
            "error": errors[-1][:300] if failed and errors else None,
        })  # fmt: skip
    return results


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.local:
        flags = [f"--epochs={args.epochs}", f"--steps-per-epoch={args.steps_per_epoch}",
                 f"--seed={args.seed}"]  # fmt: skip
        flags += [f"--backup-dir={args.backup_dir}"] if args.backup_dir else []
        flags += [f"--preempt-after={args.preempt_after}"] if args.preempt_after else []
        flags += ["--tiny"] if args.tiny else []
        for process in launch_local(args.local, keras.backend.backend(), flags):
            print(json.dumps(process))
        return
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # fit's note that tf.data is not shuffled
        print(json.dumps(train(args)), flush=True)


if __name__ == "__main__":
    main()

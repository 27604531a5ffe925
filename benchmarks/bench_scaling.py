"""Chapter 13 benchmarks: the one-device table, simulated-device scaling, int8 and export.

Run it holding the lock (it trains chapter 08's GPT several times):

    flock /tmp/lmkeras-cpu.lock env LMKERAS_DATA_DIR=/work/shared/data \\
        python benchmarks/bench_scaling.py [--steps 80] [--dp-steps 12] [--multihost]

It prints four tables:

1. One device (TensorFlow, this process): tokens/s of compiled training steps and validation
   loss after `--steps` steps, for float32 / mixed_bfloat16 with XLA on and off and batch
   16 / 32 / 64; mixed_float16 (GPU only) is "not measured" without a GPU.
2. Data parallel on 1, 2 and 4 simulated CPU devices (JAX, `keras.distribution.DataParallel`,
   a fresh process with 4 devices): per-step losses against one device and tokens/s. The
   simulated devices share the same cores, so this shows correctness and the overhead of
   splitting, not a speed-up. The model-parallel logits check runs in the same process.
3. float32 against int8 (`model.quantize("int8")`): weights file, scoring tokens/s, loss.
4. The SavedModel export, reloaded in a fresh process without lmkeras: same logits.

With `--multihost`, also two JAX processes on 127.0.0.1 (`lmkeras.recipes.multihost_gpt`).
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from lmkeras.recipes import multihost_gpt, scaling  # noqa: E402
from lmkeras.recipes.char_gpt import CharGPTConfig  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=80, help="training steps per table row")
    parser.add_argument("--timing-steps", type=int, default=10)
    parser.add_argument("--dp-steps", type=int, default=12, help="steps per data-parallel run")
    parser.add_argument("--tiny", action="store_true", help="a tiny GPT (a smoke test)")
    parser.add_argument("--multihost", action="store_true")
    args = parser.parse_args()
    config = scaling.TINY if args.tiny else CharGPTConfig()
    start = time.perf_counter()

    vocabulary_size, train_ids, val_ids = scaling.char_ids()
    print(f"== one device ({args.steps} steps per row)")
    table, model = scaling.one_device_table(
        vocabulary_size, train_ids, val_ids, args.steps, scaling.ONE_DEVICE_ROWS, config,
        args.timing_steps, verbose=False,
    )  # fmt: skip
    print(scaling.format_rows(table), flush=True)

    print(f"\n== data parallel on simulated CPU devices (JAX, {args.dp_steps} steps)")
    result = scaling.in_fresh_process(
        "jax_checks", "jax", 4, device_counts=[1, 2, 4], steps=args.dp_steps,
        mesh_shape=[2, 2], quick=args.tiny,
    )  # fmt: skip
    print(scaling.format_data_parallel(result["data_parallel"]))
    print(f"model parallel (2 × 2 mesh): max |logit difference| "
          f"{result['model_parallel']['max_logit_difference']:.1e}", flush=True)  # fmt: skip

    print("\n== int8")
    rows, quantized = scaling.int8_table(model, val_ids, config.sequence_length, config.batch_size)
    for r in rows:
        speed, loss = r["tokens_per_second"], r["val_loss"]
        print(f"{r['model']:8s} weights {r['weights_bytes']:>10,} bytes  "
              f"{speed:9,.0f} tokens/s  validation loss {loss:.4f}")  # fmt: skip

    print("\n== export")
    ids = val_ids[: 2 * config.sequence_length].reshape(2, -1)
    for name, candidate in (("float32", model), ("int8", quantized)):
        served = scaling.export_check(candidate, ids)
        print(f"{name}: {served['saved_model_bytes']:,} bytes, lmkeras importable: "
              f"{served['lmkeras_importable']}, max |logit difference| "
              f"{served['max_logit_difference']:.1e}")  # fmt: skip

    if args.multihost:
        print("\n== two JAX processes on 127.0.0.1")
        for process in multihost_gpt.launch_local(
            2, "jax", ["--tiny", "--epochs=4", "--steps-per-epoch=3"]
        ):
            print(process)
    print(f"\n{time.perf_counter() - start:.0f} s in all")


if __name__ == "__main__":
    main()

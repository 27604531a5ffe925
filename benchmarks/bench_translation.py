"""Translation benchmarks: decoding speed with and without the cache, and training throughput
per precision. Run it alone on the machine (holding the exclusive lock here):

    flock -x /tmp/lmkeras-cpu.lock env LMKERAS_DATA_DIR=/work/shared/data \\
        python benchmarks/bench_translation.py [--model runs/transformer_translator.keras]

Decoding: translate the same test sentences (spread over the test split, as in chapter 10's
speed cell) with greedy decoding and beam search, each with the
model's cache (KV cache for the Transformer, carried state for a GRU) and without it (the decoder
re-runs the whole prefix every step), alternating cached/uncached within each round; prints
sentences per second and the ratio. Without `--model`, a Transformer of the chapter-10 shape is
built with random weights: speed does not depend on the weights, only on the output lengths,
which `--max-new-tokens` fixes by never emitting `[end]` early (random weights rarely do).

Training (`--train`): pairs per second of `fit` on 6,000 training pairs, after a warm-up epoch
that compiles every batch shape, for float32 with and without XLA and for `mixed_bfloat16`.
Each variant runs in its own process, since a dtype policy is global.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time


def decoding(args):
    from pathlib import Path

    import keras

    from lmkeras.datasets.translation import PairEncoder, group_references
    from lmkeras.models import TransformerTranslator
    from lmkeras.recipes.translation import spa_eng_task, translate

    task = spa_eng_task()
    encoder = task.encoder
    saved_encoder = Path(args.model).with_name("spa_eng_encoder.json") if args.model else None
    if saved_encoder is not None and saved_encoder.exists():
        # Chapter 10 saves the encoder it trained with beside the model (its own vocabulary sizes).
        encoder = PairEncoder.load(str(saved_encoder))
    sources, _ = group_references(task.test)
    # Spread over the test split (in file order it runs from short to long sentences).
    sources = sources[:: max(len(sources) // args.sentences, 1)][: args.sentences]
    if args.model:
        model = keras.saving.load_model(args.model)
    else:
        keras.utils.set_random_seed(0)
        model = TransformerTranslator(
            encoder.source_vocabulary_size, encoder.target_vocabulary_size, hidden_dim=256,
            num_encoder_layers=3, num_decoder_layers=3, num_heads=4,
        )  # fmt: skip
    print(f"model: {args.model or 'random-weight Transformer'}, {len(sources)} test sentences")
    results = {}
    for num_beams in (1, args.beams):
        timings = {True: [], False: []}
        for use_cache in (True, False):  # warm-up: compiles every shape once
            translate(model, encoder, sources, num_beams=num_beams, use_cache=use_cache,
                      max_new_tokens=args.max_new_tokens)  # fmt: skip
        for _ in range(args.rounds):
            for use_cache in (True, False):
                tic = time.perf_counter()
                translate(model, encoder, sources, num_beams=num_beams, use_cache=use_cache,
                          max_new_tokens=args.max_new_tokens)  # fmt: skip
                timings[use_cache].append(len(sources) / (time.perf_counter() - tic))
        cached, uncached = max(timings[True]), max(timings[False])
        results[num_beams] = (cached, uncached)
        print(f"{num_beams} beam(s): {cached:7.1f} sentences/s with the cache, "
              f"{uncached:7.1f} without: {cached / uncached:.2f}×")  # fmt: skip
    return results


def train_worker(policy, jit):
    import keras
    import numpy as np

    from lmkeras import config
    from lmkeras.datasets.translation import translation_dataset
    from lmkeras.layers.losses import MaskedCrossEntropy
    from lmkeras.models import TransformerTranslator
    from lmkeras.recipes.translation import spa_eng_task

    config.start(0)
    keras.mixed_precision.set_global_policy(policy)
    task = spa_eng_task()
    rows = np.random.default_rng(0).choice(len(task.train), 6000, replace=False)
    dataset = translation_dataset(task.encoder, [task.train[i] for i in rows], 128)
    model = TransformerTranslator(
        task.encoder.source_vocabulary_size, task.encoder.target_vocabulary_size, hidden_dim=256,
        num_encoder_layers=3, num_decoder_layers=3, num_heads=4,
    )  # fmt: skip
    model.compile(keras.optimizers.AdamW(1e-3), MaskedCrossEntropy(), jit_compile=jit)
    model.fit(dataset, epochs=1, verbose=0)  # compiles every batch shape
    tic = time.perf_counter()
    model.fit(dataset, epochs=1, verbose=0)
    return 6000 / (time.perf_counter() - tic)


def training(args):
    variants = [("float32", False), ("float32", True), ("mixed_bfloat16", False)]
    for policy, jit in variants:
        out = subprocess.run(
            [sys.executable, __file__, "--worker", json.dumps([policy, jit])],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        speed = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"training {policy:<15} jit_compile={jit!s:<5}: {speed:6.0f} pairs/s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a saved translator (.keras); default: random weights")
    parser.add_argument("--sentences", type=int, default=256)
    parser.add_argument("--beams", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--max-new-tokens", type=int, default=None)
    parser.add_argument("--train", action="store_true", help="also measure training throughput")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(train_worker(*json.loads(args.worker))))
        return
    decoding(args)
    if args.train:
        training(args)


if __name__ == "__main__":
    main()

"""lmkeras: learn how language models work by building them in Keras 3.

The package holds what the course notebooks import, one home for each kind of code:

    config, _checks, backend        settings, the one validator set, compile glue
    data, text, bpe                 corpora, cleaning, tokenizers
    datasets/                       tf.data pipelines (windows, skip-gram, translation pairs)
    layers/                         Keras layers and losses (attention owns the KV-cache layout)
    models/                         one module per family: builder + step function
    sampling, metrics               decoding strategies; perplexity, diversity, BLEU
    training                        generic trainers (time budget, keep-best, evaluation)
    recipes/                        each chapter's end-to-end run
    vectors, plots                  word-vector analysis; every picture
    testing, gpt_cli                shared layer/model checks; the `lmkeras-gpt` command

`import lmkeras` registers every Keras class the course saves, so `keras.saving.load_model`
loads any `.keras` file a chapter wrote (or use `lmkeras.load_model`). Importing has no other
side effects: no downloads, no printing, no global seeds.
"""

__version__ = "0.2.0"

import os as _os

# TensorFlow's C++ start-up lines (oneDNN notice, "could not find cuda drivers", cuInit) read as
# errors to a student: hide them unless the user chose a level. This runs before `keras` starts
# TensorFlow, which is why each notebook's first cell imports lmkeras before keras.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _keras_backend_setting() -> str:
    """The backend Keras will start, read as Keras reads it (`KERAS_BACKEND`, else the
    `backend` of `$KERAS_HOME/keras.json`, else TensorFlow) without importing Keras."""
    import json

    if "KERAS_BACKEND" in _os.environ:
        return _os.environ["KERAS_BACKEND"]
    home = _os.environ.get("KERAS_HOME") or _os.path.join(_os.path.expanduser("~"), ".keras")
    try:
        with open(_os.path.join(home, "keras.json")) as handle:
            return str(json.load(handle).get("backend", "tensorflow"))
    except (OSError, ValueError, AttributeError):
        return "tensorflow"


def _start_tensorflow_quietly(always: bool = False) -> None:
    """Import TensorFlow, applying TF_CPP_MIN_LOG_LEVEL also to the lines it logs before it
    reads that variable (absl's "before InitializeLog" lines, which the variable misses).

    On JAX or PyTorch, TensorFlow starts only when `always` (the `tf.data` pipelines ask):
    `import lmkeras` then costs no TensorFlow start (1.7 s here), which a command such as
    `lmkeras-gpt sample` would pay for nothing."""
    import importlib.util
    import re
    import sys
    import tempfile

    if "tensorflow" in sys.modules or importlib.util.find_spec("tensorflow") is None:
        return
    if not always and _keras_backend_setting() != "tensorflow":
        return
    level = _os.environ["TF_CPP_MIN_LOG_LEVEL"]
    hidden = "IWE"[: int(level)] if level.isdigit() else ""  # 1: INFO, 2: +WARNING, 3: +ERROR
    sys.stderr.flush()
    try:
        saved = _os.dup(2)
    except OSError:  # no stderr to filter (e.g. a GUI process)
        return
    with tempfile.TemporaryFile() as log:
        _os.dup2(log.fileno(), 2)
        # TensorFlow imports JAX, when installed, for TFLite's JAX converter (0.46 s of its
        # 3.5 s start here); the course never converts to TFLite, so JAX is hidden meanwhile.
        hide_jax = "jax" not in sys.modules
        if hide_jax:
            sys.modules["jax"] = None  # type: ignore[assignment]  (`import jax` fails fast)
        try:
            import tensorflow  # noqa: F401
        finally:
            if hide_jax:
                del sys.modules["jax"]
            _os.dup2(saved, 2)
            _os.close(saved)
            log.seek(0)
            lines = log.read().decode(errors="replace").splitlines(keepends=True)
    kept, dropping = [], False
    for line in lines:  # a line without a severity prefix continues the one before
        if line.startswith("WARNING: All log messages before absl::InitializeLog()"):
            dropping = bool(hidden)
        elif re.match(r"[IWEF]\d{4} ", line):
            dropping = line[0] in hidden
        if not dropping:
            kept.append(line)
    sys.stderr.write("".join(kept))


_start_tensorflow_quietly()

import keras as _keras  # noqa: E402

from lmkeras import layers, models, training  # noqa: E402, F401  (registers the saved classes)


def load_model(path, compile: bool = True):  # noqa: A002 (Keras' own argument name)
    """`keras.saving.load_model(path)` with every lmkeras class registered (they are, once
    `lmkeras` is imported; this is the same call, spelled from the package)."""
    return _keras.saving.load_model(path, compile=compile)

"""The one set of argument validators every public function of lmkeras uses.

One rule decides the exception: a value of the wrong *type* (a string where a number belongs,
a bool where an int belongs, one string where a list of texts belongs) raises `TypeError`; a
value of the right type that is out of range or otherwise unusable raises `ValueError`. Every
message names the parameter, quotes the value received (abbreviated when long) and says what
was expected. NumPy integers and floats are accepted wherever Python ones are; bools never
count as numbers. Missing files and folders keep Python's own `FileNotFoundError` and
`NotADirectoryError`, naming the path.

A value is checked where it enters, once, before any work: a refused call leaves files, models
and caches as they were. Compiled code (XLA, `jax.jit`) cannot raise, so what reaches it is
checked before it enters: the prompt ids and the KV-cache room before `gpt_generate`'s loop and
each cached step, the token ids of a training set where the dataset is built
(`next_token_windows(vocabulary_size=...)`, `char_lm_dataset`, `word_lm_dataset`) or the trainer
starts (`train_with_time_budget`, `evaluate_loss`, `fit_translator`, against the model's logits).
`gpt_generate`'s loop carries a flag instead and refuses NaN logits after it.

The one place left unchecked on purpose: a model called directly (`model(ids)`,
`model.predict`, `model.fit` on your own arrays) does not check its ids. Under XLA a graph
cannot raise, only poison its logits with NaN, and that costs FORWARD_COST of a compiled
forward pass of chapter 08's GPT (`benchmarks/bench_checks.py`, 2-core CPU). An id outside the
table there gathers zeros on CPU (and -1 the last row), garbage on GPU, without a word.

Example:
>>> check_int("num_heads", 4)
4
>>> check_int("num_heads", 0)
Traceback (most recent call last):
...
ValueError: `num_heads` must be an int ≥ 1; received num_heads=0.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

_INTEGER_TYPES = (int, np.integer)
_REAL_TYPES = (int, float, np.integer, np.floating)


def describe(value: Any, limit: int = 60) -> str:
    """`repr(value)`, cut to `limit` characters, with the shape for arrays."""
    if isinstance(value, np.ndarray) and value.size > 8:
        return f"array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 5] + " …" + text[-3:]


def _bounds(minimum: float | None, maximum: float | None, low_open: bool, high_open: bool) -> str:
    parts = []
    if minimum is not None:
        parts.append(f"{'>' if low_open else '≥'} {minimum:g}")
    if maximum is not None:
        parts.append(f"{'<' if high_open else '≤'} {maximum:g}")
    return " and ".join(parts)


def check_int(name: str, value: Any, minimum: int | None = 1, maximum: int | None = None) -> int:
    """An int (NumPy ints too, never a bool) in `[minimum, maximum]`; returns a Python int."""
    bounds = _bounds(minimum, maximum, False, False)
    expected = f"an int {bounds}".rstrip()
    if isinstance(value, bool) or not isinstance(value, _INTEGER_TYPES):
        raise TypeError(f"`{name}` must be {expected}; received {name}={describe(value)}.")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"`{name}` must be {expected}; received {name}={describe(value)}.")
    return int(value)


def check_optional_int(name: str, value: Any, minimum: int | None = 1) -> int | None:
    """None, or what `check_int` accepts."""
    return None if value is None else check_int(name, value, minimum)


def check_float(
    name: str,
    value: Any,
    minimum: float | None = None,
    maximum: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """A finite real number (not a bool) within the bounds; returns a Python float.

    Args:
        name: str. The parameter's name, for the message.
        value: the value received.
        minimum, maximum: float or None. Bounds; None means unbounded on that side.
        low_open, high_open: bool. Exclude the bound itself.
    """
    bounds = _bounds(minimum, maximum, low_open, high_open)
    expected = f"a finite number {bounds}".rstrip()
    if isinstance(value, bool) or not isinstance(value, _REAL_TYPES):
        raise TypeError(f"`{name}` must be {expected}; received {name}={describe(value)}.")
    number = float(value)
    too_low = minimum is not None and (number <= minimum if low_open else number < minimum)
    too_high = maximum is not None and (number >= maximum if high_open else number > maximum)
    if not math.isfinite(number) or too_low or too_high:
        raise ValueError(f"`{name}` must be {expected}; received {name}={describe(value)}.")
    return number


def check_positive(name: str, value: Any) -> float:
    """A finite number > 0 (learning rates, budgets in seconds, epsilons)."""
    return check_float(name, value, 0.0, low_open=True)


def check_rate(name: str, value: Any) -> float:
    """A probability-like rate in [0, 1): dropout, label smoothing, corruption rates."""
    return check_float(name, value, 0.0, 1.0, high_open=True)


def check_bool(name: str, value: Any) -> bool:
    """A real bool (NumPy's too), never 0/1 or a string."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be True or False; received {name}={describe(value)}.")
    return bool(value)


def check_choice(name: str, value: Any, choices: Sequence[Any]) -> Any:
    """One of `choices` (compared with ==)."""
    if isinstance(value, bool) or value not in tuple(choices):
        kind = TypeError if not isinstance(value, type(choices[0])) else ValueError
        raise kind(f"`{name}` must be one of {tuple(choices)}; received {name}={describe(value)}.")
    return value


def check_str(name: str, value: Any, allow_empty: bool = False) -> str:
    """A str (non-empty unless `allow_empty`)."""
    if not isinstance(value, str):
        raise TypeError(f"`{name}` must be a str; received {name}={describe(value)}.")
    if not allow_empty and not value:
        raise ValueError(f"`{name}` must be a non-empty str; received {name}=''.")
    return value


def check_texts(name: str, value: Any, allow_empty: bool = False) -> list[str]:
    """A list (or other iterable) of str: one str alone is refused, not split into characters."""
    if isinstance(value, (str, bytes)):
        raise TypeError(
            f"`{name}` must be a list of texts, not one {type(value).__name__}; received "
            f"{name}={describe(value)}. Wrap a single text in a list: [{describe(value)}]."
        )
    if not isinstance(value, Iterable):
        raise TypeError(f"`{name}` must be a list of texts; received {name}={describe(value)}.")
    texts = list(value)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"`{name}` must hold only str; received {describe(text)} at index {i}.")
    if not texts and not allow_empty:
        raise ValueError(f"`{name}` must hold at least one text; received an empty {name}.")
    return texts


def check_token_ids(
    name: str, ids: Any, vocabulary_size: int | None = None, ndim: int | None = None
) -> np.ndarray:
    """Integer ids in `[0, vocabulary_size)` (or ≥ 0 when it is None), as an int32 NumPy array.

    Out-of-range ids are refused here, before they reach an embedding: on CPU a gather out of
    range returns zeros (or, for id -1, the last row), on GPU it is undefined, and neither says so.
    """
    try:
        array = np.asarray(ids)
    except ValueError:  # ragged nested lists
        raise ValueError(
            f"`{name}` must be a rectangular array of ids; received {describe(ids)}."
        ) from None
    if array.dtype == bool or not (
        np.issubdtype(array.dtype, np.integer) or (array.size == 0 and array.dtype == float)
    ):
        raise TypeError(
            f"`{name}` must hold integer token ids; received dtype {array.dtype} ({describe(ids)})."
        )
    if ndim is not None and array.ndim != ndim:
        axes = "1 axis" if ndim == 1 else f"{ndim} axes"
        raise ValueError(f"`{name}` must have {axes}; received shape {array.shape}.")
    if array.size:
        low, high = int(array.min()), int(array.max())
        limit = math.inf if vocabulary_size is None else vocabulary_size
        if low < 0 or high >= limit:
            expected = (
                "≥ 0"
                if vocabulary_size is None
                else f"in [0, {vocabulary_size}) (the vocabulary size)"
            )
            raise ValueError(
                f"`{name}` must hold ids {expected}; received an id {low if low < 0 else high}."
            )
    return array.astype("int32")


def check_numbers(
    name: str, value: Any, ndim: int | None = None, minimum: float | None = None
) -> np.ndarray:
    """A non-empty array of finite real numbers (counts, vectors, weights) as float64.

    Strings, objects and bools are refused with a TypeError; NaN, ±inf, a wrong number of axes,
    an empty array or a value below `minimum` with a ValueError that says where.
    """
    try:
        array = np.asarray(value)
    except ValueError:
        raise ValueError(
            f"`{name}` must be a rectangular array; received {describe(value)}."
        ) from None
    if array.dtype.name in ("bfloat16", "float16"):  # mixed precision's (bfloat16: ml_dtypes)
        array = array.astype("float32")
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number):
        raise TypeError(
            f"`{name}` must hold numbers; received dtype {array.dtype} ({describe(value)})."
        )
    if ndim is not None and array.ndim != ndim:
        axes = "1 axis" if ndim == 1 else f"{ndim} axes"
        raise ValueError(f"`{name}` must have {axes}; received shape {array.shape}.")
    if array.size == 0:
        raise ValueError(f"`{name}` must hold at least one number; received shape {array.shape}.")
    array = array.astype("float64")
    bad = ~np.isfinite(array) | (array < minimum if minimum is not None else False)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        expected = "finite numbers" + ("" if minimum is None else f" ≥ {minimum:g}")
        raise ValueError(
            f"`{name}` must hold {expected}; received {array[where]} at index "
            f"{where[0] if len(where) == 1 else where}."
        )
    return array


def check_path(name: str, value: Any) -> Path:
    """A file-system path (str or `os.PathLike`; never an int, which `open` reads as a file
    descriptor)."""
    if isinstance(value, bool) or not isinstance(value, (str, os.PathLike)) or value == "":
        kind = ValueError if isinstance(value, str) else TypeError
        raise kind(
            f"`{name}` must be a path (str or os.PathLike); received {name}={describe(value)}."
        )
    return Path(value)


def check_type(name: str, value: Any, types: type | tuple[type, ...], what: str) -> Any:
    """An instance of `types`; `what` says what was expected in words ("a keras.Model")."""
    if not isinstance(value, types):
        raise TypeError(
            f"`{name}` must be {what}; received {type(value).__name__} {describe(value)}."
        )
    return value


def known_value(value: Any) -> np.ndarray | None:
    """The value of `value` as NumPy when it can be read now (a Python or NumPy number or array,
    an eager tensor); None inside a graph being traced (`tf.function`, `jax.jit`, a symbolic
    `KerasTensor`), where a Python check cannot run and the caller checks before entering."""
    if isinstance(value, (int, float, np.number, np.ndarray, list, tuple)):
        return np.asarray(value)
    import keras

    if isinstance(value, keras.KerasTensor):
        return None
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        if not tf.executing_eagerly() or not hasattr(value, "numpy"):
            return None
    elif backend == "jax":
        import jax

        if isinstance(value, jax.core.Tracer):
            return None
    return np.asarray(keras.ops.convert_to_numpy(value))


def check_callable(name: str, value: Any) -> Any:
    """Anything callable (a sampler, a step function)."""
    if not callable(value):
        raise TypeError(f"`{name}` must be callable; received {name}={describe(value)}.")
    return value


def check_pair(name: str, value: Any, what: str) -> tuple[Any, Any]:
    """Two things in a list or tuple, e.g. a translator's `(source_ids, decoder_inputs)`; `what`
    names them ("(source_ids, decoder_inputs)")."""
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError(
            f"`{name}` must be a pair {what}; received {type(value).__name__} "
            f"{getattr(value, 'shape', '')}."
        )
    return value[0], value[1]


def check_pairs(name: str, value: Any, allow_empty: bool = False) -> list[tuple[str, str]]:
    """A list (or other iterable) of (source, target) pairs of str, e.g. translation pairs."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(
            f"`{name}` must be a list of (source, target) pairs of str; received "
            f"{name}={describe(value)}."
        )
    pairs = list(value)
    for i, pair in enumerate(pairs):
        if (
            not isinstance(pair, (tuple, list))
            or len(pair) != 2
            or not all(isinstance(side, str) for side in pair)
        ):
            raise TypeError(
                f"`{name}` must hold (source, target) pairs of str; received {describe(pair)} "
                f"at index {i}."
            )
    if not pairs and not allow_empty:
        raise ValueError(f"`{name}` must hold at least one pair; received an empty {name}.")
    return [(source, target) for source, target in pairs]

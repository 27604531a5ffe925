"""Course-wide settings read from the environment: quick/full mode, data folder, hardware.

`LMKERAS_QUICK=1` selects quick mode (CI and tests: small data, few steps); unset or `0`
selects full mode (class and Colab). `LMKERAS_DATA_DIR=DIR` makes the loaders read the corpora
from `DIR` and never touch the network.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

QUICK_ENV = "LMKERAS_QUICK"
DATA_DIR_ENV = "LMKERAS_DATA_DIR"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def is_quick() -> bool:
    """Return True when `LMKERAS_QUICK` asks for quick mode.

    Returns:
        bool. True for `1/true/yes/on`, False when unset or `0/false/no/off`.

    Raises:
        ValueError: for any other value, so a typo never silently picks full mode.

    Example:
    >>> os.environ["LMKERAS_QUICK"] = "1"
    >>> is_quick()
    True
    >>> del os.environ["LMKERAS_QUICK"]
    """
    raw = os.environ.get(QUICK_ENV, "")
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(
        f"`{QUICK_ENV}` must be one of 1/true/yes/on or 0/false/no/off (or unset); "
        f"received {QUICK_ENV}={raw!r}."
    )


def pick(quick: T, full: T) -> T:
    """Return `quick` in quick mode and `full` otherwise: one knob, two sizes.

    Example:
    >>> os.environ["LMKERAS_QUICK"] = "1"
    >>> pick(quick=200, full=20_000)
    200
    >>> del os.environ["LMKERAS_QUICK"]
    """
    return quick if is_quick() else full


def data_dir() -> Path | None:
    """Return the offline corpus folder named by `LMKERAS_DATA_DIR`, or None when unset.

    Raises:
        ValueError: when the variable is set but empty or blank. Whoever sets it means "work
            offline", so it is never read as unset (which would download).
        NotADirectoryError: when the variable names something that is not a folder.
    """
    raw = os.environ.get(DATA_DIR_ENV)
    if raw is None:
        return None
    if not raw.strip():
        raise ValueError(
            f"`{DATA_DIR_ENV}` is set but blank; received {DATA_DIR_ENV}={raw!r}. Set it to the "
            f"folder that holds the corpora to work offline, or unset it to download them into "
            f"Keras' cache."
        )
    path = Path(raw.strip()).expanduser().resolve()
    if not path.is_dir():
        raise NotADirectoryError(
            f"`{DATA_DIR_ENV}` must name an existing folder; received {DATA_DIR_ENV}={raw!r} "
            f"(resolved to {path}), which is not a directory."
        )
    return path


def gpu_names() -> list[str]:
    """Names of the GPUs the current Keras backend can see (empty on a CPU machine)."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return [d.name for d in tf.config.list_physical_devices("GPU")]
    if backend == "jax":
        import jax

        return [str(d) for d in jax.devices() if d.platform == "gpu"]
    if backend == "torch":
        import torch

        if torch.cuda.is_available():
            return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        return []
    return []


def cpu_has_bfloat16() -> bool:
    """Whether this CPU multiplies bfloat16 matrices in hardware (AMX or AVX-512 BF16; Linux).

    Without them, bfloat16 matmuls are emulated and slower than float32, so a notebook should
    only switch to `mixed_bfloat16` when this is True.
    """
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            flags = next(
                (line.split(":", 1)[1].split() for line in f if line.startswith("flags")), []
            )
    except OSError:
        return False
    return bool({"amx_bf16", "avx512_bf16"} & set(flags))


def training_precision() -> str:
    """The Keras dtype policy that trains fastest here: float16 on a GPU, bfloat16 on a CPU with
    hardware bfloat16 under TensorFlow, else float32. Mixed policies keep float32 weights.

    `LMKERAS_PRECISION` (`float32`, `mixed_bfloat16` or `mixed_float16`) overrides the choice:
    `LMKERAS_PRECISION=float32` shows on an AMX machine what a laptop without bfloat16 gets.
    """
    import keras

    override = os.environ.get("LMKERAS_PRECISION", "").strip()
    if override:
        allowed = ("float32", "mixed_bfloat16", "mixed_float16")
        if override not in allowed:
            raise ValueError(
                f"LMKERAS_PRECISION must be one of {allowed} or unset; received "
                f"LMKERAS_PRECISION={override!r}."
            )
        return override
    if gpu_names():
        return "mixed_float16"
    if keras.backend.backend() == "tensorflow" and cpu_has_bfloat16():
        return "mixed_bfloat16"
    return "float32"


def environment_report() -> dict[str, object]:
    """Describe the running environment: versions, backend, mode, data folder and GPUs.

    Returns:
        dict. Keys `python`, `keras`, `backend`, `quick`, `data_dir`, `gpus`, `in_colab`, and
        the version of each installed framework (`tensorflow`, `jax`, `torch`, `keras_hub`).
    """
    import importlib.metadata as md

    import keras

    report: dict[str, object] = {
        "python": platform.python_version(),
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "quick": is_quick(),
        "data_dir": str(data_dir()) if data_dir() else "(download into Keras' cache)",
        "gpus": gpu_names(),
        "in_colab": "COLAB_RELEASE_TAG" in os.environ,
    }
    for dist in ("tensorflow", "jax", "torch", "keras-hub"):
        try:
            report[dist.replace("-", "_")] = md.version(dist)
        except md.PackageNotFoundError:
            report[dist.replace("-", "_")] = None
    return report


def start(seed: int = 42) -> str:
    """Start a notebook: seed every generator, start the backend, and describe the setup.

    Starting the backend here (one tiny op) makes its start-up log lines appear in this cell
    rather than in the first cell that computes something.

    Args:
        seed: int ≥ 0. Passed to `keras.utils.set_random_seed` (Python, NumPy and backend RNGs).

    Returns:
        str. One line: versions, backend, device and mode.
    """
    import keras

    import lmkeras
    from lmkeras._checks import check_int

    check_int("seed", seed, 0)
    keras.utils.set_random_seed(seed)
    keras.ops.convert_to_numpy(keras.ops.ones((1,)) + 1)
    gpus = gpu_names()
    device = f"{len(gpus)} GPU(s)" if gpus else "CPU"
    mode = "quick" if is_quick() else "full"
    return (
        f"lmkeras {lmkeras.__version__} · keras {keras.__version__} · "
        f"{keras.backend.backend()} backend · {device} · {mode} mode · seed {seed}"
    )

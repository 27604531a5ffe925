"""The course corpora: tiny Shakespeare (text) and spa-eng (English–Spanish pairs).

Each corpus is one file with a known sha256. Online, the loaders download it once through
`keras.utils.get_file` into Keras' cache (`~/.keras/datasets`). Offline, `LMKERAS_DATA_DIR=DIR`
makes them read `DIR/shakespeare.txt` and `DIR/spa-eng.zip` and never touch the network. A file
whose sha256 differs is never used.

spa-eng is from the Tatoeba project (tatoeba.org, CC-BY 2.0) via www.manythings.org/anki.

The spa-eng split is fixed for the whole course (so every BLEU figure is on the same test set):
the pairs are grouped by their English sentence, the distinct English sentences are shuffled with
`numpy.random.default_rng(SPLIT_SEED)`, and the first 90% of them go to train, the next 5% to
validation and the last 5% to test. Grouping keeps every translation of one English sentence in
one part, so the test set never holds a sentence the model saw in training.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lmkeras import config
from lmkeras._checks import (
    check_float,
    check_int,
    check_pairs,
    check_path,
    check_str,
    check_type,
    describe,
)

SPLIT_SEED = 2026
SPLIT_FRACTIONS = (0.90, 0.05, 0.05)


@dataclass(frozen=True)
class Corpus:
    """Where a corpus comes from and how to recognise it.

    Args:
        filename: str. Name of the file in `LMKERAS_DATA_DIR` and in Keras' cache.
        url: str. Canonical download address.
        sha256: str. Hex digest of the exact bytes.
        license: str. License and attribution.
    """

    filename: str
    url: str
    sha256: str
    license: str


SHAKESPEARE = Corpus(
    filename="shakespeare.txt",
    url="https://storage.googleapis.com/download.tensorflow.org/data/shakespeare.txt",
    sha256="86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
    license="public-domain text (tiny Shakespeare, Karpathy's char-rnn)",
)
SPA_ENG = Corpus(
    filename="spa-eng.zip",
    url="http://storage.googleapis.com/download.tensorflow.org/data/spa-eng.zip",
    sha256="0c4fd7825d3d872488d38c157f784e035edab4f2ff0df25a2a208790ecb5b58f",
    license="CC-BY 2.0, www.manythings.org/anki and tatoeba.org",
)
CORPORA = {"shakespeare": SHAKESPEARE, "spa-eng": SPA_ENG}


class ChecksumError(ValueError):
    """A corpus file's sha256 differs from the one the course expects."""


def sha256_of(path: str | os.PathLike) -> str:
    """Hex sha256 digest of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(check_path("path", path), "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _verify(path: Path, corpus: Corpus) -> None:
    actual = sha256_of(path)
    if actual != corpus.sha256:
        raise ChecksumError(
            f"{path} has sha256 {actual}, but the course expects {corpus.sha256} for "
            f"{corpus.filename}. The file is damaged or a different version; it was not used. "
            f"Replace it with a fresh copy of {corpus.url}."
        )


def corpus_path(corpus: Corpus) -> Path:
    """Return a verified local path to `corpus`, downloading it only when no data folder is set.

    Args:
        corpus: Corpus. `SHAKESPEARE` or `SPA_ENG`.

    Returns:
        pathlib.Path to a file whose sha256 matches `corpus.sha256`.

    Raises:
        FileNotFoundError: `LMKERAS_DATA_DIR` is set but lacks the file (the message says where
            it looked, the variable, and the URL to fetch).
        ChecksumError: the file's sha256 differs (both hashes in the message). A mismatching
            download is deleted from Keras' cache so it is never used.
    """
    check_type("corpus", corpus, Corpus, "a Corpus (lmkeras.data.SHAKESPEARE or SPA_ENG)")
    folder = config.data_dir()
    if folder is not None:
        path = folder / corpus.filename
        if not path.is_file():
            raise FileNotFoundError(
                f"Looked for {corpus.filename} in {folder} because {config.DATA_DIR_ENV} is set, "
                f"and it is not there. Download {corpus.url} into that folder, or unset "
                f"{config.DATA_DIR_ENV} to download it into Keras' cache."
            )
        _verify(path, corpus)
        return path
    return _download(corpus)


def _download(corpus: Corpus) -> Path:
    import keras

    try:
        path = Path(
            keras.utils.get_file(
                fname=corpus.filename,
                origin=corpus.url,
                file_hash=corpus.sha256,
                hash_algorithm="sha256",
            )
        )
    except ValueError:
        # get_file raises on a bad hash but leaves the file in its cache; remove it so it is
        # never used, then report both hashes.
        cached = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets"
        bad = cached / corpus.filename
        if bad.is_file():
            actual = sha256_of(bad)
            bad.unlink()
            raise ChecksumError(
                f"The download of {corpus.url} has sha256 {actual}, but the course expects "
                f"{corpus.sha256}. It was deleted and not used; try again later, or fetch it "
                f"by hand into a folder and set {config.DATA_DIR_ENV} to that folder."
            ) from None
        raise
    except Exception as error:
        raise FileNotFoundError(
            f"Could not download {corpus.url} ({error}). Offline, put {corpus.filename} in a "
            f"folder and set {config.DATA_DIR_ENV} to it."
        ) from error
    _verify(path, corpus)
    return path


def load_shakespeare() -> str:
    """Load tiny Shakespeare as one string (1,115,394 characters, 65 distinct).

    Example:
    >>> load_shakespeare()[:14]
    'First Citizen:'
    """
    return corpus_path(SHAKESPEARE).read_text(encoding="utf-8")


def split_text(text: str, validation_fraction: float = 0.1) -> tuple[str, str]:
    """Split a text into a leading training part and a trailing validation part.

    Shakespeare's course split: the first 90% of the characters train, the last 10% validate,
    so validation text is unseen and contiguous.

    Args:
        text: str. The corpus.
        validation_fraction: float in (0, 1). Defaults to `0.1`.

    Returns:
        (train_text, validation_text).

    Example:
    >>> split_text("abcdefghij", 0.2)
    ('abcdefgh', 'ij')
    """
    check_str("text", text)
    check_float("validation_fraction", validation_fraction, 0.0, 1.0, low_open=True, high_open=True)
    cut = int(round(len(text) * (1.0 - validation_fraction)))
    if cut in (0, len(text)):
        raise ValueError(
            f"`text` of {len(text)} characters is too short to split with "
            f"validation_fraction={validation_fraction}."
        )
    return text[:cut], text[cut:]


def parse_pairs(lines: str, source: str = "spa.txt") -> list[tuple[str, str]]:
    """Parse `English<TAB>Spanish` lines into pairs, reporting any malformed line by number.

    Args:
        lines: str. The file's text. Each non-empty line holds an English sentence, a tab and
            its Spanish translation; further tab-separated fields (attribution) are ignored.
        source: str. Name used in error messages. Defaults to `"spa.txt"`.

    Returns:
        list of (english, spanish) tuples, in file order.

    Raises:
        ValueError: for a line without a tab or with an empty side; the message gives the line
            number (1-based) and the line.

    Example:
    >>> parse_pairs("Go.\\tVe.\\nHi.\\tHola.\\n")
    [('Go.', 'Ve.'), ('Hi.', 'Hola.')]
    """
    pairs = []
    for number, line in enumerate(check_str("lines", lines, allow_empty=True).splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) < 2 or not fields[0].strip() or not fields[1].strip():
            raise ValueError(f"{source} line {number} is not 'English<TAB>Spanish': {line!r}.")
        pairs.append((fields[0].strip(), fields[1].strip()))
    return pairs


def load_spa_eng() -> list[tuple[str, str]]:
    """Load all 118,964 (English, Spanish) pairs of spa-eng (Tatoeba, CC-BY 2.0), in file order."""
    with zipfile.ZipFile(corpus_path(SPA_ENG)) as archive:
        raw = archive.read("spa-eng/spa.txt")
    return parse_pairs(io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8").read())


@dataclass(frozen=True)
class PairSplit:
    """The fixed train/validation/test parts of a list of pairs."""

    train: list[tuple[str, str]]
    validation: list[tuple[str, str]]
    test: list[tuple[str, str]]


def split_pairs(
    pairs: list[tuple[str, str]],
    fractions: tuple[float, float, float] = SPLIT_FRACTIONS,
    seed: int = SPLIT_SEED,
) -> PairSplit:
    """Split pairs into train/validation/test by source sentence (see the module docstring).

    Args:
        pairs: list of (source, target) tuples.
        fractions: three positive floats summing to 1. Defaults to `(0.90, 0.05, 0.05)`.
        seed: int. Shuffle seed. Defaults to `2026`.

    Returns:
        PairSplit. Each part keeps the pairs' original order.

    Example:
    >>> parts = split_pairs([(str(i), "x") for i in range(20)], (0.5, 0.25, 0.25))
    >>> [len(parts.train), len(parts.validation), len(parts.test)]
    [10, 5, 5]
    """
    pairs = check_pairs("pairs", pairs, allow_empty=True)
    check_int("seed", seed, 0)
    numbers = (int, float, np.integer, np.floating)
    if not isinstance(fractions, (tuple, list)) or not all(
        isinstance(f, numbers) and not isinstance(f, bool) for f in fractions
    ):
        raise TypeError(
            f"`fractions` must be three numbers; received fractions={describe(fractions)}."
        )
    if (
        len(fractions) != 3
        or not all(math.isfinite(f) and f > 0 for f in fractions)
        or abs(sum(fractions) - 1.0) > 1e-9
    ):
        raise ValueError(
            f"`fractions` must be three positive numbers summing to 1; received {fractions!r}."
        )
    sources = sorted({source for source, _ in pairs})
    if len(sources) < 3:
        raise ValueError(
            f"`pairs` must hold at least 3 distinct source sentences to split; received "
            f"{len(sources)}."
        )
    order = np.random.default_rng(seed).permutation(len(sources))
    n_train = int(round(fractions[0] * len(sources)))
    n_validation = int(round(fractions[1] * len(sources)))
    part_of = {}
    for rank, index in enumerate(order):
        part_of[sources[index]] = 0 if rank < n_train else 1 if rank < n_train + n_validation else 2
    parts: tuple[list, list, list] = ([], [], [])
    for pair in pairs:
        parts[part_of[pair[0]]].append(pair)
    return PairSplit(*parts)


def load_spa_eng_split() -> PairSplit:
    """The course's fixed split of spa-eng: `split_pairs(load_spa_eng())`."""
    return split_pairs(load_spa_eng())


def download_all(folder: str | os.PathLike) -> list[Path]:
    """Download every corpus (sha256-checked) into `folder`, for later offline use.

    Use it once online, then set `LMKERAS_DATA_DIR=folder`.
    """
    import shutil

    target = check_path("folder", folder)
    target.mkdir(parents=True, exist_ok=True)
    saved = []
    for corpus in CORPORA.values():
        destination = target / corpus.filename
        if not (destination.is_file() and sha256_of(destination) == corpus.sha256):
            shutil.copyfile(_download(corpus), destination)
        saved.append(destination)
    return saved


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 3 or sys.argv[1] != "download":
        sys.exit("usage: python -m lmkeras.data download FOLDER")
    for saved_path in download_all(sys.argv[2]):
        print(saved_path)

"""What the bad-input tables share (issue 16): a row, and the check that runs it.

Each `tests/test_bad_inputs_<area>.py` and `tests/<folder>/test_<module>_bad_inputs.py` holds
tables of rows `bad(target, call, error, *words)`: `call()` passes one bad value to `target` (a
public function or class of lmkeras), which must raise `error` (the one rule: a wrong *type* is
a `TypeError`, a right type with an unusable value a `ValueError`) with a message holding every
one of `words`: the parameter's name, the value received and what was expected.
`tests/test_bad_inputs_coverage.py` checks that every public function and class is the target
of some row.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest


@dataclass(frozen=True)
class Bad:
    """One bad input: `call()` must raise `error` with every one of `words` in its message."""

    target: Any
    call: Callable[[], Any]
    error: type[BaseException]
    words: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.target.__qualname__}:{'|'.join(self.words)}"[:100]


def bad(target: Any, call: Callable[[], Any], error: type[BaseException], *words: str) -> Bad:
    assert words, "a row names the words its message must hold"
    return Bad(target, call, error, words)


def qualified_name(obj: Any) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


def table(rows: list[Bad]) -> Any:
    """`@table(ROWS)`: parametrize a test over the rows, one test id per row."""
    return pytest.mark.parametrize("row", rows, ids=[row.id for row in rows])


def check_refused(row: Bad) -> str:
    """Run the row; fail unless it raised `row.error` with every word. Returns the message."""
    try:
        row.call()
    except row.error as error:
        message = str(error)
        missing = [word for word in row.words if word not in message]
        assert not missing, f"{type(error).__name__} lacks {missing} in its message: {message}"
        return message
    pytest.fail(f"accepted silently: expected {row.error.__name__} naming {row.words}")


def outcome(row: Bad) -> tuple[str, str]:
    """ "clear", "unclear" or "silent", and what happened (for the before/after counts)."""
    try:
        row.call()
    except Exception as error:  # noqa: BLE001 (any exception is an outcome here)
        message = str(error)
        if isinstance(error, row.error) and all(word in message for word in row.words):
            return "clear", message
        return "unclear", f"{type(error).__name__}: {message}"[:300]
    return "silent", "no error"


@contextlib.contextmanager
def environment(**values: str | None) -> Iterator[None]:
    """Set (or, with None, unset) environment variables for the duration of a call."""
    saved = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def with_environment(call: Callable[[], Any], **values: str | None) -> Callable[[], Any]:
    """`call` run with the environment variables `values` set."""

    def run() -> Any:
        with environment(**values):
            return call()

    return run


@functools.cache
def empty_folder() -> str:
    """One empty folder per test session, to point LMKERAS_DATA_DIR at."""
    return tempfile.mkdtemp(prefix="lmkeras-empty-")


def offline(call: Callable[[], Any], folder: str | None = None) -> Callable[[], Any]:
    """`call` with LMKERAS_DATA_DIR pointing at `folder` (an empty one by default): a refusal
    must come before any corpus is read."""
    return lambda: with_environment(call, LMKERAS_DATA_DIR=folder or empty_folder())()

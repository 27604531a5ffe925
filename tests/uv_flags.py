"""Print pip's configuration as uv's flags, one per line, for tests/run.sh.

uv installs the test environments about four times faster than pip here (49 s against ~220 s
for `.venv`, 2026-12-03), but it does not read pip's configuration files or `PIP_*` variables.
A machine whose pip is set up with extra indexes, local wheels (`find-links`) or constraints
(the course's CI machines hold PyTorch's CPU wheel that way) would get different packages from
uv, so this passes those settings on: `python tests/uv_flags.py` prints `--find-links DIR`,
`--extra-index-url URL`, `--index-url URL` and `--constraint FILE` lines, and `SSL_CERT_FILE=...`
for pip's `cert`. Settings this does not translate are named on stderr.
"""

from __future__ import annotations

import ast
import contextlib
import subprocess
import sys

FLAGS = {
    "find-links": "--find-links",
    "extra-index-url": "--extra-index-url",
    "index-url": "--index-url",
    "constraint": "--constraint",
}
# Settings that change nothing uv installs here (or that uv sets its own way).
HARMLESS = {"default-timeout", "disable-pip-version-check", "timeout", "no-input",
            "progress-bar", "quiet", "root-user-action"}  # fmt: skip


def pip_settings(listing: str) -> list[tuple[str, str]]:
    """`(name, value)` pairs of `pip config list` output, environment variables first.

    Example:
    >>> pip_settings("global.find-links='/opt/wheels'\\n:env:.cert='/etc/ca.crt'")
    [('cert', '/etc/ca.crt'), ('find-links', '/opt/wheels')]
    """
    pairs = []
    for line in listing.splitlines():
        key, sep, value = line.partition("=")
        if not sep:
            continue
        origin, _, name = key.rpartition(".")
        with contextlib.suppress(ValueError, SyntaxError):
            value = ast.literal_eval(value)
        pairs.append((origin != ":env:", name, str(value)))
    return [(name, value) for _, name, value in sorted(pairs, key=lambda pair: pair[0])]


def uv_flags(settings: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """uv's flags for pip's settings, and the names of the settings left out.

    Example:
    >>> uv_flags([("extra-index-url", "file:///a file:///b"), ("cert", "/ca.crt"), ("user", "1")])
    (['--extra-index-url', 'file:///a', '--extra-index-url', 'file:///b', 'SSL_CERT_FILE=/ca.crt'], ['user'])
    """  # noqa: E501 (a doctest's output is one line)
    flags, seen, left_out = [], set(), []
    for name, value in settings:
        if name in ("cert", "index-url"):  # one value: the environment's, else the file's
            if name not in seen:
                flags += [f"SSL_CERT_FILE={value}"] if name == "cert" else [FLAGS[name], value]
            seen.add(name)
        elif name in FLAGS:
            for item in value.split():
                if (name, item) not in seen:
                    flags += [FLAGS[name], item]
                    seen.add((name, item))
        elif name not in HARMLESS:
            left_out.append(name)
    return flags, left_out


if __name__ == "__main__":
    listing = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True, check=True
    ).stdout
    flags, left_out = uv_flags(pip_settings(listing))
    if left_out:
        print(f"uv_flags.py: pip settings not passed to uv: {', '.join(left_out)}", file=sys.stderr)
    print("\n".join(flags))

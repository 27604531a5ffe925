"""Loading what older versions of lmkeras saved: renamed configuration keys."""

from __future__ import annotations

# lmkeras 0.1 spelled vocabulary sizes `*_vocab_size`; `.keras` files keep the old keys.
RENAMED_KEYS = {
    "source_vocab_size": "source_vocabulary_size",
    "target_vocab_size": "target_vocabulary_size",
    "vocab_size": "vocabulary_size",
}


def renamed_config_keys(config: dict) -> dict:
    """`config` with keys saved under an old name moved to the current one.

    Example:
    >>> renamed_config_keys({"source_vocab_size": 5, "units": 8})
    {'units': 8, 'source_vocabulary_size': 5}
    """
    config = dict(config)
    for old, new in RENAMED_KEYS.items():
        if old in config:
            config[new] = config.pop(old)
    return config

import pytest

from lmkeras import config


@pytest.mark.parametrize(
    "value, expected", [("1", True), ("true", True), ("0", False), ("", False)]
)
def test_is_quick_reads_the_variable(monkeypatch, value, expected):
    monkeypatch.setenv("LMKERAS_QUICK", value)
    assert config.is_quick() is expected
    assert config.pick(quick="q", full="f") == ("q" if expected else "f")


def test_is_quick_rejects_a_typo(monkeypatch):
    monkeypatch.setenv("LMKERAS_QUICK", "yse")
    with pytest.raises(ValueError, match="LMKERAS_QUICK='yse'"):
        config.is_quick()


def test_training_precision_can_be_overridden(monkeypatch):
    monkeypatch.setenv("LMKERAS_PRECISION", "float32")
    assert config.training_precision() == "float32"
    monkeypatch.setenv("LMKERAS_PRECISION", "mixed_bfloat16")
    assert config.training_precision() == "mixed_bfloat16"
    monkeypatch.setenv("LMKERAS_PRECISION", "bf16")
    with pytest.raises(ValueError, match="LMKERAS_PRECISION='bf16'"):
        config.training_precision()


def test_data_dir_unset_and_missing(monkeypatch, tmp_path):
    monkeypatch.delenv("LMKERAS_DATA_DIR", raising=False)
    assert config.data_dir() is None
    monkeypatch.setenv("LMKERAS_DATA_DIR", str(tmp_path / "nope"))
    with pytest.raises(NotADirectoryError, match="nope"):
        config.data_dir()


def test_environment_report_names_the_backend():
    report = config.environment_report()
    import keras

    assert report["backend"] == keras.backend.backend()
    assert report["keras"] == keras.__version__
    assert isinstance(report["gpus"], list)

import hashlib
import shutil
import zipfile

import pytest

from lmkeras import data


def test_shakespeare_loads_offline(data_dir):
    text = data.load_shakespeare()
    assert len(text) == 1_115_394
    assert len(set(text)) == 65
    assert text.startswith("First Citizen:")


def test_spa_eng_pairs_and_fixed_split(data_dir):
    pairs = data.load_spa_eng()
    assert len(pairs) == 118_964
    assert pairs[0] == ("Go.", "Ve.")
    split = data.load_spa_eng_split()
    sizes = [len(split.train), len(split.validation), len(split.test)]
    assert sum(sizes) == len(pairs)
    # The split is part of the course's contract: these numbers must never drift.
    assert sizes == [107_141, 5_930, 5_893]
    assert split.test[:2] == [("Run.", "Corred."), ("Help!", "¡Ayuda!")]
    train_sources = {e for e, _ in split.train}
    assert not train_sources & {e for e, _ in split.test}
    assert not train_sources & {e for e, _ in split.validation}


def test_split_pairs_is_deterministic_and_grouped():
    pairs = [(f"s{i % 30}", f"t{i}") for i in range(90)]
    first, second = data.split_pairs(pairs), data.split_pairs(pairs)
    assert first == second
    assert {s for s, _ in first.train}.isdisjoint({s for s, _ in first.test})
    assert data.split_pairs(pairs, seed=1) != first


@pytest.mark.parametrize("fractions", [(0.5, 0.5), (0.8, 0.1, 0.2), (1.0, 0.0, 0.0)])
def test_split_pairs_rejects_bad_fractions(fractions):
    with pytest.raises(ValueError, match="fractions"):
        data.split_pairs([("a", "b"), ("c", "d"), ("e", "f")], fractions)


def test_missing_file_says_where_it_looked(monkeypatch, tmp_path):
    monkeypatch.setenv("LMKERAS_DATA_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError) as error:
        data.load_shakespeare()
    message = str(error.value)
    assert str(tmp_path) in message
    assert "LMKERAS_DATA_DIR" in message
    assert data.SHAKESPEARE.url in message


def test_wrong_checksum_reports_both_hashes(monkeypatch, tmp_path):
    bad = tmp_path / "shakespeare.txt"
    bad.write_text("not shakespeare")
    monkeypatch.setenv("LMKERAS_DATA_DIR", str(tmp_path))
    with pytest.raises(data.ChecksumError) as error:
        data.load_shakespeare()
    actual = hashlib.sha256(b"not shakespeare").hexdigest()
    assert actual in str(error.value)
    assert data.SHAKESPEARE.sha256 in str(error.value)


def test_download_path_deletes_a_mismatching_file(monkeypatch, tmp_path):
    """Online path: a corrupt download must be removed from Keras' cache, never used."""
    import keras

    monkeypatch.delenv("LMKERAS_DATA_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    cached = tmp_path / "datasets" / "shakespeare.txt"

    def fake_get_file(fname, origin, file_hash, hash_algorithm):
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text("corrupt")
        raise ValueError("Incomplete or corrupted file detected.")

    monkeypatch.setattr(keras.utils, "get_file", fake_get_file)
    with pytest.raises(data.ChecksumError, match=data.SHAKESPEARE.sha256):
        data.load_shakespeare()
    assert not cached.exists()


def test_download_path_uses_get_file_with_the_hash(monkeypatch, tmp_path, data_dir):
    import keras

    monkeypatch.delenv("LMKERAS_DATA_DIR", raising=False)
    calls = []

    def fake_get_file(fname, origin, file_hash, hash_algorithm):
        calls.append((fname, origin, file_hash, hash_algorithm))
        target = tmp_path / fname
        shutil.copyfile(f"{data_dir}/{fname}", target)
        return str(target)

    monkeypatch.setattr(keras.utils, "get_file", fake_get_file)
    assert data.load_shakespeare().startswith("First Citizen:")
    assert calls == [("shakespeare.txt", data.SHAKESPEARE.url, data.SHAKESPEARE.sha256, "sha256")]


def test_malformed_pair_line_is_reported_by_number():
    with pytest.raises(ValueError, match=r"line 2 .*'no tab here'"):
        data.parse_pairs("Go.\tVe.\nno tab here\nHi.\tHola.\n")
    with pytest.raises(ValueError, match="line 1"):
        data.parse_pairs("\tempty English\n")


def test_malformed_line_inside_the_zip_is_reported(monkeypatch, tmp_path):
    archive = tmp_path / "spa-eng.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("spa-eng/spa.txt", "Go.\tVe.\nbroken\n")
    monkeypatch.setattr(data, "corpus_path", lambda corpus: archive)
    with pytest.raises(ValueError, match="line 2"):
        data.load_spa_eng()


def test_split_text():
    train, validation = data.split_text("abcdefghij", 0.1)
    assert (train, validation) == ("abcdefghi", "j")
    with pytest.raises(ValueError, match="non-empty"):
        data.split_text("")
    with pytest.raises(ValueError, match="validation_fraction"):
        data.split_text("abc", 1.5)


def test_download_all_copies_verified_files(monkeypatch, tmp_path, data_dir):
    monkeypatch.setattr(data, "_download", lambda corpus: data.corpus_path(corpus))
    saved = data.download_all(tmp_path / "corpora")
    assert [p.name for p in saved] == ["shakespeare.txt", "spa-eng.zip"]
    assert all(data.sha256_of(p) == c.sha256 for p, c in zip(saved, data.CORPORA.values()))

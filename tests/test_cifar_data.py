"""CIFAR-10 files: loading both key styles, refusing damaged or hostile files with one-line
errors, the offline message, and the model file round trip. All data is generated here, in
the official layout; nothing touches the network."""

import pickle
import urllib.error
import warnings

import pytest
import torch
import torchvision.datasets.utils

from workbench.cifar import data as cifar_data
from workbench.cifar.data import FOLDER, Split, UnofficialDataWarning, write_folder
from workbench.cifar.net import load_model, make_net, save_model
from workbench.errors import DataError


def random_split(n: int, seed: int) -> Split:
    g = torch.Generator().manual_seed(seed)
    return Split(torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, generator=g),
                 torch.randint(0, 10, (n,), generator=g))


def make_folder(root, byte_keys=True, n_train=50, n_test=20):
    train, test = random_split(n_train, 0), random_split(n_test, 1)
    return write_folder(root / FOLDER, train, test, byte_keys=byte_keys), train, test


def load_quietly(root):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnofficialDataWarning)
        return cifar_data.load(root, download=False)


def one_line(exc: Exception) -> str:
    message = str(exc)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("byte_keys", [True, False], ids=["bytes-keys", "str-keys"])
def test_loads_official_layout_with_either_key_style(tmp_path, byte_keys):
    folder, train, test = make_folder(tmp_path, byte_keys)
    with pytest.warns(UnofficialDataWarning, match="not the official CIFAR-10 archive"):
        data = cifar_data.load(tmp_path, download=False)
    assert data.train.images.dtype == torch.uint8
    assert data.train.images.shape == (50, 3, 32, 32)
    assert torch.equal(data.train.images, train.images)
    assert torch.equal(data.train.labels, train.labels)
    assert torch.equal(data.test.images, test.images)
    assert data.classes[0] == "airplane" and data.classes[-1] == "truck"
    assert data.folder == folder and not data.official


def test_accepts_the_batches_folder_itself(tmp_path):
    folder, _, _ = make_folder(tmp_path)
    assert load_quietly(folder).folder == folder


def test_pixels_are_channel_planar_rows(tmp_path):
    """data[i] holds R (1024 values, row-major), then G, then B."""
    folder, _, _ = make_folder(tmp_path)
    row = pickle.loads((folder / "data_batch_1").read_bytes(), encoding="bytes")[b"data"][0]
    image = load_quietly(tmp_path).train.images[0]
    assert int(image[1, 2, 3]) == int(row[1024 + 2 * 32 + 3])


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_damaged_batch_is_a_one_line_data_error(tmp_path, damage):
    folder, _, _ = make_folder(tmp_path)
    path = folder / "data_batch_3"
    raw = path.read_bytes()
    path.write_bytes({"truncate": raw[: len(raw) // 2], "garbage": b"\x00\xffnot a pickle" * 9,
                      "empty": b""}[damage])
    with pytest.raises(DataError) as info:
        load_quietly(tmp_path)
    assert "data_batch_3" in one_line(info.value)
    assert "truncated or corrupt" in str(info.value)


@pytest.mark.parametrize("batch, expected", [
    ({b"data": torch.zeros(3, 100, dtype=torch.uint8).numpy(), b"labels": [0, 1, 2]}, "3072"),
    ({b"data": torch.zeros(2, 3072, dtype=torch.uint8).numpy(), b"labels": [0, 10]}, "0..9"),
    ({b"data": torch.zeros(2, 3072).numpy(), b"labels": [0, 1]}, "uint8"),
    ({b"pixels": 1}, "expected keys"),
    ([1, 2, 3], "expected a pickled dict"),
])
def test_malformed_batch_is_refused(tmp_path, batch, expected):
    folder, _, _ = make_folder(tmp_path)
    (folder / "test_batch").write_bytes(pickle.dumps(batch, protocol=2))
    with pytest.raises(DataError, match=expected) as info:
        load_quietly(tmp_path)
    assert "test_batch" in one_line(info.value)


def test_missing_batch_is_named(tmp_path):
    folder, _, _ = make_folder(tmp_path)
    (folder / "data_batch_5").unlink()
    with pytest.raises(DataError, match="lacks data_batch_5"):
        load_quietly(tmp_path)


class _RunsCode:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_pickle_that_would_run_code_is_refused(tmp_path, capsys):
    folder, _, _ = make_folder(tmp_path)
    (folder / "data_batch_2").write_bytes(pickle.dumps({b"data": _RunsCode()}, protocol=2))
    with pytest.raises(DataError, match=r"refusing to load (__builtin__|builtins)\.print"):
        load_quietly(tmp_path)
    assert "must never run" not in capsys.readouterr().out


def test_missing_folder_offline_says_where_to_put_the_archive(tmp_path, monkeypatch):
    calls = []

    def offline(url, **kwargs):
        calls.append((url, kwargs))
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(torchvision.datasets.utils, "download_and_extract_archive", offline)
    root = tmp_path / "nothing-here"
    with pytest.raises(DataError) as info:
        cifar_data.load(root)
    message = one_line(info.value)
    assert "download failed" in message and cifar_data.ARCHIVE_URL in message
    assert str(root / FOLDER / "data_batch_1") in message
    assert calls and calls[0][1]["md5"] == cifar_data.ARCHIVE_MD5


def test_download_is_extracted_then_loaded(tmp_path, monkeypatch):
    def fake_download(url, download_root, md5):
        make_folder(tmp_path / "root")

    monkeypatch.setattr(torchvision.datasets.utils, "download_and_extract_archive", fake_download)
    with pytest.warns(UnofficialDataWarning):
        data = cifar_data.load(tmp_path / "root")
    assert len(data.train) == 50


def test_no_download_when_told_not_to(tmp_path):
    with pytest.raises(DataError, match="no CIFAR-10 folder"):
        cifar_data.load(tmp_path, download=False)


def test_model_round_trip_with_weights_only(tmp_path):
    net = make_net(seed=3)
    save_model(net, tmp_path / "notre_model.torch")
    state = torch.load(tmp_path / "notre_model.torch", weights_only=True)
    assert set(state) == set(net.state_dict())
    loaded = load_model(tmp_path / "notre_model.torch")
    x = torch.randn(2, 3, 32, 32)
    assert torch.equal(loaded(x), net(x))


def test_model_file_that_is_not_weights_is_refused(tmp_path):
    path = tmp_path / "notre_model.torch"
    path.write_bytes(pickle.dumps(_RunsCode()))
    with pytest.raises(DataError, match="not a readable torch file") as info:
        load_model(path)
    one_line(info.value)
    torch.save({"fc9.weight": torch.zeros(1)}, path)
    with pytest.raises(DataError, match="not a state_dict of the course's Net"):
        load_model(path)

"""``workbench train`` and ``workbench evaluate``: help, bad arguments (exit 2, one line),
the offline message, a tiny run and its evaluation."""

import json
import urllib.error

import pytest
import torch
import torchvision.datasets.utils

from workbench import cli
from workbench.cifar.data import FOLDER, Split, write_folder


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    g = torch.Generator().manual_seed(0)
    split = Split(torch.randint(0, 256, (40, 3, 32, 32), dtype=torch.uint8, generator=g),
                  torch.arange(40) % 10)
    root = tmp_path_factory.mktemp("cifar")
    write_folder(root / FOLDER, split, split)
    return root


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("verb", ["train", "evaluate"])
def test_help(capsys, verb):
    with pytest.raises(SystemExit) as info:
        cli.main([verb, "--help"])
    assert info.value.code == 0
    assert "--data" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [
    ["train", "--recipe", "slow"],
    ["train", "--epochs", "two"],
    ["train", "--frobnicate"],
    ["evaluate"],
])
def test_bad_argument_exits_2(capsys, argv):
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    assert "error:" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["--epochs", "0"], "--epochs: must be a positive integer, got 0"),
    (["--lr", "-1"], "--lr: must be a positive finite number"),
    (["--lr", "inf"], "--lr: must be a positive finite number, got inf"),
    (["--limit", "0"], "--limit: must be at least 1"),
    (["--oracle", "derivd"], "--oracle: unknown oracle 'derivd'"),
])
def test_bad_value_is_one_line_exit_2(capsys, data_root, tmp_path, argv, message):
    code, _, err = run(capsys, "train", "--data", str(data_root), "-o", str(tmp_path),
                       "--no-gallery", *argv)
    assert code == 2
    [line] = err.strip().splitlines()
    assert line.startswith(f"workbench: error: {message}")


def test_missing_data_offline_is_one_line_exit_2(capsys, tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(torchvision.datasets.utils, "download_and_extract_archive", offline)
    code, _, err = run(capsys, "train", "--data", str(tmp_path / "data"), "--no-gallery")
    assert code == 2
    [line] = err.strip().splitlines()
    assert line.startswith("workbench: error: CIFAR-10 is not in ")
    assert "cifar-10-python.tar.gz" in line


def test_train_then_evaluate(capsys, data_root, tmp_path):
    run_dir = tmp_path / "run"
    code, out, err = run(capsys, "train", "--data", str(data_root), "--epochs", "1",
                         "--limit", "20", "-o", str(run_dir), "--no-gallery",
                         "--check-every", "2", "--device", "cpu")
    assert code == 0, err
    assert "not the official CIFAR-10 archive" in err
    assert out.startswith("test accuracy ")
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["gradient_checks"] == 3 and metrics["train_images"] == 20

    code, out, _ = run(capsys, "evaluate", str(run_dir), "--data", str(data_root), "--json")
    assert code == 0
    report = json.loads(out)
    assert report["test_accuracy"] == pytest.approx(metrics["test_accuracy"])
    assert report["test_images"] == metrics["test_images"] == 40
    code, out, _ = run(capsys, "evaluate", str(run_dir / "notre_model.torch"), "--data",
                       str(data_root))
    assert code == 0 and "airplane" in out


def test_evaluate_a_folder_without_model(capsys, data_root, tmp_path):
    code, _, err = run(capsys, "evaluate", str(tmp_path), "--data", str(data_root))
    assert code == 2
    assert "no notre_model.torch in this folder" in err

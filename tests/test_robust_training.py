"""Bad input to ``momentum``, ``train`` and ``evaluate`` is one line and exit code 2, before
any work; diverging numbers are reported or fail clearly, never crash or pass as success; and
registering these verbs imports nothing heavy."""

import copy
import json
import pickle
import shutil
import subprocess
import sys
import warnings

import pytest
import torch

from workbench.cifar import oracle as cifar_oracle
from workbench.cifar.command import EXIT_DIVERGED
from workbench.cifar.data import FOLDER, Split, UnofficialDataWarning, load, write_folder
from workbench.cifar.net import make_net
from workbench.cifar.oracle import make_oracle
from workbench.cifar.recipes import RECIPES
from workbench.cifar.train import TrainConfig, TrainingDiverged, train
from workbench.cli import main
from workbench.oracles import Evaluation, GradientOracle

HEAVY = ("torch", "sympy", "matplotlib", "numpy")


def test_registering_the_verbs_imports_no_heavy_module():
    """``workbench --help`` must not pay for torch, SymPy or matplotlib (seconds)."""
    code = ("import argparse, sys\n"
            "import workbench.momentum.command as m, workbench.cifar.command as c\n"
            "sub = argparse.ArgumentParser().add_subparsers()\n"
            "m.register(sub); c.register(sub)\n"
            "for verb in ('momentum', 'train', 'evaluate'):\n"
            "    sub.choices[verb].format_help()\n"
            f"print(sorted(h for h in {HEAVY!r} if h in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip() == "[]"


# --- momentum: diverging runs are drawn and reported; seeds out of range are bad input -------

DIVERGING = ["--seed", "1", "--grid", "4", "--ill-kappa", "0", "--no-gallery"]
"""Seed 1: the course's lr 1.0 diverges with and without its momentum 0.3 (rates 4.57, 4.94);
over 200 iterations their loss reaches 1e275, which a log axis could not draw."""


def test_diverging_runs_are_plotted_and_reported(tmp_path, capsys):
    code = main(["momentum", *DIVERGING, "-o", str(tmp_path), "--json"])
    assert code == 0, capsys.readouterr().err
    [analysis] = json.loads(capsys.readouterr().out)["analyses"]
    diverging = ["course: momentum 0.3, lr 1.0", "lr 1.0 without momentum"]
    assert analysis["diverged_runs"] == diverging
    assert [r["name"] for r in analysis["runs"] if r["diverged"]] == diverging
    assert (tmp_path / "loss_curves_course.png").read_bytes()[:4] == b"\x89PNG"
    answer = (tmp_path / "answer.md").read_text()
    assert answer.count("(diverges)") == 2


def test_text_output_names_the_diverging_runs(tmp_path, capsys):
    assert main(["momentum", *DIVERGING, "-o", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    [line] = [x for x in out.splitlines() if x.strip().startswith("diverged")]
    assert line.endswith(": course: momentum 0.3, lr 1.0; lr 1.0 without momentum")
    assert out.count("(diverges)") == 2


def test_the_loss_axis_stops_near_the_start_when_a_run_diverges(monkeypatch):
    """Seed 0: lr 1.0 without momentum diverges (rate 1.22) to 1e33 in 200 iterations; the
    course's plot stays within a few decades of the starting loss."""
    from workbench.momentum import analyse, figures, make_oracle
    from workbench.momentum.problem import LeastSquareData

    drawn = []
    monkeypatch.setattr(figures, "encode", lambda fig, **kw: drawn.append(fig) or b"")
    a = analyse(LeastSquareData.generate(seed=0), make_oracle("symbolic"), "course", 200, 2,
                progress=False)
    assert [r.name for r in a.runs if r.diverged] == ["lr 1.0 without momentum"]
    figures.loss_curves(a)
    [left, right] = drawn[0].axes
    start = max(float(r.losses[0]) for r in a.runs)
    assert left.get_ylim()[1] <= 3 * figures.CEILING * start
    assert right.get_ylim()[1] <= 3 * figures.CEILING * start


@pytest.mark.parametrize("seed", ["-1", str(2**70), str(2**32)])
def test_momentum_seed_out_of_range_is_one_line_exit_2(tmp_path, capsys, seed):
    code = main(["momentum", "--seed", seed, "--grid", "4", "--iterations", "20",
                 "--no-gallery", "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith(f"workbench: error: --seed: must be an integer from 0 to 4294967295, "
                          f"got {seed}")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("seed", ["-1", str(2**70), str(2**32)])
def test_train_seed_out_of_range_is_one_line_exit_2(tmp_path, capsys, seed):
    code = main(["train", "--seed", seed, "--data", str(tmp_path / "absent"), "--no-gallery",
                 "-o", str(tmp_path / "run"), "--device", "cpu"])
    err = capsys.readouterr().err
    assert code == 2
    assert err == f"workbench: error: --seed: must be an integer from 0 to 4294967295, got {seed}\n"
    assert not (tmp_path / "run").exists() and not (tmp_path / "absent").exists()


# --- train: labels and checkpoints are checked; a loss that stops being finite fails -------

@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    g = torch.Generator().manual_seed(0)
    split = Split(torch.randint(0, 256, (40, 3, 32, 32), dtype=torch.uint8, generator=g),
                  torch.arange(40) % 10)
    root = tmp_path_factory.mktemp("cifar")
    write_folder(root / FOLDER, split, split)
    return root


def train_cli(capsys, *argv):
    """``workbench train`` on the CPU without gallery or progress bar: (exit code, the lines of
    stderr that are not the note about unofficial data)."""
    code = main(["train", "--device", "cpu", "--no-gallery", "--no-progress", *argv])
    err = capsys.readouterr().err.splitlines()
    return code, [line for line in err if "not the official CIFAR-10 archive" not in line]


@pytest.mark.parametrize("labels, found", [
    ([str(i % 10) for i in range(8)], "str '0'"),        # was read as the integers 0..9
    (["cat"] * 8, "str 'cat'"),                          # was a ValueError: exit 3
    ([float(i % 10) for i in range(8)], "float 0.0"),
    ([2**70] * 8, "int 1180591620717411303424"),
])
def test_labels_that_are_not_integers_are_one_line_naming_the_file(capsys, data_root, tmp_path,
                                                                   labels, found):
    folder = tmp_path / FOLDER
    shutil.copytree(data_root / FOLDER, folder)
    batch = pickle.loads((folder / "data_batch_1").read_bytes(), encoding="bytes")
    batch[b"labels"] = labels
    (folder / "data_batch_1").write_bytes(pickle.dumps(batch, protocol=2))
    code, err = train_cli(capsys, "--data", str(tmp_path), "-o", str(tmp_path / "run"))
    assert code == 2
    assert err == [f"workbench: error: {folder / 'data_batch_1'}: 'labels' must be a list of "
                   f"integers in 0..9, found {found}"]


@pytest.fixture(scope="module")
def finished_run(data_root, tmp_path_factory):
    run = tmp_path_factory.mktemp("run")
    assert main(["train", "--data", str(data_root), "--epochs", "1", "--limit", "8",
                 "--device", "cpu", "--no-gallery", "--no-progress", "-o", str(run)]) == 0
    return torch.load(run / "checkpoint.pt", weights_only=True)


def _set(*keys_and_value):
    """A change of a checkpoint: ``_set("history", "images_seen", -5)``."""
    *parents, last, value = keys_and_value

    def change(state):
        for key in parents:
            state = state[key]
        state[last] = value
    return change


def _drop(field):
    return lambda state: state.pop(field)


@pytest.mark.parametrize("change, field, message", [
    (_set("epoch", -3), "epoch", "must be an integer from 1 to 1 (the epochs of the run), "
                                 "got -3"),
    (_set("epoch", 10**9), "epoch", "must be an integer from 1 to 1"),
    (_set("epoch", 1e9), "epoch", "must be an integer from 1 to 1"),
    (_set("epoch", "1"), "epoch", "must be an integer from 1 to 1 (the epochs of the run), "
                                  "got '1'"),
    (_drop("epoch"), "epoch", "missing"),
    (_drop("velocity"), "velocity", "missing"),
    (_set("config", "seed"), "config", "expected the run's settings with a recipe, found str"),
    (_set("config", "recipe", "epochs", "two"), "config.recipe.epochs",
     "must be a positive integer"),
    (_set("model", {"a": torch.zeros(2)}), "model", "not a state_dict of the course's Net"),
    (_set("model", "fc3.bias", torch.zeros(3)), "model.fc3.bias",
     "expected a floating-point tensor of shape (10,), found float32 (3,)"),
    (_set("model", "fc3.bias", torch.full((10,), float("nan"))), "model.fc3.bias",
     "holds NaN or infinite values"),
    (_set("history", [1, 2]), "history", "expected a dict, found a list of 2"),
    (_set("history", "loss_per_epoch", "x"), "history.loss_per_epoch", "expected a list of one"),
    (_set("history", "curve", [[1, "a"]]), "history.curve", "expected a list of [images, loss]"),
    (_set("history", "images_seen", -5), "history.images_seen", "must be a non-negative integer"),
    (_set("velocity", "x"), "velocity", "expected a dict with the one key 'parameters'"),
    (_set("velocity", "parameters", torch.zeros(3)), "velocity.parameters",
     "expected a floating-point tensor of shape (62006,), found float32 (3,)"),
])
def test_a_damaged_checkpoint_is_one_line_naming_file_and_field(capsys, finished_run, tmp_path,
                                                                change, field, message):
    state = copy.deepcopy(finished_run)
    change(state)
    path = tmp_path / "checkpoint.pt"
    torch.save(state, path)
    code, err = train_cli(capsys, "--data", str(tmp_path / "data"), "--epochs", "1", "--limit",
                          "8", "-o", str(tmp_path), "--resume")
    assert code == 2
    [line] = err
    assert line.startswith(f"workbench: error: {path}: {field}: {message}")
    assert not (tmp_path / "data").exists()               # checked before loading any data


def test_a_checkpoint_that_is_not_a_dict_is_one_line(capsys, tmp_path):
    torch.save([1, 2], tmp_path / "checkpoint.pt")
    code, err = train_cli(capsys, "--data", str(tmp_path / "data"), "-o", str(tmp_path),
                          "--resume")
    assert code == 2
    assert err == [f"workbench: error: {tmp_path / 'checkpoint.pt'}: not a checkpoint of this "
                   f"trainer: expected a dict of epoch, config, model, history, velocity, "
                   f"found a list of 2"]


def test_a_nan_loss_stops_training_with_its_own_exit_code(capsys, data_root, tmp_path):
    code, err = train_cli(capsys, "--data", str(data_root), "--lr", "1e300", "--epochs", "2",
                          "-o", str(tmp_path))
    assert code == EXIT_DIVERGED == 5
    assert err == ["workbench: training diverged: the loss is nan at step 2 of 20 (epoch 1 of "
                   "2, batch 2 of 10, lr 1e+300); a smaller --lr may help"]
    assert not (tmp_path / "metrics.json").exists()
    assert not (tmp_path / "notre_model.torch").exists()


class NanGradient(GradientOracle):
    """Autograd's loss with a NaN gradient: the loss of the step is finite, the weights after
    it are not."""

    name = "nan-gradient"

    def __init__(self, net):
        self.inner = make_oracle("autograd", net)
        super().__init__(self.inner.wrt)

    def value_and_grad(self, point, *, batched=False):
        ev = self.inner.value_and_grad(point, batched=batched)
        return Evaluation(ev.value, {k: g * float("nan") for k, g in ev.grad.items()})


def test_weights_broken_by_the_last_step_of_an_epoch_fail_too(data_root, tmp_path, monkeypatch):
    monkeypatch.setitem(cifar_oracle.ORACLES, "nan-gradient", NanGradient)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnofficialDataWarning)
        data = load(data_root, download=False)
    config = TrainConfig(RECIPES["seed"].with_overrides(epochs=1), limit=4, oracle="nan-gradient")
    with pytest.raises(TrainingDiverged, match="weights hold NaN or infinite values after epoch 1"):
        train(data, config, tmp_path)
    assert not (tmp_path / "checkpoint.pt").exists()


@pytest.mark.parametrize("change, message", [
    (_set("fc3.bias", torch.full((10,), float("inf"))), "fc3.bias: holds NaN or infinite values"),
    (_set("fc3.bias", "x"), "fc3.bias: expected a floating-point tensor of shape (10,), found str"),
    (_drop("fc1.weight"), "not a state_dict of the course's Net (missing: fc1.weight; "
                          "unexpected: none)"),
])
def test_evaluate_refuses_a_model_it_cannot_trust(capsys, data_root, tmp_path, change, message):
    """A network with infinite weights was evaluated (10 %, exit 0)."""
    state = make_net(0).state_dict()
    change(state)
    torch.save(state, tmp_path / "model.torch")
    code = main(["evaluate", str(tmp_path / "model.torch"), "--data", str(tmp_path / "data"),
                 "--device", "cpu"])
    assert code == 2
    assert capsys.readouterr().err == f"workbench: error: {tmp_path / 'model.torch'}: {message}\n"

"""Training the course's CNN through the oracle: the loss falls, runs are deterministic and
resumable, a Ctrl-C leaves the last checkpoint valid, the gradient spot check catches a wrong
gradient, and two data-parallel processes train the model one process trains. Small generated
data in the official layout; no network, no GPU."""

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

import workbench.atomic
from workbench.cifar import oracle as cifar_oracle
from workbench.cifar.data import FOLDER, Cifar10, Split, UnofficialDataWarning, load, write_folder
from workbench.cifar.net import load_model, make_net, normalise
from workbench.cifar.oracle import SpotCheckedOracle, loss_function, make_oracle, network_point
from workbench.cifar.augment import augment, draw_augmentation
from workbench.cifar.recipes import RECIPES
from workbench.cifar.train import CHECKPOINT_FILE, TrainConfig, train
from workbench.errors import GradientMismatch, UserError
from workbench.oracles import Evaluation, GradientOracle


def learnable_split(n: int, seed: int) -> Split:
    """Each class a fixed random picture, each image 3/4 its class's picture, 1/4 noise."""
    templates = torch.randint(0, 256, (10, 3, 32, 32), generator=torch.Generator().manual_seed(99))
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n)[torch.randperm(n, generator=g)] % 10
    noise = torch.randint(0, 256, (n, 3, 32, 32), generator=g)
    return Split(((3 * templates[labels] + noise) // 4).to(torch.uint8), labels)


@pytest.fixture(scope="module")
def data_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cifar")
    write_folder(root / FOLDER, learnable_split(256, 0), learnable_split(100, 1))
    return root


@pytest.fixture(scope="module")
def data(data_root) -> Cifar10:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnofficialDataWarning)
        return load(data_root, download=False)


def quick(recipe="seed", **overrides) -> TrainConfig:
    limit = overrides.pop("limit", 64)
    recipe = RECIPES[recipe].with_overrides(**overrides)
    return TrainConfig(recipe, seed=7, limit=limit)


def weights(run_dir: Path) -> dict:
    return torch.load(run_dir / "notre_model.torch", weights_only=True)


def assert_same_weights(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_loss_falls_and_outputs_are_written(data, tmp_path):
    config = quick(epochs=3, lr=0.02, limit=256)
    metrics = train(data, config, tmp_path / "run", gallery=tmp_path / "gallery")
    losses = metrics["loss_per_epoch"]
    assert losses[2] < losses[1] < losses[0] and losses[2] < 0.5 * losses[0]
    assert metrics["test_accuracy"] > 50          # chance is 10 %
    saved = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert saved["loss_per_epoch"] == losses
    assert set(saved["per_class_accuracy"]) == set(data.classes)
    assert saved["images_per_s"] > 0 and saved["peak_memory_mb"] > 0
    figures = {"training-curve", "confusion-matrix", "predictions"}
    assert {p.stem for p in (tmp_path / "run" / "figures").iterdir()} == figures
    assert {p.stem for p in (tmp_path / "gallery").iterdir()} == {f"run-{f}" for f in figures}
    net = load_model(tmp_path / "run" / "notre_model.torch")
    assert torch.equal(net.fc3.bias, weights(tmp_path / "run")["fc3.bias"])


def test_augmentation_crops_and_mirrors():
    images = torch.randint(0, 256, (3, 3, 32, 32), dtype=torch.uint8,
                           generator=torch.Generator().manual_seed(0))
    offsets = torch.tensor([[2, 2], [2, 2], [0, 4]])
    out = augment(images, offsets, torch.tensor([False, True, False]), pad=2)
    assert torch.equal(out[0], images[0])                        # centred: unchanged
    assert torch.equal(out[1], images[1].flip(2))                # mirrored
    assert torch.equal(out[2, :, 2:, :30], images[2, :, :30, 2:])  # moved down 2, left 2
    assert out[2, :, :2].eq(0).all() and out[2, :, :, 30:].eq(0).all()
    offsets, flips = draw_augmentation(1000, 2, False, torch.Generator().manual_seed(0))
    assert offsets.min() == 0 and offsets.max() == 4 and not flips.any()


def test_one_cycle_schedule():
    recipe = RECIPES["fast"]
    rates = [recipe.lr_at(step, 100) for step in range(100)]
    assert max(rates) == pytest.approx(recipe.lr) and rates.index(max(rates)) == 19
    assert rates[0] == pytest.approx(recipe.lr / 20) and rates[-1] == pytest.approx(recipe.lr / 80)
    assert RECIPES["seed"].lr_at(57, 100) == 0.001


def test_resumed_run_equals_uninterrupted_run(data, tmp_path):
    """The course's recipe: 2 epochs at once, or 1 epoch and then 1 more with --resume."""
    train(data, quick(epochs=2), tmp_path / "straight", figures=False)
    train(data, quick(epochs=1), tmp_path / "resumed", figures=False)
    train(data, quick(epochs=2), tmp_path / "resumed", resume=True, figures=False)
    assert_same_weights(weights(tmp_path / "straight"), weights(tmp_path / "resumed"))
    other_seed = TrainConfig(quick(epochs=2).recipe, seed=8, limit=64)
    train(data, other_seed, tmp_path / "other", figures=False)
    assert not torch.equal(weights(tmp_path / "other")["fc3.bias"],
                           weights(tmp_path / "straight")["fc3.bias"])


def test_ctrl_c_while_saving_keeps_the_last_checkpoint(data, tmp_path, monkeypatch):
    """Interrupted while the second checkpoint is being written: the first stays valid, and
    resuming gives the uninterrupted run's weights (fast recipe: schedule and augmentation)."""
    config = quick("fast", epochs=3, batch_size=16, lr=0.05)
    train(data, config, tmp_path / "straight", figures=False)
    real_fsync, calls = os.fsync, []

    def interrupted_fsync(fd):
        calls.append(fd)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real_fsync(fd)

    monkeypatch.setattr(workbench.atomic.os, "fsync", interrupted_fsync)
    with pytest.raises(KeyboardInterrupt):
        train(data, config, tmp_path / "run", figures=False)
    monkeypatch.undo()
    run = tmp_path / "run"
    assert [p.name for p in run.iterdir()] == [CHECKPOINT_FILE]   # no temporary file left
    assert torch.load(run / CHECKPOINT_FILE, weights_only=True)["epoch"] == 1
    train(data, config, run, resume=True, figures=False)
    assert_same_weights(weights(tmp_path / "straight"), weights(run))


def test_resume_with_other_settings_is_refused(data, tmp_path):
    train(data, quick(epochs=1), tmp_path / "run", figures=False)
    with pytest.raises(UserError, match="batch_size: 4 → 8"):
        train(data, quick(epochs=2, batch_size=8), tmp_path / "run", resume=True)
    with pytest.raises(UserError, match="nothing to resume"):
        train(data, quick(epochs=1), tmp_path / "empty", resume=True)


def point_for(net, data, n=4, dtype=torch.float32):
    params = dict(net.named_parameters())
    images = normalise(data.train.images[:n], dtype)
    return network_point(params, images, data.train.labels[:n])


def test_oracle_gives_the_gradient_of_the_course_loss(data):
    net = make_net(0)
    point = point_for(net, data)
    ev = make_oracle("autograd", net).value_and_grad(point)
    loss = F.cross_entropy(net(point["images"]), point["labels"])
    loss.backward()
    assert torch.equal(ev.value, loss.detach())
    for name, p in net.named_parameters():
        assert torch.allclose(ev.grad[name], p.grad, rtol=1e-6, atol=1e-8), name
    copies = {k: v.detach().clone() for k, v in point.items()}   # not the network's own tensors
    ev2 = make_oracle("autograd", net).value_and_grad(copies)
    for name in ev.grad:
        assert torch.allclose(ev2.grad[name], ev.grad[name], rtol=1e-6, atol=1e-8), name


def test_spot_check_passes_a_correct_gradient(data):
    net = make_net(0)
    checked = SpotCheckedOracle(make_oracle("autograd", net), loss_function(net), every=1)
    for n in (4, 32):
        checked.value_and_grad(point_for(net, data, n))
    assert checked.checks == 2


class ScaledGradient(GradientOracle):
    """Autograd with one parameter's gradient off by a factor."""

    name = "broken"

    def __init__(self, net, parameter="fc2.weight", factor=1.01):
        self.inner = make_oracle("autograd", net)
        super().__init__(self.inner.wrt)
        self.parameter, self.factor = parameter, factor

    def value_and_grad(self, point, *, batched=False):
        ev = self.inner.value_and_grad(point, batched=batched)
        grad = dict(ev.grad)
        grad[self.parameter] = grad[self.parameter] * self.factor
        return Evaluation(ev.value, grad)


def test_spot_check_catches_a_broken_gradient_and_names_the_layer(data, tmp_path, monkeypatch):
    monkeypatch.setitem(cifar_oracle.ORACLES, "broken", ScaledGradient)
    config = TrainConfig(RECIPES["seed"].with_overrides(epochs=1), seed=0, limit=64,
                         check_every=5, oracle="broken")
    with pytest.raises(GradientMismatch) as info:
        train(data, config, tmp_path / "run")
    message = str(info.value)
    assert "layer fc2 (fc2.weight" in message and "step 1," in message
    assert "central differences in float64" in message
    got, want = info.value.details["directional_derivatives"][0]
    assert got == pytest.approx(1.01 * want, rel=1e-3)


@pytest.mark.parametrize("parameter", ["conv1.bias", "fc3.weight"])
def test_spot_check_names_each_layer(data, parameter):
    net = make_net(0)
    broken = ScaledGradient(net, parameter, factor=0.99)
    checked = SpotCheckedOracle(broken, loss_function(net), every=1)
    with pytest.raises(GradientMismatch, match=rf"layer {parameter.split('.')[0]} \({parameter}"):
        checked.value_and_grad(point_for(net, data, 8))


def test_unknown_oracle_is_a_user_error(data, tmp_path):
    with pytest.raises(UserError, match="unknown oracle 'derivd'; choose one of autograd"):
        train(data, TrainConfig(RECIPES["seed"], oracle="derivd", limit=8), tmp_path)


@pytest.mark.slow
def test_two_processes_train_the_model_one_process_trains(data, data_root, tmp_path):
    """torchrun with 2 processes (gloo), a global batch of 8, against 1 process, batch 8."""
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node",
               "2", "-m", "workbench", "train", "--data", str(data_root), "--recipe", "fast",
               "--epochs", "2", "--lr", "0.05", "--batch-size", "8", "--limit", "60", "--seed",
               "3", "--device", "cpu", "--no-gallery", "--no-progress", "-o", str(tmp_path)]
    two = subprocess.run(command, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert two.returncode == 0, two.stderr[-3000:]
    assert json.loads((tmp_path / "metrics.json").read_text())["processes"] == 2
    ddp = weights(tmp_path)
    for batch_size, same in ((8, True), (4, False)):
        config = TrainConfig(RECIPES["fast"].with_overrides(epochs=2, lr=0.05,
                                                            batch_size=batch_size),
                             seed=3, limit=60)
        train(data, config, tmp_path / f"one-{batch_size}", figures=False)
        one = weights(tmp_path / f"one-{batch_size}")
        close = [torch.allclose(ddp[k], one[k], rtol=1e-4, atol=1e-6) for k in one]
        assert all(close) if same else not all(close)

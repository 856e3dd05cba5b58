"""Training the course's network through a gradient oracle, with checkpoints and metrics.

data → model → oracle → heavy-ball step → checkpoint each epoch → test metrics → figures.
The run folder gets ``checkpoint.pt`` (after every epoch, replaced atomically, so a Ctrl-C
leaves the last one valid), ``notre_model.torch`` (the ``state_dict``), ``metrics.json`` and
``figures/``. On the CPU the same seed gives the same weights, bit for bit, also when a run is
interrupted and resumed.
"""

from __future__ import annotations

import contextlib
import json
import math
import resource
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import torch

from workbench.atomic import write_text
from workbench.cifar import checkpoint
from workbench.cifar import figures as plots
from workbench.cifar.augment import augment, draw_augmentation
from workbench.cifar.checkpoint import CHECKPOINT_FILE, FLAT, Checkpoint
from workbench.cifar.data import Cifar10
from workbench.cifar.distributed import World
from workbench.cifar.evaluate import MODEL_FILE, evaluate
from workbench.cifar.net import make_net, normalise, save_model, state_on_cpu
from workbench.cifar.oracle import SpotCheckedOracle, loss_function, make_oracle, network_point
from workbench.cifar.recipes import Recipe
from workbench.errors import UserError, WorkbenchError
from workbench.optim.heavy_ball import HeavyBall
from workbench.oracles import Evaluation
from workbench.progress import Progress

METRICS_FILE = "metrics.json"
CURVE_POINTS_PER_EPOCH = 20


class TrainingDiverged(WorkbenchError):
    """The training loss or the weights stopped being finite: the run failed, and is not
    evaluated (the checkpoint of the last finished epoch is kept)."""


@dataclass(frozen=True)
class TrainConfig:
    """What defines a run. ``limit``: train on the first N images only; ``check_every``: spot
    check the oracle every K steps (0: never)."""

    recipe: Recipe
    seed: int = 0
    limit: int | None = None
    check_every: int = 0
    oracle: str = "autograd"

    def as_dict(self) -> dict:
        return {"recipe": self.recipe.as_dict(), "seed": self.seed, "limit": self.limit,
                "check_every": self.check_every, "oracle": self.oracle}


def train(data: Cifar10, config: TrainConfig, run_dir: str | Path, *,
          device: torch.device = torch.device("cpu"), resume: bool | Checkpoint = False,
          world: World = World(), progress: bool | None = None, figures: bool = True,
          gallery: Path | None = None) -> dict:
    """Train, checkpoint each epoch, evaluate on the test split, write model, metrics and
    (unless ``figures`` is False) figures, also into ``gallery`` unless None. Returns the
    metrics (empty on ranks > 0).

    ``resume``: continue from the run folder's checkpoint (True), or from one already read by
    :func:`workbench.cifar.checkpoint.read`. ``progress``: show a progress bar (None: when
    stderr is a terminal). Raises :class:`TrainingDiverged` when the loss or the weights stop
    being finite; the checkpoint of the last finished epoch is kept.
    """
    run_dir = Path(run_dir)
    recipe = config.recipe
    split = data.train.head(config.limit)
    if len(split) == 0:
        raise UserError("no training images selected", "--limit")
    fmt = torch.channels_last if recipe.channels_last else torch.contiguous_format
    net = make_net(config.seed).to(device=device, memory_format=fmt)
    params = dict(net.named_parameters())
    flat = _flatten(params)
    opt = HeavyBall(recipe.lr, recipe.momentum, recipe.nesterov, recipe.weight_decay)
    history = {"loss_per_epoch": [], "epoch_time_s": [], "curve": [], "images_seen": 0}
    if resume is True:
        resume = checkpoint.read(run_dir / CHECKPOINT_FILE, config.as_dict(), device)
    start = 0
    if resume:
        net.load_state_dict(resume.model)
        opt.load_state_dict({"velocity": resume.velocity})
        history.update(resume.history)
        start = resume.epoch
    world.broadcast({FLAT: flat})

    oracle = make_oracle(config.oracle, net)
    checker = (SpotCheckedOracle(oracle, loss_function(net), config.check_every, config.seed)
               if config.check_every else None)
    oracle = world.wrap(checker or oracle)
    epoch_runner = _Epochs(recipe, config.seed, split.images.to(device), split.labels.to(device),
                           params, flat, oracle, opt, world, progress)
    with cpu_settings(recipe, device):
        for epoch in range(start, recipe.epochs):
            epoch_runner.run(epoch, history)
            if world.is_main:
                checkpoint.save(run_dir / CHECKPOINT_FILE, epoch + 1, config.as_dict(),
                                state_on_cpu(net), history, opt.velocity)
    world.barrier()
    if not world.is_main:
        return {}
    report, predictions = evaluate(net, data.test, data.classes)
    save_model(net, run_dir / MODEL_FILE)
    metrics = _metrics(config, data, split, report, history, device, world)
    metrics["gradient_checks"] = checker.checks if checker else 0
    write_text(run_dir / METRICS_FILE, json.dumps(metrics, indent=2) + "\n")
    if figures:
        _draw(run_dir, gallery, history, len(split), report, data, predictions)
    return metrics


def _draw(run_dir, gallery, history, images_per_epoch, report, data, predictions) -> None:
    shown = slice(0, 16)
    plots.write_figures({
        "training-curve": plots.training_curve(history["curve"], history["loss_per_epoch"],
                                               images_per_epoch),
        "confusion-matrix": plots.confusion_figure(report["confusion_matrix"], data.classes),
        "predictions": plots.prediction_grid(data.test.images[shown], data.test.labels[shown],
                                             predictions[shown], data.classes),
    }, run_dir / "figures", gallery, gallery_prefix=f"{run_dir.name}-")


class _Epochs:
    """One pass over the (shuffled) training images per call of :meth:`run`."""

    def __init__(self, recipe, seed, images, labels, params, flat, oracle, opt, world,
                 progress):
        self.recipe, self.seed = recipe, seed
        self.images, self.labels = images, labels
        self.params, self.flat = params, flat
        self.oracle, self.opt, self.world = oracle, opt, world
        self.progress = progress
        self.steps = -(-len(labels) // recipe.batch_size)

    def run(self, epoch: int, history: dict) -> None:
        recipe, n = self.recipe, len(self.labels)
        # One generator per epoch, from the seed alone: a resumed run draws what an
        # uninterrupted one would.
        gen = torch.Generator().manual_seed((self.seed << 20) + epoch)
        order = torch.randperm(n, generator=gen)
        total_steps = self.steps * recipe.epochs
        log_every = max(1, self.steps // CURVE_POINTS_PER_EPOCH)
        loss_sum, window, window_images = 0.0, [], 0   # window: batch loss sums, not yet read
        start = time.perf_counter()
        with Progress(n, f"epoch {epoch + 1}/{recipe.epochs}", unit="img",
                      enabled=self.progress if self.world.is_main else False) as bar:
            for i, batch in enumerate(order.split(recipe.batch_size)):
                ev = self._step(batch, gen, epoch * self.steps + i, total_steps)
                window.append(ev.value * len(batch))
                window_images += len(batch)
                if (i + 1) % log_every and i + 1 < self.steps:
                    bar.update(len(batch))
                    continue
                # Read the losses once per curve point: reading one is a device sync.
                total = float(torch.stack(window).double().sum())
                if not math.isfinite(total):
                    self._diverged(window, epoch, i + 1 - len(window))
                loss_sum += total
                history["curve"].append([history["images_seen"] + bar.count + len(batch),
                                         total / window_images])
                bar.update(len(batch), loss=total / window_images)
                window, window_images = [], 0
        if not bool(torch.isfinite(self.flat).all()):   # a last step that broke the weights
            raise TrainingDiverged(f"training diverged: the weights hold NaN or infinite "
                                   f"values after epoch {epoch + 1} of {recipe.epochs} (lr "
                                   f"{self.opt.lr:g}); a smaller --lr may help")
        history["epoch_time_s"].append(time.perf_counter() - start)
        history["loss_per_epoch"].append(loss_sum / n)
        history["images_seen"] += n

    def _diverged(self, window: list[torch.Tensor], epoch: int, first: int) -> None:
        """Raise :class:`TrainingDiverged` for the first batch of ``window`` (batches
        ``first``, ``first + 1`` ... of ``epoch``) whose loss is not finite."""
        losses = torch.stack(window)
        bad = int((~torch.isfinite(losses)).nonzero()[0])
        step, steps = epoch * self.steps + first + bad, self.steps * self.recipe.epochs
        raise TrainingDiverged(
            f"training diverged: the loss is {float(losses[bad])} at step {step + 1} of {steps} "
            f"(epoch {epoch + 1} of {self.recipe.epochs}, batch {first + bad + 1} of "
            f"{self.steps}, lr {self.recipe.lr_at(step, steps):g}); a smaller --lr may help")

    def _step(self, batch: torch.Tensor, gen: torch.Generator, step: int,
              total_steps: int) -> Evaluation:
        """One heavy-ball step on this process's share of ``batch`` (indices of images)."""
        recipe, world = self.recipe, self.world
        if recipe.augments:  # drawn for the whole batch, so every process draws the same
            offsets, flips = draw_augmentation(len(batch), recipe.crop, recipe.flip, gen)
        mine = world.shard(batch).to(self.images.device)
        x = self.images[mine]
        if recipe.augments:
            x = augment(x, world.shard(offsets), world.shard(flips), recipe.crop)
        x = normalise(x, channels_last=recipe.channels_last)
        ev = self.oracle.value_and_grad(network_point(self.params, x, self.labels[mine]))
        self.opt.lr = recipe.lr_at(step, total_steps)
        grad = torch.cat([ev.grad[k].reshape(-1) for k in self.params])
        self.opt.step({FLAT: self.flat}, {FLAT: grad})
        return ev


@contextlib.contextmanager
def cpu_settings(recipe: Recipe, device: torch.device) -> Iterator[None]:
    """Apply the recipe's thread count and oneDNN choice on CPU, restoring them afterwards."""
    if device.type != "cpu":
        yield
        return
    threads, mkldnn = torch.get_num_threads(), torch.backends.mkldnn.enabled
    if recipe.cpu_threads:
        torch.set_num_threads(recipe.cpu_threads)
    # Set directly: torch.backends.mkldnn.flags() also touches TF32 and warns about it.
    torch.backends.mkldnn.enabled = recipe.mkldnn
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        torch.backends.mkldnn.enabled = mkldnn


def _flatten(params: dict[str, torch.Tensor]) -> torch.Tensor:
    """Move the parameters into one flat buffer, each parameter a view of its part, and return
    the buffer. The heavy-ball step then costs a few operations on one tensor instead of a few
    per parameter: ~8 % of a step at the course's batch of 4."""
    flat = torch.cat([p.detach().reshape(-1) for p in params.values()])
    offset = 0
    for p in params.values():
        p.data = flat[offset:offset + p.numel()].view_as(p)
        offset += p.numel()
    return flat


def _metrics(config, data, split, report, history, device, world) -> dict:
    train_time = sum(history["epoch_time_s"])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    metrics = {
        "test_accuracy": report["test_accuracy"],
        "per_class_accuracy": report["per_class_accuracy"],
        "confusion_matrix": report["confusion_matrix"],
        "loss_per_epoch": history["loss_per_epoch"],
        "epoch_time_s": history["epoch_time_s"],
        "train_time_s": train_time,
        "images_per_s": history["images_seen"] / train_time if train_time else 0.0,
        "peak_memory_mb": peak,
        "train_images": len(split),
        "test_images": report["test_images"],
        "config": config.as_dict(),
        "device": str(device),
        "processes": world.size,
        "data": {"folder": str(data.folder), "official": data.official},
        "torch": torch.__version__,
        "curve": history["curve"],
    }
    if device.type == "cuda":
        metrics["peak_gpu_memory_mb"] = torch.cuda.max_memory_allocated(device) / 2**20
    return metrics

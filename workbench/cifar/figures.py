"""Figures of a training run: training curve, confusion matrix, and a grid of test images
labelled GroundTruth/Predicted (the course's ``imshow`` cells). PNG files, encoded and written
atomically by :mod:`workbench.figures`."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from matplotlib.figure import Figure

from workbench.figures import encode, write_pngs


def training_curve(curve: Sequence[Sequence[float]], loss_per_epoch: Sequence[float],
                   images_per_epoch: int) -> Figure:
    """Running training loss against epochs (``curve``: ``[images_seen, loss]`` pairs) and
    each epoch's mean loss."""
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot()
    if curve:
        seen, loss = zip(*curve)
        ax.plot([s / images_per_epoch for s in seen], loss, lw=1, label="running loss")
    ax.plot(range(1, len(loss_per_epoch) + 1), loss_per_epoch, "o-", label="epoch mean")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy")
    ax.set_title("Training loss")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def confusion_figure(confusion: Sequence[Sequence[int]], classes: Sequence[str]) -> Figure:
    """Rows: true class; columns: predicted class; counts written in the cells."""
    matrix = np.asarray(confusion)
    fig = Figure(figsize=(7, 6))
    ax = fig.add_subplot()
    im = ax.imshow(matrix, cmap="Blues")
    fig.colorbar(im, ax=ax)
    k = len(classes)
    ax.set_xticks(range(k), classes, rotation=45, ha="right")
    ax.set_yticks(range(k), classes)
    ax.set_xlabel("Predicted")
    ax.set_ylabel("GroundTruth")
    high = float(matrix.max()) / 2 if matrix.size else 0
    for i in range(k):
        for j in range(k):
            v = int(matrix[i, j])
            ax.text(j, i, str(v), ha="center", va="center", fontsize=7,
                    color="white" if v > high else "black")
    accuracy = 100.0 * float(matrix.diagonal().sum()) / max(1, int(matrix.sum()))
    ax.set_title(f"Confusion matrix (accuracy {accuracy:.1f} %)")
    fig.tight_layout()
    return fig


def prediction_grid(images: torch.Tensor, labels: torch.Tensor, predictions: torch.Tensor,
                    classes: Sequence[str], columns: int = 4) -> Figure:
    """Test images (uint8 ``(n, 3, 32, 32)``) titled with their true and predicted classes;
    wrong predictions in red."""
    n = len(labels)
    rows = max(1, -(-n // columns))
    fig = Figure(figsize=(2.2 * columns, 2.4 * rows))
    for i in range(n):
        ax = fig.add_subplot(rows, columns, i + 1)
        ax.imshow(images[i].permute(1, 2, 0).cpu().numpy())
        truth, guess = classes[int(labels[i])], classes[int(predictions[i])]
        ax.set_title(f"GroundTruth: {truth}\nPredicted: {guess}", fontsize=8,
                     color="black" if truth == guess else "red")
        ax.axis("off")
    fig.tight_layout()
    return fig


def write_figures(figures: dict[str, Figure], folder: Path, gallery: Path | None = None,
                  gallery_prefix: str = "") -> list[Path]:
    """Write ``name.png`` for each figure into ``folder`` and, unless ``gallery`` is None, a
    copy ``{gallery_prefix}name.png`` into ``gallery``. Returns the paths written."""
    return write_pngs({name: encode(fig) for name, fig in figures.items()}, folder, gallery,
                      gallery_prefix)

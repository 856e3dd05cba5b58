"""The figures of a momentum analysis, as PNG bytes: loss curves on a log scale (the course's
plot, and the excess loss against the predicted slopes) and the sweep's heatmaps.

Figures are made with :class:`matplotlib.figure.Figure` and encoded by
:func:`workbench.figures.encode`; tensors are handed to matplotlib as NumPy arrays.
"""

from __future__ import annotations

import matplotlib
import torch
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from workbench.figures import encode
from workbench.momentum import theory
from workbench.momentum.analysis import Analysis

DPI = 120
TINY = 1e-300   # the smallest excess loss drawn; below it float64 is denormal
DECADES = 30
"""The excess-loss panel shows this many decades below the largest starting excess: a fast run
reaches 1e-300 within 200 iterations, and 300 decades on one axis crush the slow runs' slopes
into its top tenth."""
CEILING = 100.0
"""Loss curves stop where they pass this times the largest starting loss: a diverging run
would otherwise stretch the log axis over hundreds of decades (beyond what matplotlib can
draw)."""


def loss_curves(a: Analysis) -> bytes:
    """:func:`loss_figure` as PNG bytes."""
    return encode(loss_figure(a), dpi=DPI, tight=True)


def loss_figure(a: Analysis) -> Figure:
    """Left: the course's problem, loss per iteration on a log scale. Right: the excess loss
    of the centred run and, dashed, the predicted ``r^(2k)`` from the same start. A diverging
    run is drawn up to where it passes :data:`CEILING` times the largest starting loss, and
    marked there with an x; its label says it diverges. Each y-axis ends at 3 x that
    ceiling; the right one starts :data:`DECADES` decades below the starting excess."""
    fig = Figure(figsize=(12, 4.6))
    left, right = fig.subplots(1, 2)
    k = torch.arange(a.iterations)
    top_left = CEILING * max(float(r.losses[0]) for r in a.runs)
    top_right = CEILING * max(float(r.excess[0]) for r in a.runs)
    for run in a.runs:
        label = f"{run.name} (lr {run.lr:.3g}, momentum {run.momentum:.3g})"
        if run.diverged:
            label += ": diverges"
        line = _cut_at(left, k, run.losses, top_left, label=label)
        _cut_at(right, k, run.excess, top_right, color=line.get_color(),
                label=f"measured rate {run.measured:.4g}")
        # After the transient; from the start for a diverging run, cut long before T/4.
        k0 = 0 if run.diverged else a.iterations // 4
        predicted = run.excess[k0] * run.predicted ** (2.0 * (k - k0))
        keep = (predicted > TINY) & (predicted <= top_right)
        right.plot(k[keep].numpy(), predicted[keep].numpy(), "--", color=line.get_color(),
                   linewidth=1, label=f"predicted rate {run.predicted:.4g}")
    left.axhline(a.data.loss_star, color="gray", linestyle=":", label="L(beta*)")
    left.set(yscale="log", xlabel="iteration", ylabel="loss", ylim=(None, 3 * top_left),
             title=f"Loss, the course's plot ({a.label}, kappa = {a.spectrum.kappa:.3g})")
    right.set(yscale="log", xlabel="iteration", ylabel="L(beta_k) - L(beta*)",
              ylim=(top_right / CEILING * 10.0 ** -DECADES, 3 * top_right),
              title="Excess loss ~ rate^(2k): measured vs predicted")
    if any(run.diverged for run in a.runs):
        for ax in (left, right):
            ax.plot([], [], marker="x", color="black", linestyle="none",
                    label=f"x: passes {CEILING:g} x the starting loss (cut)")
    # below the axes: inside, every corner holds a curve for some data
    left.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13))
    right.legend(fontsize=7, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.13))
    return fig


def _cut_at(ax, k: torch.Tensor, values: torch.Tensor, ceiling: float, **style):
    """Plot ``values (T,)`` above :data:`TINY` against ``k (T,)`` up to the first one above
    ``ceiling`` or not finite, drawn at the ceiling with an x. Returns the line."""
    over = ~(values <= ceiling)                          # NaN counts as over
    if over.any():
        cut = int(over.nonzero()[0])
        k, values = k[:cut + 1], values[:cut + 1].clone()
        values[cut] = ceiling
    shown = values > TINY
    line, = ax.plot(k[shown].numpy(), values[shown].numpy(), **style)
    if over.any():
        ax.plot([int(k[-1])], [ceiling], marker="x", markersize=9, markeredgewidth=2,
                color=line.get_color(), linestyle="none")
    return line


def iterations_per_decade(rate: torch.Tensor) -> torch.Tensor:
    """Iterations to divide the distance to the optimum by 10: ``-1 / log10(rate)``; NaN
    where the rate is not below 1."""
    return torch.where(rate < 1, -1 / torch.log10(rate), torch.full_like(rate, torch.nan))


def _overlay(ax, a: Analysis) -> None:
    """The convergence boundary, the optima and the course's settings."""
    rho = torch.linspace(0.0, float(a.sweep.momenta[-1]), 200, dtype=torch.float64)
    ax.plot(theory.boundary_lr(a.spectrum, rho).numpy(), rho.numpy(), color="red", linewidth=2,
            label="boundary lr = 2(1 + momentum) / lam_max")
    ax.plot([a.polyak.lr], [a.polyak.momentum], marker="*", color="white", markersize=16,
            markeredgecolor="black", linestyle="none",
            label=f"Polyak optimum (rate {a.polyak.rate:.3g})")
    ax.plot([a.gd.lr], [0.0], marker="o", color="orange", markersize=9, clip_on=False,
            markeredgecolor="black", linestyle="none", label=f"best GD (rate {a.gd.rate:.3g})")
    course = a.runs[:-2]
    ax.plot([r.lr for r in course], [r.momentum for r in course], marker="X", color="cyan",
            markersize=9, markeredgecolor="black", linestyle="none", clip_on=False,
            label="the course's settings")
    ax.set(xlim=(0, float(a.sweep.lrs[-1])), ylim=(0, float(a.sweep.momenta[-1])),
           xlabel="step size lr (eta)", ylabel="momentum (rho)")


def sweep_heatmaps(a: Analysis) -> bytes:
    """Left: measured iterations per decade over the grid (gray: diverges), the predicted
    ones as contours. Right: |measured rate / predicted rate - 1|."""
    s = a.sweep
    fig = Figure(figsize=(13, 5.6))
    left, right = fig.subplots(1, 2)
    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="lightgray")
    # A run at round-off within a few steps has no fitted rate: it is as fast as it gets.
    fast = torch.isnan(s.rates) & ~s.diverged
    measured = torch.where(fast, 1.0, iterations_per_decade(s.rates)).clamp(1.0, 1e3)
    lrs, momenta = s.lrs.numpy(), s.momenta.numpy()
    mesh = left.pcolormesh(lrs, momenta, measured.numpy(), cmap=cmap, norm=LogNorm(1.0, 1e3),
                           shading="nearest")
    fig.colorbar(mesh, ax=left, extend="max",
                 label="measured iterations per decade of error (gray: diverges)")
    contours = left.contour(lrs, momenta, iterations_per_decade(a.predicted_grid).numpy(),
                            levels=[2, 5, 10, 20, 50, 100, 200, 500], colors="white",
                            linestyles="dashed", linewidths=0.8)
    left.clabel(contours, fontsize=7, fmt="%g")
    _overlay(left, a)
    left.set_title(f"{len(s.momenta)}x{len(s.lrs)} settings x {a.iterations} iterations, one "
                   f"batched run ({a.label}, kappa = {a.spectrum.kappa:.3g}); dashed: theory",
                   fontsize=9)
    error = (s.rates / a.predicted_grid - 1).abs().clamp(1e-8, 1.0)   # NaN (white): no rate
    emap = matplotlib.colormaps["magma"].with_extremes(bad="white")
    mesh = right.pcolormesh(lrs, momenta, error.numpy(), cmap=emap, shading="nearest",
                            norm=LogNorm(1e-8, 1.0))
    fig.colorbar(mesh, ax=right, label="|measured rate / predicted rate - 1|")
    _overlay(right, a)
    right.set_title("Measured vs predicted rate (spectral radius of the iteration matrix)",
                    fontsize=9)
    handles, labels = left.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8,
               bbox_to_anchor=(0.5, -0.04))
    return encode(fig, dpi=DPI, tight=True)

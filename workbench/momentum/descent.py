"""Gradient descent with momentum driven by a gradient oracle: one run, a batch of runs, the
(eta, rho) sweep as one tensor computation, and the rate measured from a loss curve.

The step itself is :class:`workbench.optim.HeavyBall` (the course's z <- rho z + grad,
beta <- beta - eta z, i.e. ``torch.optim.SGD(lr, momentum)``); this module only feeds it the
oracle's gradients and records what happens.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from workbench.errors import UserError
from workbench.optim import HeavyBall
from workbench.oracles import GradientOracle, Point
from workbench.progress import Progress


@dataclass(frozen=True)
class Run:
    """``losses (T,)`` or ``(B, T)``: the loss at ``beta_k`` for k = 0..T-1, each recorded
    before its step as the course does; ``params (T+1, *beta.shape)``: ``beta_0 .. beta_T``
    when kept, else just ``beta_T`` ``(1, *beta.shape)``."""

    losses: torch.Tensor
    params: torch.Tensor


def run_heavy_ball(oracle: GradientOracle, point: Point, lr: float | torch.Tensor,
                   momentum: float | torch.Tensor, iterations: int, *, nesterov: bool = False,
                   batched: bool = False, wrt: str = "beta", keep_params: bool = False,
                   progress: Progress | None = None) -> Run:
    """``iterations`` heavy-ball steps on ``point[wrt]`` (copied, the point is not changed).

    Batched: every tensor of the point has a leading ``B`` and ``lr``/``momentum`` broadcast
    against ``point[wrt]`` (e.g. ``(B, 1, 1)`` for ``beta (B, p, 1)``); one oracle call per
    iteration serves all B runs.
    """
    if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 1:
        raise UserError(f"must be a positive integer, got {iterations!r}", "iterations")
    beta = point[wrt].detach().clone()
    params = {wrt: beta}
    optimizer = HeavyBall(lr, momentum, nesterov)
    losses, history = [], [beta.clone()]
    for _ in range(iterations):
        ev = oracle.value_and_grad({**point, wrt: beta}, batched=batched)
        losses.append(ev.value)
        optimizer.step(params, {wrt: ev.grad[wrt]})
        if keep_params:
            history.append(beta.clone())
        if progress is not None:
            progress.update(1)
    return Run(torch.stack(losses, dim=-1), torch.stack(history if keep_params else [beta]))


def expand(point: Point, batch: int) -> dict[str, torch.Tensor]:
    """Each tensor of an unbatched point repeated over a leading batch dim (a view)."""
    return {k: v.expand(batch, *v.shape) for k, v in point.items()}


@dataclass(frozen=True)
class Sweep:
    """Runs over a grid: row i has ``momentum = momenta[i]``, column j ``lr = lrs[j]``.
    ``losses (M, L, T)``; ``rates (M, L)`` fitted by :func:`fit_rate`; ``seconds`` of the
    runs."""

    lrs: torch.Tensor
    momenta: torch.Tensor
    losses: torch.Tensor
    rates: torch.Tensor
    seconds: float

    @property
    def diverged(self) -> torch.Tensor:
        """``(M, L)``: runs with a measured rate of 1 or more, or that overflowed."""
        return (self.rates >= 1) | ~torch.isfinite(self.losses[..., -1])


def sweep(oracle: GradientOracle, point: Point, lrs: torch.Tensor, momenta: torch.Tensor,
          iterations: int, *, wrt: str = "beta", progress: bool | None = None) -> Sweep:
    """All (momentum, lr) settings of the grid from the same unbatched ``point`` as one batched
    run of ``len(momenta) * len(lrs)`` points. Rates are fitted from the losses, so pass a
    point whose loss decays to 0 (the centred problem) to measure convergence rates."""
    m, n_lr = len(momenta), len(lrs)
    extra = point[wrt].dim() * (1,)
    lr = lrs.to(point[wrt].dtype).repeat(m).reshape(-1, *extra)
    mom = momenta.to(point[wrt].dtype).repeat_interleave(n_lr).reshape(-1, *extra)
    start = time.perf_counter()
    with Progress(iterations, f"sweep {m}x{n_lr}", enabled=progress) as bar:
        run = run_heavy_ball(oracle, expand(point, m * n_lr), lr, mom, iterations,
                             batched=True, wrt=wrt, progress=bar)
    seconds = time.perf_counter() - start
    losses = run.losses.reshape(m, n_lr, iterations)
    return Sweep(lrs, momenta, losses, fit_rate(losses), seconds)


def fit_rate(excess: torch.Tensor, start: float = 0.25, floor: float = 1e-280,
             window: int | None = None) -> torch.Tensor:
    """The rate ``r`` of each row of ``excess (..., T)``, a sequence that behaves like
    ``r^(2k)``: the excess loss of a quadratic is a squared error, so its log-slope is twice
    ``log r``.

    The log of the upper envelope (the max over ``window`` iterations, default T/10, which
    flattens the oscillations of complex eigenvalues) is fitted by least squares over the
    iterations from ``start * T`` on whose window is finite and above ``floor``; the rate is
    ``exp(slope / 2)``. Diverging runs give rates above 1. NaN where fewer than 3 windows
    qualify (a run that reaches the floor at once, rate ~ 0). Returns ``(...)``.
    """
    t = excess.shape[-1]
    w = window or max(2, t // 10)
    if t < w + 2:
        return torch.full(excess.shape[:-1], float("nan"), dtype=excess.dtype)
    good = torch.isfinite(excess) & (excess > floor)
    logs = torch.where(good, excess.clamp_min(floor).log(), torch.zeros_like(excess))
    envelope = logs.unfold(-1, w, 1).amax(-1)                           # (..., T - w + 1)
    k = torch.arange(envelope.shape[-1], dtype=excess.dtype)
    use = (good.unfold(-1, w, 1).all(-1) & (k >= start * t)).to(excess.dtype)
    count = use.sum(-1)
    sx, sy = (use * k).sum(-1), (use * envelope).sum(-1)
    sxx, sxy = (use * k * k).sum(-1), (use * k * envelope).sum(-1)
    slope = (count * sxy - sx * sy) / (count * sxx - sx * sx)
    return torch.where(count >= 3, torch.exp(slope / 2), torch.full_like(slope, float("nan")))

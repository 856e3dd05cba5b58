"""Measured against predicted: the theory of :mod:`~workbench.momentum.theory` for one data
set, the course's settings and the two optima run through a gradient oracle, and the sweep.

Rates are measured on the centred problem (see :mod:`~workbench.momentum.problem`), whose loss
is the excess loss without cancellation, so a fit can use hundreds of decades of decay.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy
import torch

from workbench.errors import GradientMismatch, UnsupportedExpression
from workbench.momentum import theory
from workbench.momentum.descent import Sweep, expand, fit_rate, run_heavy_ball, sweep
from workbench.momentum.problem import (DTYPE, VARIABLES, LeastSquareData, make_oracle,
                                        symbolic_problem)
from workbench.oracles import GradientOracle, compare_gradients, tolerance_for

COURSE_SETTINGS = (("course: lr 0.2", 0.2, 0.0), ("course: momentum 0.3, lr 1.0", 1.0, 0.3),
                   ("lr 1.0 without momentum", 1.0, 0.0))
"""The course's two runs, and the second one's step without its momentum."""
GROWING = 1 + 1e-6
"""A measured rate above this diverges: a step on the boundary itself measures 1 to about 1e-9
(it oscillates forever without growing)."""
MOMENTUM_MAX = 0.99
LR_MAX_FACTOR = 1.05
"""The sweep's steps go up to this times the largest convergent step at MOMENTUM_MAX, so the
boundary is inside the picture."""


@dataclass(frozen=True)
class SettingRun:
    """One (lr, momentum): ``losses (T,)`` of the course's problem from beta = 0, ``excess
    (T,)`` of the centred run, the predicted and the measured rate."""

    name: str
    lr: float
    momentum: float
    predicted: float
    measured: float
    losses: torch.Tensor
    excess: torch.Tensor

    @property
    def relative_error(self) -> float:
        return abs(self.measured / self.predicted - 1) if self.predicted > 0 else float("nan")

    @property
    def diverged(self) -> bool:
        """The loss grows (measured rate above :data:`GROWING`) or overflowed float64."""
        return self.measured > GROWING or not bool(torch.isfinite(self.losses).all())


@dataclass(frozen=True)
class Analysis:
    """Everything measured and predicted for one data set (see :func:`analyse`)."""

    label: str
    data: LeastSquareData
    oracle: str
    hessian_expr: sympy.Basic
    hessian: torch.Tensor
    spectrum: theory.Spectrum
    gd: theory.Optimum
    polyak: theory.Optimum
    runs: list[SettingRun]
    sweep: Sweep
    predicted_grid: torch.Tensor
    iterations: int

    @property
    def gd_run(self) -> SettingRun:
        return self.runs[-2]

    @property
    def polyak_run(self) -> SettingRun:
        return self.runs[-1]


def derive_spectrum(data: LeastSquareData) -> tuple[sympy.Basic, torch.Tensor, theory.Spectrum]:
    """The Hessian derived from the loss (:func:`workbench.derive.higher.derive_hessian`, the
    Jacobian of the symbolic oracle's closed-form gradient), its value at the data ``(p, p)``
    and its spectrum."""
    expr = theory.hessian_expression(symbolic_problem().function, VARIABLES[2], VARIABLES)
    hessian = theory.hessian_matrix(expr, VARIABLES, {"X": data.X, "y": data.y})
    return expr, hessian, theory.Spectrum.of(hessian)


def run_settings(oracle: GradientOracle, data: LeastSquareData, spectrum: theory.Spectrum,
                 settings: list[tuple[str, float, float]], iterations: int) -> list[SettingRun]:
    """Each (name, lr, momentum) from beta = 0: the course's problem and the centred one, each
    as one batched run over the settings."""
    b = len(settings)
    lr = torch.tensor([s[1] for s in settings], dtype=DTYPE)
    mom = torch.tensor([s[2] for s in settings], dtype=DTYPE)
    start = torch.zeros(data.p, 1, dtype=DTYPE)
    shape = (b, 1, 1)
    real = run_heavy_ball(oracle, expand(data.point(start), b), lr.reshape(shape),
                          mom.reshape(shape), iterations, batched=True)
    centred = run_heavy_ball(oracle, expand(data.centred_point(start), b), lr.reshape(shape),
                             mom.reshape(shape), iterations, batched=True)
    predicted = theory.spectral_radius(spectrum, lr, mom)
    measured = fit_rate(centred.losses)
    return [SettingRun(name, float(lr[i]), float(mom[i]), float(predicted[i]),
                       float(measured[i]), real.losses[i], centred.losses[i])
            for i, (name, _, _) in enumerate(settings)]


def sweep_grid(spectrum: theory.Spectrum, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``size`` steps from ``hi / size`` to ``hi`` and ``size`` momenta from 0 to
    :data:`MOMENTUM_MAX`, ``hi`` beyond the convergence boundary."""
    hi = LR_MAX_FACTOR * float(theory.boundary_lr(spectrum, MOMENTUM_MAX))
    return (torch.linspace(hi / size, hi, size, dtype=DTYPE),
            torch.linspace(0.0, MOMENTUM_MAX, size, dtype=DTYPE))


def analyse(data: LeastSquareData, oracle: GradientOracle, label: str, iterations: int = 200,
            grid: int = 60, progress: bool | None = None) -> Analysis:
    """Theory, the settings (:data:`COURSE_SETTINGS`, GD's best, Polyak's) and the
    ``grid x grid`` sweep, all with ``iterations`` steps of ``oracle``."""
    expr, hessian, spectrum = derive_spectrum(data)
    gd, polyak = theory.gd_optimum(spectrum), theory.polyak_optimum(spectrum)
    settings = [*COURSE_SETTINGS, ("gradient descent, best step", gd.lr, 0.0),
                ("heavy ball, Polyak's optimum", polyak.lr, polyak.momentum)]
    runs = run_settings(oracle, data, spectrum, settings, iterations)
    lrs, momenta = sweep_grid(spectrum, grid)
    start = torch.zeros(data.p, 1, dtype=DTYPE)
    result = sweep(oracle, data.centred_point(start), lrs, momenta, iterations,
                   progress=progress)
    predicted = theory.spectral_radius(spectrum, lrs.unsqueeze(0), momenta.unsqueeze(1))
    return Analysis(label, data, oracle.name, expr, hessian, spectrum, gd, polyak, runs, result,
                    predicted, iterations)


def check_oracles(data: LeastSquareData, points: int = 8, seed: int = 0) -> dict:
    """The symbolic and the autograd oracle at ``points`` random betas and at beta* (batched and
    one by one). Raises :class:`GradientMismatch` where they differ beyond the float64
    tolerance; returns the largest differences (relative: to the largest gradient element)."""
    g = torch.Generator().manual_seed(seed)
    betas = torch.cat([torch.randn(points, data.p, 1, generator=g, dtype=DTYPE),
                       data.beta_star.unsqueeze(0)])
    batch = {**expand(data.point(data.beta_star), len(betas)), "beta": betas}
    symbolic, autograd = make_oracle("symbolic"), make_oracle("autograd")
    tol = tolerance_for(DTYPE, "exact")
    worst_abs = worst_rel = 0.0
    cases = [(batch, True), (data.point(betas[0]), False)]
    for point, batched in cases:
        a = symbolic.value_and_grad(point, batched=batched)
        b = autograd.value_and_grad(point, batched=batched)
        bad = compare_gradients(a.grad, b.grad, tol)
        if bad:
            raise GradientMismatch("symbolic and autograd gradients of the least-squares loss "
                                   "disagree: " + "; ".join(d.describe("symbolic", "autograd")
                                                            for d in bad),
                                   {"discrepancies": bad})
        diff = (a.grad["beta"] - b.grad["beta"]).abs()
        worst_abs = max(worst_abs, float(diff.max()))
        worst_rel = max(worst_rel, float(diff.max() / b.grad["beta"].abs().max()))
    return {"points": len(betas) + 1, "max_abs_difference": worst_abs,
            "max_rel_difference": worst_rel, "rtol": tol.rtol, "atol": tol.atol}

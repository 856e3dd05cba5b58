"""Gradient descent with momentum on the course's least squares, driven by a gradient oracle:
the heavy ball on an oracle, theory from the symbolic Hessian, measured rates, sweeps."""

from workbench.momentum.analysis import Analysis, analyse, check_oracles
from workbench.momentum.descent import Run, Sweep, fit_rate, run_heavy_ball, sweep
from workbench.momentum.problem import (LOSS_TEXT, ORACLES, LeastSquare, LeastSquareData,
                                        make_oracle, mean_squared_loss, torch_sgd_run)
from workbench.momentum.theory import (Optimum, Spectrum, boundary_lr, converges, gd_optimum,
                                       hessian_expression, iteration_matrix, polyak_optimum,
                                       spectral_radius)

__all__ = [
    "Analysis", "LOSS_TEXT", "LeastSquare", "LeastSquareData", "ORACLES", "Optimum", "Run",
    "Spectrum", "Sweep", "analyse", "boundary_lr", "check_oracles", "converges", "fit_rate",
    "gd_optimum", "hessian_expression", "iteration_matrix", "make_oracle", "mean_squared_loss",
    "polyak_optimum", "run_heavy_ball", "spectral_radius", "sweep", "torch_sgd_run",
]

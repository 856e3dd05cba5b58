"""Gradient oracles: one interface (value and gradient at a point or a batch of points),
with symbolic, autograd, finite-difference and checked implementations."""

from workbench.oracles.autograd import AutogradOracle
from workbench.oracles.base import Evaluation, Function, FunctionOracle, GradientOracle, Point
from workbench.oracles.checked import CheckedOracle, Discrepancy, compare_gradients
from workbench.oracles.finite_diff import FiniteDifferenceOracle, fd_step
from workbench.oracles.tolerances import TOLERANCES, Tolerance, tolerance_for

__all__ = [
    "AutogradOracle", "CheckedOracle", "Discrepancy", "Evaluation", "FiniteDifferenceOracle",
    "Function", "FunctionOracle", "GradientOracle", "Point", "TOLERANCES", "Tolerance",
    "compare_gradients", "fd_step", "tolerance_for",
]

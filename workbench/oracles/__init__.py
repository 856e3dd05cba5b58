"""Gradient oracles: one interface (value and gradient at a point or a batch of points),
with symbolic, autograd, finite-difference and checked implementations.

The names load on first use (PEP 562): the oracles load torch, and a check that needs only
:mod:`workbench.oracles.tolerances` must not pay for it.
"""

from workbench.lazy import lazy_exports

_HOMES = {
    "AutogradOracle": "autograd",
    "Evaluation": "base", "Function": "base", "FunctionOracle": "base",
    "GradientOracle": "base", "Point": "base",
    "CheckedOracle": "checked", "Discrepancy": "checked", "compare_gradients": "checked",
    "FiniteDifferenceOracle": "finite_diff", "fd_step": "finite_diff",
    "TOLERANCES": "tolerances", "Tolerance": "tolerances", "tolerance_for": "tolerances",
}

__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)


def __dir__():
    return __all__

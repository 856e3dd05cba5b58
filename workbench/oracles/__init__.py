"""Gradient oracles: one interface (value and gradient at a point or a batch of points),
with symbolic, autograd, finite-difference and checked implementations.

The names load on first use (PEP 562): the oracles load torch, and a check that needs only
:mod:`workbench.oracles.tolerances` must not pay for it.
"""

from importlib import import_module

_HOMES = {
    "AutogradOracle": "autograd",
    "Evaluation": "base", "Function": "base", "FunctionOracle": "base",
    "GradientOracle": "base", "Point": "base",
    "CheckedOracle": "checked", "Discrepancy": "checked", "compare_gradients": "checked",
    "FiniteDifferenceOracle": "finite_diff", "fd_step": "finite_diff",
    "TOLERANCES": "tolerances", "Tolerance": "tolerances", "tolerance_for": "tolerances",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module 'workbench.oracles' has no attribute {name!r}")
    return getattr(import_module(f"workbench.oracles.{_HOMES[name]}"), name)


def __dir__():
    return __all__

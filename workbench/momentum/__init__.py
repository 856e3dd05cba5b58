"""Gradient descent with momentum on the course's least squares, driven by a gradient oracle:
the heavy ball on an oracle, theory from the symbolic Hessian, measured rates, sweeps.

The names below load their module (and torch, SymPy) on first use, so that the command line
can register ``workbench momentum`` without paying for them.
"""

from importlib import import_module

_EXPORTS = {
    "analysis": ("Analysis", "analyse", "check_oracles"),
    "descent": ("Run", "Sweep", "fit_rate", "run_heavy_ball", "sweep"),
    "problem": ("LOSS_TEXT", "ORACLES", "LeastSquare", "LeastSquareData", "make_oracle",
                "mean_squared_loss", "torch_sgd_run"),
    "theory": ("Optimum", "Spectrum", "boundary_lr", "converges", "gd_optimum",
               "hessian_expression", "iteration_matrix", "polyak_optimum", "spectral_radius"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str):
    """A public name from its module, imported now (PEP 562)."""
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_MODULE_OF[name]}"), name)

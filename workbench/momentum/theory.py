"""What theory predicts for momentum on a quadratic loss, from the Hessian SymPy derives
(differentiating the gradient that the derivation engine derived and the symbolic oracle uses).

With a constant Hessian H, the error ``e = beta - beta*`` and the velocity z of
:class:`~workbench.optim.HeavyBall` evolve, along each eigenvector of H (eigenvalue lam), by

    z' = rho z + lam e,   e' = e - eta z'      ->   [e', z'] = T [e, z],
    T = [[1 - eta lam, -eta rho], [lam, rho]]     (Nesterov: [[1 - eta lam (1 + rho), -eta rho^2],
                                                               [lam, rho]])

so the error shrinks asymptotically by the spectral radius of T per iteration, the worst over
the eigenvalues. Heavy ball's characteristic polynomial is mu^2 - (1 + rho - eta lam) mu + rho;
Jury's test says it is stable iff |rho| < 1 and 0 < eta lam < 2 (1 + rho) for every lam.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import sympy
import torch

from workbench.derive.explicit import explicit_matrix, make_explicit, probe_sizes
from workbench.errors import UnsupportedExpression, UserError
from workbench.expr.spaces import Variable, dim_symbol, dimension_names, sizes_from_point


def hessian_expression(gradient: sympy.Basic, wrt: Variable,
                       variables: Sequence[Variable]) -> sympy.Basic:
    """``d gradient / d wrt`` by SymPy's matrix calculus: ``(2/n)*X.T*X`` for the course's
    gradient ``(2/n)*X.T*(X*beta - y)``.

    Guarded like the derivation engine guards gradients: at two small explicit sizes it must
    equal the Jacobian of the gradient written out element by element. Raises
    :class:`UnsupportedExpression` when SymPy fails, the guard fails, or the Hessian depends on
    ``wrt`` (the loss is not quadratic and the rates below do not apply).
    """
    beta = wrt.symbol()
    try:
        hessian = sympy.diff(gradient, beta)
    except Exception as exc:  # SymPy's matrix calculus raises many kinds (AttributeError ...)
        raise UnsupportedExpression(f"SymPy could not differentiate the gradient {gradient} "
                                    f"with respect to {wrt.name} ({type(exc).__name__})") from None
    if hessian.has(beta):
        raise UnsupportedExpression(f"the Hessian {hessian} depends on {wrt.name}: the loss is "
                                    f"not quadratic, so its rates are not the spectral radii "
                                    f"of a fixed iteration matrix")
    for sizes in probe_sizes(tuple(dimension_names(variables))):
        gradient_elements = sympy.Matrix(make_explicit(gradient, variables, sizes))
        want = gradient_elements.jacobian(list(explicit_matrix(wrt, sizes)))
        got = sympy.Matrix(make_explicit(hessian, variables, sizes))
        if got.shape != want.shape or any(sympy.expand(e) != 0 for e in got - want):
            raise UnsupportedExpression(f"SymPy's Hessian {hessian} disagrees with elementwise "
                                        f"differentiation at sizes {sizes}")
    return hessian


def hessian_matrix(hessian: sympy.Basic, variables: Sequence[Variable],
                   values: Mapping[str, torch.Tensor]) -> torch.Tensor:
    """The Hessian expression at the data: dimensions read off the tensors of ``values``,
    each matrix symbol replaced by its numbers, evaluated by SymPy. Returns ``(p, p)``
    float64."""
    sizes = sizes_from_point(variables, values, batched=False)
    sized = hessian.subs({dim_symbol(k): v for k, v in sizes.items()})
    numbers = {}
    for v in variables:
        if v.is_matrix and v.name in values:
            symbol = sympy.MatrixSymbol(v.name, *v.concrete_shape(sizes))
            numbers[symbol] = sympy.ImmutableDenseMatrix(values[v.name].tolist())
    explicit = sympy.Matrix(sized.xreplace(numbers).doit())
    return torch.tensor([[float(x) for x in row] for row in explicit.tolist()],
                        dtype=torch.float64)


@dataclass(frozen=True)
class Spectrum:
    """The Hessian's eigenvalues ``(p,)``, ascending, all positive."""

    eigenvalues: torch.Tensor

    @staticmethod
    def of(hessian: torch.Tensor) -> "Spectrum":
        lam = torch.linalg.eigvalsh(hessian)
        if not float(lam[0]) > 0:
            raise UserError(f"the Hessian's smallest eigenvalue is {float(lam[0]):.3g}: the loss "
                            f"is not strongly convex (X has dependent columns); use more "
                            f"samples or --kappa", "data")
        return Spectrum(lam)

    @property
    def lam_min(self) -> float:
        return float(self.eigenvalues[0])

    @property
    def lam_max(self) -> float:
        return float(self.eigenvalues[-1])

    @property
    def kappa(self) -> float:
        """The condition number lam_max / lam_min."""
        return self.lam_max / self.lam_min


@dataclass(frozen=True)
class Optimum:
    """A step size and momentum with the rate theory predicts for them."""

    lr: float
    momentum: float
    rate: float


def gd_optimum(spectrum: Spectrum) -> Optimum:
    """Plain gradient descent's best step ``2 / (lam_min + lam_max)``, rate
    ``(kappa - 1) / (kappa + 1)``."""
    k = spectrum.kappa
    return Optimum(2.0 / (spectrum.lam_min + spectrum.lam_max), 0.0, (k - 1) / (k + 1))


def polyak_optimum(spectrum: Spectrum) -> Optimum:
    """Heavy ball's best setting (Polyak): ``eta* = 4 / (sqrt(lam_max) + sqrt(lam_min))^2``,
    ``rho* = ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2``, rate ``sqrt(rho*)``."""
    s = math.sqrt(spectrum.kappa)
    rho = ((s - 1) / (s + 1)) ** 2
    lr = 4.0 / (math.sqrt(spectrum.lam_max) + math.sqrt(spectrum.lam_min)) ** 2
    return Optimum(lr, rho, math.sqrt(rho))


def iteration_matrix(lam: torch.Tensor, lr: torch.Tensor, momentum: torch.Tensor,
                     nesterov: bool = False) -> torch.Tensor:
    """T for each element of the broadcast shape S of ``lam``, ``lr``, ``momentum``:
    ``(*S, 2, 2)`` acting on ``[e, z]`` (see the module doc)."""
    lam, lr, rho = torch.broadcast_tensors(*(torch.as_tensor(x, dtype=torch.float64)
                                             for x in (lam, lr, momentum)))
    if nesterov:
        top = torch.stack([1 - lr * lam * (1 + rho), -lr * rho * rho], dim=-1)
    else:
        top = torch.stack([1 - lr * lam, -lr * rho], dim=-1)
    return torch.stack([top, torch.stack([lam, rho], dim=-1)], dim=-2)


def spectral_radius(spectrum: Spectrum, lr: torch.Tensor, momentum: torch.Tensor,
                    nesterov: bool = False) -> torch.Tensor:
    """The predicted rate for each (lr, momentum) of their broadcast shape S: the largest
    ``|mu|`` over the eigenvalues of every eigen-direction's T. Returns ``(*S)``."""
    lr = torch.as_tensor(lr, dtype=torch.float64).unsqueeze(-1)
    momentum = torch.as_tensor(momentum, dtype=torch.float64).unsqueeze(-1)
    t = iteration_matrix(spectrum.eigenvalues, lr, momentum, nesterov)   # (*S, p, 2, 2)
    return torch.linalg.eigvals(t).abs().amax(dim=(-2, -1))


def boundary_lr(spectrum: Spectrum, momentum: torch.Tensor | float) -> torch.Tensor:
    """The largest step for which heavy ball converges at this momentum:
    ``2 (1 + rho) / lam_max``."""
    return 2 * (1 + torch.as_tensor(momentum, dtype=torch.float64)) / spectrum.lam_max


def converges(spectrum: Spectrum, lr: torch.Tensor | float,
              momentum: torch.Tensor | float) -> torch.Tensor:
    """Jury's test for heavy ball (no Nesterov): ``|rho| < 1`` and
    ``0 < eta < 2 (1 + rho) / lam_max``, elementwise."""
    lr = torch.as_tensor(lr, dtype=torch.float64)
    rho = torch.as_tensor(momentum, dtype=torch.float64)
    return (rho.abs() < 1) & (lr > 0) & (lr < boundary_lr(spectrum, rho))

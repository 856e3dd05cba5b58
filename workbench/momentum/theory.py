"""What theory predicts for momentum on a quadratic loss, from the Hessian the derivation
engine derives (:mod:`workbench.derive.higher`, the one ``derive --order 2`` prints).

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

from workbench.compile import compile_expr
from workbench.derive.higher import derive_hessian
from workbench.errors import UnsupportedExpression, UserError
from workbench.expr.spaces import Variable


def hessian_expression(function: sympy.Basic, wrt: Variable,
                       variables: Sequence[Variable]) -> sympy.Basic:
    """The Hessian of the loss ``function`` with respect to ``wrt``: ``(2/n)*X.T*X`` for the
    course's mean least squares. It is the closed form that ``workbench derive --order 2``
    prints and that hand Hessians are checked against (:func:`workbench.derive.higher.
    derive_hessian`: SymPy's matrix calculus or matrix differentials, each guarded in high
    precision). Raises :class:`UnsupportedExpression` when there is no closed form, or when the
    Hessian depends on ``wrt`` (the loss is not quadratic and the rates below do not apply).
    """
    d = derive_hessian(function, variables, wrt.name)
    if d.closed is None:
        raise UnsupportedExpression("no closed-form Hessian of the loss: " + "; ".join(d.notes))
    if d.closed.has(wrt.symbol()):
        raise UnsupportedExpression(f"the Hessian {d.closed} depends on {wrt.name}: the loss "
                                    f"is not quadratic, so its rates are not the spectral radii "
                                    f"of a fixed iteration matrix")
    return d.closed


def hessian_matrix(hessian: sympy.Basic, variables: Sequence[Variable],
                   values: Mapping[str, torch.Tensor]) -> torch.Tensor:
    """The Hessian expression at the data (dimensions read off the tensors of ``values``),
    compiled to torch: ``(p, p)`` float64."""
    return compile_expr(hessian, variables)(dict(values)).to(torch.float64)


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

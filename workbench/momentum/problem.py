"""The course's least-squares exercise: data ``y = X beta_true + noise``, the mean squared loss

    L(beta) = (X beta - y)^T (X beta - y) / n        (the course's ((X @ beta - y)**2).mean())

its gradient oracles, and the course's ``LeastSquare`` class. Everything is float64.

The *centred* problem is the same loss with ``y = 0`` at ``beta - beta*``. Since the residual at
the optimum is orthogonal to the columns of X, its iterates are exactly ``beta_k - beta*`` and
its loss is exactly the excess loss ``L(beta_k) - L(beta*) = |X (beta_k - beta*)|^2 / n``,
without the cancellation that stops ``L(beta_k) - L*`` at round-off (~1e-17).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property, lru_cache

import torch

from workbench.errors import UserError
from workbench.expr.spaces import Variable
from workbench.momentum.descent import Run, run_heavy_ball
from workbench.oracles import AutogradOracle, GradientOracle, Point
from workbench.problem import Problem
from workbench.seeds import check_seed

LOSS_TEXT = "(X@beta - y).T@(X@beta - y)/n"
VARIABLES = (Variable.matrix("X", "n", "p"), Variable.matrix("y", "n", 1),
             Variable.matrix("beta", "p", 1))
ORACLES = ("symbolic", "autograd")
DTYPE = torch.float64
LAMBDA_MAX = 2.0
"""Largest Hessian eigenvalue of data built with a given condition number (the course's
standard normal X gives about that), so the course's step sizes stay meaningful."""

# Bounds on the data: the symbolic Hessian is evaluated with SymPy numbers (cost n * p^2).
N_RANGE = (1, 1000)
FEATURES_RANGE = (1, 10)
KAPPA_RANGE = (1.0, 1e12)


def mean_squared_loss(point: Point) -> torch.Tensor:
    """The course's loss as torch code. ``X (..., n, p)``, ``y (..., n, 1)``,
    ``beta (..., p, 1)`` -> ``(...)``: one value per point of a batch."""
    residual = point["X"] @ point["beta"] - point["y"]
    return (residual * residual).sum(dim=(-2, -1)) / residual.shape[-2]


@lru_cache(maxsize=1)
def symbolic_problem() -> Problem:
    """:data:`LOSS_TEXT` through the safe parser and the derivation engine (wrt beta)."""
    return Problem.from_text(LOSS_TEXT, VARIABLES, ["beta"])


def make_oracle(kind: str = "symbolic") -> GradientOracle:
    """``symbolic``: the SymPy closed form ``2 X^T (X beta - y) / n`` compiled to torch;
    ``autograd``: torch.autograd through :func:`mean_squared_loss`, the course's own code."""
    if kind == "symbolic":
        return symbolic_problem().oracle("symbolic")
    if kind == "autograd":
        return AutogradOracle(mean_squared_loss, ["beta"])
    raise UserError(f"unknown oracle {kind!r}; expected one of {', '.join(ORACLES)}", "oracle")


def _check_range(name: str, value: float, bounds: tuple[float, float], fix: str) -> None:
    low, high = bounds
    if not (isinstance(value, (int, float)) and math.isfinite(value) and low <= value <= high):
        raise UserError(f"must be between {low:g} and {high:g}, got {value!r}; {fix}", name)


@dataclass(frozen=True)
class LeastSquareData:
    """``X (n, p)``, ``y (n, 1)``, ``beta_true (p, 1)``, float64, with how they were made."""

    X: torch.Tensor
    y: torch.Tensor
    beta_true: torch.Tensor
    seed: int
    noise: float
    kappa: float | None

    @staticmethod
    def generate(n: int = 10, features: int = 2, seed: int = 0, kappa: float | None = None,
                 noise: float = 0.1) -> "LeastSquareData":
        """The course's data: ``X`` standard normal, ``y = X beta_true + noise * N(0, 1)``.

        With ``kappa``, ``X = U diag(s) V^T`` (random orthonormal U, V) whose Hessian
        ``2 X^T X / n`` has eigenvalues spaced geometrically from ``2 / kappa`` to ``2``, so its
        condition number is exactly ``kappa``.
        """
        _check_range("n", n, N_RANGE, "the number of samples")
        _check_range("features", features, FEATURES_RANGE, "the number of coefficients")
        if n < features:
            raise UserError(f"must be at least features ({features}), got {n}: with fewer "
                            f"samples than coefficients the Hessian is singular", "n")
        _check_range("noise", noise, (0.0, 1e6), "the standard deviation of the noise")
        g = torch.Generator().manual_seed(check_seed(seed, "seed"))
        if kappa is None:
            X = torch.randn(n, features, generator=g, dtype=DTYPE)
        else:
            _check_range("kappa", kappa, KAPPA_RANGE, "the Hessian's condition number (>= 1)")
            if features == 1 and kappa != 1:
                raise UserError(f"one feature means one eigenvalue, so the condition number "
                                f"is 1, not {kappa:g}; use --features 2 or more", "kappa")
            u, _ = torch.linalg.qr(torch.randn(n, features, generator=g, dtype=DTYPE))
            v, _ = torch.linalg.qr(torch.randn(features, features, generator=g, dtype=DTYPE))
            exponents = torch.linspace(0.0, 1.0, features, dtype=DTYPE)
            lam = LAMBDA_MAX * float(kappa) ** (-exponents)
            X = u @ torch.diag(torch.sqrt(n * lam / 2)) @ v.T
        beta_true = torch.randn(features, 1, generator=g, dtype=DTYPE)
        y = X @ beta_true + noise * torch.randn(n, 1, generator=g, dtype=DTYPE)
        return LeastSquareData(X, y, beta_true, int(seed), float(noise),
                               None if kappa is None else float(kappa))

    @property
    def n(self) -> int:
        return self.X.shape[0]

    @property
    def p(self) -> int:
        return self.X.shape[1]

    @cached_property
    def beta_star(self) -> torch.Tensor:
        """The least-squares optimum ``(p, 1)``."""
        return torch.linalg.lstsq(self.X, self.y).solution

    @cached_property
    def loss_star(self) -> float:
        return float(mean_squared_loss(self.point(self.beta_star)))

    def point(self, beta: torch.Tensor) -> dict[str, torch.Tensor]:
        """The oracle's point at ``beta (p, 1)``."""
        return {"X": self.X, "y": self.y, "beta": beta}

    def centred_point(self, beta: torch.Tensor) -> dict[str, torch.Tensor]:
        """The centred problem's point for a run that starts at ``beta (p, 1)``: y = 0 and
        ``beta - beta_star`` (see the module doc). Its losses are the excess losses."""
        return {"X": self.X, "y": torch.zeros_like(self.y), "beta": beta - self.beta_star}

    def summary(self) -> dict:
        return {"n": self.n, "features": self.p, "seed": self.seed, "noise": self.noise,
                "kappa_requested": self.kappa, "loss_star": self.loss_star,
                "beta_star": self.beta_star.reshape(-1).tolist(),
                "beta_true": self.beta_true.reshape(-1).tolist()}


class LeastSquare:
    """The course's class: ``LeastSquare().optimize(nb_iterations=40, momentum=0.0, lr=0.1)``
    returns the loss at each iteration, starting from ``beta = 0``; the gradient comes from
    ``oracle`` (a kind from :data:`ORACLES` or any :class:`GradientOracle` over X, y, beta)."""

    def __init__(self, data: LeastSquareData | None = None,
                 oracle: str | GradientOracle = "symbolic"):
        self.data = data or LeastSquareData.generate()
        self.oracle = make_oracle(oracle) if isinstance(oracle, str) else oracle

    def optimize(self, nb_iterations: int = 40, momentum: float = 0.0, lr: float = 0.1,
                 nesterov: bool = False) -> list[float]:
        beta = torch.zeros(self.data.p, 1, dtype=DTYPE)
        run = run_heavy_ball(self.oracle, self.data.point(beta), lr, momentum, nb_iterations,
                             nesterov=nesterov)
        return run.losses.tolist()


def torch_sgd_run(data: LeastSquareData, lr: float, momentum: float, iterations: int,
                  nesterov: bool = False, keep_params: bool = False) -> Run:
    """The course's own loop, the reference for :func:`run_heavy_ball`: ``torch.optim.SGD`` on
    beta from 0, autograd through :func:`mean_squared_loss`, ``loss.item()`` per step. Returns
    the losses ``(T,)`` and every beta ``(T+1, p, 1)`` when kept, else the last."""
    beta = torch.zeros(data.p, 1, dtype=DTYPE, requires_grad=True)
    opt = torch.optim.SGD([beta], lr=lr, momentum=momentum, nesterov=nesterov)
    params, losses = [beta.detach().clone()], []
    for _ in range(iterations):
        opt.zero_grad()
        loss = mean_squared_loss(data.point(beta))
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if keep_params:
            params.append(beta.detach().clone())
    return Run(torch.tensor(losses, dtype=DTYPE),
               torch.stack(params if keep_params else [beta.detach()]))

"""The references a gradient written as code is checked against, each a gradient oracle of
the shared interface (:mod:`workbench.oracles.base`), of the scalar ``<cotangent, fn(x)>``:

- ``autograd float64``: torch autograd of the same forward in float64 (torch code only, and not
  when the subject is that autograd itself: a custom ``backward``, a module);
- ``complex step``: ``Im f(x + i h e_k) / h`` with ``h = 1e-20``: exact to rounding, no
  cancellation, so it sees an error of 1e-7 relative that finite differences cannot; valid only
  where the code is real-analytic and runs on complex numbers, which is found by trying;
- ``Richardson``: central differences at ``h`` and ``h/2`` combined to cancel the ``h^2`` term
  (error ``O(h^4)``), always available, compared with the finite-difference tolerance.

Each is checked against Richardson at the example before it is trusted (:func:`references`).
"""

from __future__ import annotations

import warnings
from typing import Callable

import numpy as np
import torch

from workbench.oracles.autograd import AutogradOracle
from workbench.oracles.base import Evaluation, FunctionOracle, GradientOracle, Point
from workbench.oracles.finite_diff import central_difference, entrywise_gradient
from workbench.oracles.tolerances import tolerance_for

COMPLEX_STEP = 1e-20
RICHARDSON_STEP = np.finfo(np.float64).eps ** 0.2
"""Base step of the Richardson differences (times max(1, |x|)): balances the O(h^4) truncation
against rounding of order eps/h."""
TRUST_KIND = "finite_difference"
"""A reference is trusted when it agrees with Richardson at the example to this tolerance."""


class _PointwiseOracle(FunctionOracle):
    """An oracle that answers one point at a time (a batch is a loop over its points)."""

    def value_and_grad(self, point: Point, *, batched: bool = False) -> Evaluation:
        if not batched:
            return self.at(point)
        n = next(iter(point.values())).shape[0]
        evs = [self.at({k: v[i] for k, v in point.items()}) for i in range(n)]
        return Evaluation(torch.stack([e.value for e in evs]),
                          {k: torch.stack([e.grad[k] for e in evs]) for k in self.wrt})

    def at(self, point: Point) -> Evaluation:
        raise NotImplementedError


class ComplexStepOracle(_PointwiseOracle):
    """Gradient by the complex step, one call per element (every input made complex128)."""

    name = "complex step"

    def at(self, point: Point) -> Evaluation:
        base = {k: v.to(torch.complex128) if v.is_floating_point() else v
                for k, v in point.items()}
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            value = self.fn(base).real
            grad = {}
            for name in self.wrt:
                flat = base[name].reshape(-1)
                g = torch.empty(flat.shape, dtype=torch.float64, device=flat.device)
                for i in range(flat.numel()):
                    step = torch.zeros_like(flat)
                    step[i] = 1j * COMPLEX_STEP
                    s = self.fn({**base, name: (flat + step).reshape(base[name].shape)})
                    if not torch.is_tensor(s) or not s.is_complex():
                        raise TypeError("the code does not carry complex values through")
                    g[i] = s.imag / COMPLEX_STEP
                grad[name] = g.reshape(point[name].shape)
        return Evaluation(value.to(torch.float64), grad)


class RichardsonOracle(_PointwiseOracle):
    """Central differences at steps ``h`` and ``h/2``, extrapolated: ``(4 D(h/2) - D(h)) / 3``."""

    name = "Richardson"

    def at(self, point: Point) -> Evaluation:
        def partial(name, flat, i):
            h = RICHARDSON_STEP * max(1.0, abs(float(flat[i])))
            d = [central_difference(self.fn, point, name, flat, i, step) for step in (h, h / 2)]
            return (4 * d[1] - d[0]) / 3
        return entrywise_gradient(self.fn, point, self.wrt, partial)


class CodeAutogradOracle(AutogradOracle):
    """Autograd of the user's forward in float64; refuses (``TypeError``) when the forward
    leaves the graph (numpy inside, ``.item()``, ``detach``)."""

    name = "autograd float64"

    def value_and_grad(self, point: Point, *, batched: bool = False) -> Evaluation:
        leaves = {k: point[k].detach().clone().requires_grad_(True) for k in self.wrt}
        with torch.enable_grad():
            if not self.fn({**point, **leaves}).requires_grad:
                raise TypeError("the forward is not differentiable by torch autograd")
        return super().value_and_grad(point, batched=batched)


def tolerance_kind(oracle: GradientOracle) -> str:
    """``exact`` for autograd and the complex step, ``finite_difference`` for Richardson."""
    return "finite_difference" if isinstance(oracle, RichardsonOracle) else "exact"


def references(scalar: Callable[[Point], torch.Tensor], wrt, example: Point,
               with_autograd: bool) -> tuple[list[GradientOracle], list[str]]:
    """The references that work for this code, best first, and notes on those that do not:
    each candidate is tried at ``example`` and kept when it agrees with Richardson there."""
    richardson = RichardsonOracle(scalar, wrt)
    candidates: list[GradientOracle] = [ComplexStepOracle(scalar, wrt)]
    if with_autograd:
        candidates.insert(0, CodeAutogradOracle(scalar, wrt))
    notes = []
    base = richardson(example).grad
    tol = tolerance_for(torch.float64, TRUST_KIND)
    kept: list[GradientOracle] = []
    for oracle in candidates:
        try:
            got = oracle(example).grad
        except Exception as exc:   # the user's code refusing complex numbers or autograd
            notes.append(f"{oracle.name} unavailable: {first_line(exc)}")
            continue
        if all(bool(tol.close(got[k], base[k]).all()) for k in wrt):
            kept.append(oracle)
        else:
            notes.append(f"{oracle.name} unavailable: it disagrees with finite differences "
                         f"at the example (code not real-analytic, or a custom backward inside)")
    return kept + [richardson], notes


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:100]}" if text else type(exc).__name__


__all__ = ["COMPLEX_STEP", "CodeAutogradOracle", "ComplexStepOracle", "RichardsonOracle",
           "first_line", "references", "tolerance_kind"]

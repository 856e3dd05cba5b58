"""Jacobians and Hessians by torch: the references for :mod:`workbench.derive.higher`.

``torch.autograd.functional.jacobian`` and ``hessian`` of a compiled function at one point,
reshaped to the layouts of :class:`workbench.derive.higher.HigherDerivative`: a Jacobian has one
row per output entry and one column per entry of the variable (numerator layout, ``vec`` order
row by row); a Hessian is (entries x entries); a scalar variable keeps the function's shape.
"""

from __future__ import annotations

from typing import Callable, Mapping

import torch

Point = Mapping[str, torch.Tensor]


def autograd_jacobian(fn: Callable[[Point], torch.Tensor], point: Point, name: str
                      ) -> torch.Tensor:
    """The Jacobian of ``fn`` (a matrix value) with respect to ``point[name]``."""
    x = point[name]

    def at(t):
        return fn({**point, name: t})

    j = torch.autograd.functional.jacobian(at, x)
    out = at(x)
    if x.dim() == 0:
        return j.reshape(out.shape)
    return j.reshape(out.numel(), x.numel())


def autograd_hessian(fn: Callable[[Point], torch.Tensor], point: Point, name: str
                     ) -> torch.Tensor:
    """The Hessian of a scalar ``fn`` with respect to ``point[name]``."""
    x = point[name]

    def at(t):
        return fn({**point, name: t}).reshape(())

    h = torch.autograd.functional.hessian(at, x)
    return h.reshape(()) if x.dim() == 0 else h.reshape(x.numel(), x.numel())


__all__ = ["autograd_hessian", "autograd_jacobian"]

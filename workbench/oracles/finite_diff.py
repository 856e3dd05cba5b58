"""Central finite differences, the step chosen per dtype.

The step ``h = eps ** (1/3) * max(1, |x|)`` balances truncation (O(h^2)) against rounding
(O(eps / h)) for a central difference. All perturbed copies of a point are stacked into one
batch, so a whole gradient costs one call of the function when it accepts batches.
"""

from __future__ import annotations

from typing import Mapping

import torch

from workbench.oracles.base import Evaluation, Function, FunctionOracle, Point


KINK_RTOL = 1e-3
"""One-sided differences of a smooth function differ by about h|f''| (h ~ 6e-6 in float64);
a kink makes them differ by O(1)."""


def fd_step(x: torch.Tensor) -> torch.Tensor:
    """Central-difference step for each element of ``x``, from its dtype's machine epsilon."""
    eps = torch.finfo(x.dtype).eps
    return eps ** (1.0 / 3.0) * torch.clamp(x.detach().abs(), min=1.0)


def central_difference(fn: Function, point: Point, name: str, flat: torch.Tensor, i: int,
                       h) -> torch.Tensor:
    """``(f(x + h e_i) - f(x - h e_i)) / 2h`` for entry ``i`` of ``point[name]`` (``flat``:
    that tensor flattened), one point, two calls of ``fn``."""
    e = torch.zeros_like(flat)
    e[i] = h
    shape = point[name].shape
    plus = fn({**point, name: (flat + e).reshape(shape)})
    minus = fn({**point, name: (flat - e).reshape(shape)})
    return (plus - minus) / (2 * h)


def entrywise_gradient(fn: Function, point: Point, wrt, partial) -> Evaluation:
    """The value of ``fn`` at one point and its gradient entry by entry, without autograd:
    ``partial(name, flat, i)`` gives the derivative along entry ``i`` of ``point[name]``
    (``flat``: that tensor flattened)."""
    with torch.no_grad():
        value = fn(point)
        grad = {}
        for name in wrt:
            flat = point[name].reshape(-1)
            g = torch.empty_like(flat)
            for i in range(flat.numel()):
                g[i] = partial(name, flat, i)
            grad[name] = g.reshape(point[name].shape)
    return Evaluation(value, grad)


class FiniteDifferenceOracle(FunctionOracle):
    """Gradient by central differences, element by element, in one batched call.

    ``accepts_batches=False`` for functions that only take one point (e.g. a network's loss on
    a minibatch): then each element costs two calls; prefer :meth:`directional_derivative`.
    """

    name = "finite-difference"

    def __init__(self, fn: Function, wrt, accepts_batches: bool = True, name: str | None = None):
        super().__init__(fn, wrt, name)
        self.accepts_batches = accepts_batches

    def value_and_grad(self, point: Point, *, batched: bool = False) -> Evaluation:
        if not batched:
            one = {k: v.unsqueeze(0) for k, v in point.items()}
            ev = self.value_and_grad(one, batched=True) if self.accepts_batches else None
            if ev is not None:
                return Evaluation(ev.value[0], {k: g[0] for k, g in ev.grad.items()})
            return self._unbatched(point)
        if not self.accepts_batches:
            evs = [self._unbatched({k: v[i] for k, v in point.items()})
                   for i in range(_batch_size(point))]
            return Evaluation(torch.stack([e.value for e in evs]),
                              {k: torch.stack([e.grad[k] for e in evs]) for k in self.wrt})
        return self.with_kinks(point)[0]

    def with_kinks(self, point: Point) -> tuple[Evaluation, torch.Tensor]:
        """Batched evaluation, and a ``(B,)`` mask of points where a one-sided difference
        disagrees with the other (a kink such as |x| at 0, or extreme curvature): a central
        difference there means nothing, so checkers skip those points."""
        with torch.no_grad():
            value = self.fn(point)
            kinks = torch.zeros(value.shape, dtype=torch.bool, device=value.device)
            grad = {}
            for k in self.wrt:
                grad[k], kink = self._batched_partials(point, k, value)
                kinks |= kink
        return Evaluation(value, grad), kinks

    def _batched_partials(self, point: Point, name: str, value: torch.Tensor):
        x = point[name]
        b = x.shape[0]
        shape = x.shape[1:]
        m = int(torch.Size(shape).numel())
        h = fd_step(x).reshape(b, m)                                     # (B, m)
        eye = torch.eye(m, dtype=x.dtype, device=x.device)               # (m, m)
        delta = eye.unsqueeze(1) * h.unsqueeze(0)                         # (m, B, m)
        base = x.reshape(1, b, m)
        shifted = torch.cat([base + delta, base - delta])                 # (2m, B, m)
        stacked = {k: (v.unsqueeze(0).expand(2 * m, *v.shape).reshape(2 * m * b, *v.shape[1:])
                       if k != name else shifted.reshape(2 * m * b, *shape))
                   for k, v in point.items()}
        values = self.fn(stacked).reshape(2, m, b)
        partial = (values[0] - values[1]) / (2 * h.T)                      # (m, B)
        right, left = (values[0] - value) / h.T, (value - values[1]) / h.T
        kink = ((right - left).abs() > KINK_RTOL * (1 + partial.abs())).any(0)
        return partial.T.reshape(b, *shape), kink

    def _unbatched(self, point: Point) -> Evaluation:
        return entrywise_gradient(
            self.fn, point, self.wrt,
            lambda name, flat, i: central_difference(self.fn, point, name, flat, i,
                                                     fd_step(flat[i])))

    def directional_derivative(self, point: Point, direction: Mapping[str, torch.Tensor], *,
                               batched: bool = False) -> torch.Tensor:
        """(f(x + h d) - f(x - h d)) / 2h with h from the largest element of the point."""
        if batched and not self.accepts_batches:
            return torch.stack([self.directional_derivative(
                {k: v[i] for k, v in point.items()}, {k: d[i] for k, d in direction.items()})
                for i in range(_batch_size(point))])
        ref = point[self.wrt[0]]
        scale = max(1.0, max(float(point[k].detach().abs().max()) for k in self.wrt))
        h = torch.finfo(ref.dtype).eps ** (1.0 / 3.0) * scale
        with torch.no_grad():
            plus = self.fn({**point, **{k: point[k] + h * direction[k] for k in self.wrt}})
            minus = self.fn({**point, **{k: point[k] - h * direction[k] for k in self.wrt}})
        return (plus - minus) / (2 * h)


def _batch_size(point: Point) -> int:
    return next(iter(point.values())).shape[0]

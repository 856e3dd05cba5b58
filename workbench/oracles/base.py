"""The gradient-oracle interface that every part of the workbench uses.

An oracle answers: at this point, what is the value of the function and its gradient with
respect to the variables in ``wrt``? A *point* maps every input name to a tensor: the variables
being differentiated and any data the function needs (``X``, ``y``, a CIFAR batch ...).

Shapes: a scalar variable is a 0-d tensor, a matrix variable an ``(r, c)`` tensor. With
``batched=True`` every input carries one more leading dimension ``B`` (B independent points) and
so do the value ``(B,)`` and each gradient ``(B, *shape)``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Callable, Mapping

import torch

Point = Mapping[str, torch.Tensor]
Function = Callable[[Point], torch.Tensor]
"""A torch function of a point. Given batched inputs it must return one value per point."""


@dataclass(frozen=True)
class Evaluation:
    """Value ``()`` or ``(B,)`` and gradient per differentiated variable (same shape as it)."""

    value: torch.Tensor
    grad: dict[str, torch.Tensor]


class GradientOracle(ABC):
    """Value and gradient of a scalar function at a point or a batch of points."""

    name: str = "oracle"

    def __init__(self, wrt: tuple[str, ...] | list[str]):
        if not wrt:
            raise ValueError("an oracle needs at least one variable to differentiate (wrt)")
        self.wrt = tuple(wrt)

    @abstractmethod
    def value_and_grad(self, point: Point, *, batched: bool = False) -> Evaluation:
        """Value and gradient at ``point`` (or at each of the B points when ``batched``)."""

    def __call__(self, point: Point, *, batched: bool = False) -> Evaluation:
        return self.value_and_grad(point, batched=batched)

    def grad(self, point: Point, *, batched: bool = False) -> dict[str, torch.Tensor]:
        return self.value_and_grad(point, batched=batched).grad

    def directional_derivative(self, point: Point, direction: Mapping[str, torch.Tensor], *,
                               batched: bool = False) -> torch.Tensor:
        """d/dt f(point + t * direction) at t = 0, i.e. the sum over ``wrt`` of grad · direction."""
        grad = self.grad(point, batched=batched)
        return sum(_inner(grad[k], direction[k], batched) for k in self.wrt)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(wrt={self.wrt!r})"


def gradients_at(oracles: Mapping[str, GradientOracle], point: Point, *, batched: bool = False
                 ) -> dict[str, dict[str, torch.Tensor] | None]:
    """The gradient at ``point`` from every oracle: ``{kind: {name: tensor}}``. An oracle that
    cannot answer there (a hand gradient of the wrong shape, explicit sizes over budget, a
    runtime error of torch) gives None."""
    from workbench.errors import UserError
    out: dict[str, dict[str, torch.Tensor] | None] = {}
    for kind, oracle in oracles.items():
        try:
            out[kind] = oracle(point, batched=batched).grad
        except (UserError, RuntimeError):
            out[kind] = None
    return out


def _inner(a: torch.Tensor, b: torch.Tensor, batched: bool) -> torch.Tensor:
    prod = a * b
    return prod.reshape(prod.shape[0], -1).sum(-1) if batched else prod.sum()


class FunctionOracle(GradientOracle):
    """An oracle built on a torch function of a point (see :data:`Function`)."""

    def __init__(self, fn: Function, wrt, name: str | None = None):
        super().__init__(wrt)
        self.fn = fn
        if name:
            self.name = name

    def value(self, point: Point, *, batched: bool = False) -> torch.Tensor:
        with torch.no_grad():
            return self.fn(point)

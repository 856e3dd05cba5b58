"""Reverse-mode gradients from torch.autograd over any torch function of a point."""

from __future__ import annotations

import torch

from workbench.oracles.base import Evaluation, FunctionOracle, Point


class AutogradOracle(FunctionOracle):
    """Gradients by ``torch.autograd.grad``. Batched points are independent, so the gradient of
    the summed values gives every point's own gradient in one backward pass."""

    name = "autograd"

    def value_and_grad(self, point: Point, *, batched: bool = False) -> Evaluation:
        leaves = {k: point[k].detach().clone().requires_grad_(True) for k in self.wrt}
        inputs = {**point, **leaves}
        with torch.enable_grad():
            value = self.fn(inputs)
            if value.requires_grad:
                grads = torch.autograd.grad(value.sum(), [leaves[k] for k in self.wrt],
                                            allow_unused=True)
            else:
                grads = (None,) * len(self.wrt)
        grad = {k: (torch.zeros_like(leaves[k]) if g is None else g)
                for k, g in zip(self.wrt, grads)}
        return Evaluation(value.detach(), grad)

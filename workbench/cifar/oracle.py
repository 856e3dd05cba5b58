"""The network's loss as a gradient oracle, and its spot check against finite differences.

A *point* holds the network's named parameters (``conv1.weight`` ... ``fc3.bias``) and the
batch: ``images`` float ``(B, 3, 32, 32)`` (normalised) and ``labels`` int64 ``(B,)``. The value
is the mean cross-entropy over the batch; the gradient is taken with respect to the parameters.
Oracles are chosen by name from :data:`ORACLES`.
"""

from __future__ import annotations

from typing import Callable, Mapping

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call

from workbench.errors import GradientMismatch, UserError
from workbench.oracles import AutogradOracle, FiniteDifferenceOracle, Function, GradientOracle
from workbench.oracles.base import Evaluation, Point
from workbench.oracles.checked import PeriodicallyChecked
from workbench.oracles.tolerances import Tolerance, tolerance_for


def cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The course's criterion: mean cross-entropy over the batch."""
    return F.cross_entropy(logits, labels)


def loss_function(net: nn.Module) -> Function:
    """The loss of ``net`` on a point's batch, as a function of the whole point (parameters of
    any float dtype: float64 copies give a float64 loss)."""
    names = parameter_names(net)

    def loss(point: Point) -> torch.Tensor:
        logits = functional_call(net, {k: point[k] for k in names}, (point["images"],))
        return cross_entropy(logits, point["labels"])

    return loss


def parameter_names(net: nn.Module) -> tuple[str, ...]:
    return tuple(name for name, _ in net.named_parameters())


class NetworkAutogradOracle(AutogradOracle):
    """Reverse mode through torch.autograd, for the network's loss.

    When the point's parameters are the network's own tensors (as in training), they are
    differentiated where they are: no copies and no ``functional_call``, which at the course's
    batch of 4 is ~15 % of a step. Any other point goes through :class:`AutogradOracle`.
    """

    def __init__(self, net: nn.Module):
        super().__init__(loss_function(net), parameter_names(net), name="autograd")
        self.net = net
        self.params = dict(net.named_parameters())

    def value_and_grad(self, point: Point, *, batched: bool = False) -> Evaluation:
        if batched or any(point[k] is not self.params[k] for k in self.wrt):
            return super().value_and_grad(point, batched=batched)
        with torch.enable_grad():
            value = cross_entropy(self.net(point["images"]), point["labels"])
            grads = torch.autograd.grad(value, [self.params[k] for k in self.wrt])
        return Evaluation(value.detach(), dict(zip(self.wrt, grads)))


def _derived(net: nn.Module) -> GradientOracle:
    """The backward pass by the derived layer rules (:mod:`workbench.backprop`, loaded on use)."""
    from workbench.backprop import DerivedBackpropOracle
    return DerivedBackpropOracle(net)


ORACLES: dict[str, Callable[[nn.Module], GradientOracle]] = {
    "autograd": NetworkAutogradOracle,
    "derived": _derived,
}
"""Oracles for the network's loss, by the name ``--oracle`` takes."""


def make_oracle(name: str, net: nn.Module) -> GradientOracle:
    """The oracle registered as ``name`` for ``net``."""
    return oracle_factory(name)(net)


def oracle_factory(name: str) -> Callable[[nn.Module], GradientOracle]:
    """The factory registered as ``name``; an unknown name is a :class:`UserError`."""
    try:
        return ORACLES[name]
    except KeyError:
        raise UserError(f"unknown oracle {name!r}; choose one of {', '.join(sorted(ORACLES))}",
                        "--oracle") from None


class SpotCheckedOracle(PeriodicallyChecked):
    """Answers with ``primary``; on call 1 and every ``every`` calls after, checks it.

    The check, for each parameter tensor: draw a random direction ``d`` (unit norm, zero on
    the other parameters), and compare the directional derivative ``grad · d`` from
    ``primary`` with the central difference of ``fn`` along ``d``, both in float64 on the
    current batch. A ReLU or max-pool that switches inside the tiny step can spoil one
    difference; a wrong gradient disagrees for every direction, so a failure is confirmed
    with a second direction before :class:`GradientMismatch` is raised, naming the layer,
    the parameter and both numbers.
    """

    name = "spot-checked"

    def __init__(self, primary: GradientOracle, fn: Function, every: int, seed: int = 0,
                 tolerance: Tolerance | None = None):
        super().__init__(primary, every)
        self.fn, self.seed = fn, seed
        self.tolerance = tolerance or tolerance_for(torch.float64, "finite_difference")

    # The step along d is (finite-difference step) x |d|: with |d| = 1e-2 it is about 6e-8,
    # so units rarely switch inside it, while float64 rounding (~1e-16 / 6e-8) stays far below
    # the tolerance. Both sides are divided by |d| to compare derivatives along unit directions.
    DIRECTION_NORM = 1e-2

    def check(self, point: Point, result: Evaluation | None = None,
              batched: bool = False) -> None:
        """Raise :class:`GradientMismatch` unless ``primary`` agrees with central differences."""
        point64 = {k: v.double() if v.is_floating_point() else v for k, v in point.items()}
        grad = self.primary.value_and_grad(point64).grad
        gen = torch.Generator().manual_seed(self.seed * 1_000_003 + self.calls)
        for name in self.wrt:
            misses = []
            for _ in range(2):
                d = torch.randn(point64[name].shape, generator=gen, dtype=torch.float64)
                d = (d * (self.DIRECTION_NORM / d.norm())).to(point64[name].device)
                got = float((grad[name] * d).sum()) / self.DIRECTION_NORM
                fd = FiniteDifferenceOracle(self.fn, (name,), accepts_batches=False)
                want = float(fd.directional_derivative(point64, {name: d})) / self.DIRECTION_NORM
                if bool(self.tolerance.close(torch.tensor(got), torch.tensor(want))):
                    break
                misses.append((got, want))
            else:
                raise GradientMismatch(self._describe(name, misses, point),
                                       {"layer": name.split(".")[0], "parameter": name,
                                        "call": self.calls, "directional_derivatives": misses})

    def _describe(self, name: str, misses: list[tuple[float, float]], point: Point) -> str:
        got, want = misses[0]
        abs_err = abs(got - want)
        rel_err = abs_err / max(abs(got), abs(want), 1e-300)
        return (f"gradient spot check failed at step {self.calls}, layer "
                f"{name.split('.')[0]} ({name}, shape {tuple(point[name].shape)}), batch of "
                f"{point['labels'].shape[0]} images: {self.primary.name} gives the directional "
                f"derivative {got:.10g} along a random unit direction, central differences in "
                f"float64 give {want:.10g} (abs err {abs_err:.3g}, rel err {rel_err:.3g} > "
                f"rtol {self.tolerance.rtol:g}, atol {self.tolerance.atol:g}); a second "
                f"direction gave {misses[1][0]:.10g} vs {misses[1][1]:.10g}")


def network_point(params: Mapping[str, torch.Tensor], images: torch.Tensor,
                  labels: torch.Tensor) -> dict[str, torch.Tensor]:
    """The oracle's point: named parameters plus the batch."""
    return {**params, "images": images, "labels": labels}

"""The course's ``Net`` differentiated by hand: a gradient oracle that runs the layers' rules.

The forward pass walks :data:`NET_LAYERS` and keeps, for each layer, what its rule's backward
needs; the backward walks the list in reverse and applies the rules of
:mod:`workbench.backprop.rules` with plain tensor operations. No autograd is involved.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from workbench.backprop import rules
from workbench.errors import UserError
from workbench.oracles.base import Evaluation, GradientOracle, Point

NET_LAYERS: tuple[tuple[str, str | None], ...] = (
    ("conv2d", "conv1"), ("relu", None), ("maxpool2", None),
    ("conv2d", "conv2"), ("relu", None), ("maxpool2", None),
    ("flatten", None),
    ("linear", "fc1"), ("relu", None),
    ("linear", "fc2"), ("relu", None),
    ("linear", "fc3"),
)
"""The course's ``Net.forward`` as (kind of layer, parameter prefix), in order; the loss is
``softmax_xent`` on the last output."""


class DerivedBackpropOracle(GradientOracle):
    """Mean cross-entropy of the course's ``Net`` and its gradient, by the derived layer rules.

    The point is the one of :func:`workbench.cifar.oracle.network_point`: the named parameters
    (``conv1.weight`` ... ``fc3.bias``, any float dtype) plus ``images (B, 3, 32, 32)`` and
    ``labels (B,)``. The gradient names are the network's parameter names, as for
    ``NetworkAutogradOracle``. With ``batched=True`` each entry carries a leading dimension of
    independent points, answered one after another.
    """

    name = "derived"

    def __init__(self, net: nn.Module, layers=NET_LAYERS):
        names = tuple(name for name, _ in net.named_parameters())
        expected = tuple(f"{prefix}.{p}" for kind, prefix in layers if prefix
                         for p in rules.RULES[kind].params)
        if names != expected:
            raise UserError(f"the derived oracle knows the course's Net (parameters "
                            f"{', '.join(expected)}); this network has {', '.join(names)}",
                            "--oracle derived")
        super().__init__(names)
        self.layers = layers

    def value_and_grad(self, point: Point, *, batched: bool = False) -> Evaluation:
        if batched:
            size = point["labels"].shape[0]
            each = [self.value_and_grad({k: v[i] for k, v in point.items()})
                    for i in range(size)]
            return Evaluation(torch.stack([e.value for e in each]),
                              {k: torch.stack([e.grad[k] for e in each]) for k in self.wrt})
        with torch.no_grad():
            loss, tape = self.forward(point)
            return Evaluation(loss, self.backward(loss, tape))

    def forward(self, point: Point) -> tuple[torch.Tensor, list]:
        """The loss at ``point`` and the tape: for each layer, what its backward needs
        (call under ``torch.no_grad``)."""
        x = point["images"]
        tape = []
        for kind, prefix in self.layers:
            params = {p: point[f"{prefix}.{p}"] for p in rules.RULES[kind].params}
            x, saved = rules.RULES[kind].forward(x, params)
            tape.append((kind, prefix, saved))
        loss, saved = rules.RULES["softmax_xent"].forward(x, point["labels"])
        tape.append(("softmax_xent", None, saved))
        return loss, tape

    def backward(self, loss: torch.Tensor, tape: list) -> dict[str, torch.Tensor]:
        """The gradient of the loss for every parameter, from the loss and tape of
        :meth:`forward`, by the rules applied in reverse (call under ``torch.no_grad``)."""
        g = torch.ones_like(loss)
        grads = {}
        for depth in range(len(tape) - 1, -1, -1):
            kind, prefix, saved = tape[depth]
            g, param_grads = rules.RULES[kind].backward(g, saved, depth > 0)
            grads.update({f"{prefix}.{p}": v for p, v in param_grads.items()})
        return {k: grads[k] for k in self.wrt}

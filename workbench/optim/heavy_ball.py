"""Gradient descent with momentum (heavy ball), the course's update

    z <- rho * z + grad L(beta),    beta <- beta - eta * z

which is exactly ``torch.optim.SGD(lr=eta, momentum=rho)`` (dampening 0). ``nesterov=True``
uses ``grad + rho * z`` as the step, as torch does. ``lr`` and ``momentum`` may be tensors that
broadcast against the parameters, so that many settings run as one batched computation.
"""

from __future__ import annotations

from typing import Mapping

import torch


class HeavyBall:
    """Stateful heavy-ball step over named parameters, updated in place."""

    def __init__(self, lr: float | torch.Tensor, momentum: float | torch.Tensor = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0):
        self.lr, self.momentum = lr, momentum
        self.nesterov, self.weight_decay = nesterov, weight_decay
        self.velocity: dict[str, torch.Tensor] = {}

    @torch.no_grad()
    def step(self, params: Mapping[str, torch.Tensor], grads: Mapping[str, torch.Tensor]) -> None:
        """Move each ``params[k]`` (in place) along ``grads[k]``."""
        for name, g in grads.items():
            p = params[name]
            if self.weight_decay:
                g = g + self.weight_decay * p
            z = self.velocity.get(name)
            if z is None:
                z = self.velocity[name] = g.detach().clone()
            else:
                z.mul_(self.momentum).add_(g)
            update = g + self.momentum * z if self.nesterov else z
            p.sub_(self.lr * update)

    def state_dict(self) -> dict:
        return {"velocity": {k: v.clone() for k, v in self.velocity.items()}}

    def load_state_dict(self, state: Mapping) -> None:
        self.velocity = {k: v.clone() for k, v in state["velocity"].items()}

"""Optimizers that take their gradients from a gradient oracle."""

from workbench.optim.heavy_ball import HeavyBall

__all__ = ["HeavyBall"]

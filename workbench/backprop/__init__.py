"""Backprop by hand: the course Net's layer gradients as short rules, derived and verified with
SymPy, and an oracle that trains the network on them."""

from workbench.backprop.oracle import NET_LAYERS, DerivedBackpropOracle
from workbench.backprop.rules import RULES, Rule, vjp

__all__ = ["DerivedBackpropOracle", "NET_LAYERS", "RULES", "Rule", "vjp"]

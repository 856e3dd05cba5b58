"""Symbolic differentiation: scalar and matrix calculus, explicit-size guard and fallback."""

from workbench.derive.explicit import explicit_gradient, make_explicit, probe_sizes
from workbench.derive.gradient import Derivation, derive_gradient
from workbench.derive.limits import time_limit, too_big

__all__ = ["Derivation", "derive_gradient", "explicit_gradient", "make_explicit",
           "probe_sizes", "time_limit", "too_big"]

"""The symbolic oracle: SymPy's closed-form gradient compiled to torch.

Where the derivation had to fall back to explicit sizes, the gradient is derived and compiled
once per set of sizes met (read off the point's tensors) and cached.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import sympy
import torch

from workbench.compile import compile_expr
from workbench.derive.explicit import to_matrix_elements
from workbench.derive.gradient import Derivation
from workbench.expr.spaces import Variable, sizes_from_point
from workbench.oracles.base import Evaluation, GradientOracle, Point


class ValueFunction:
    """The function of a derivation compiled to torch: a point (or batch) in, a value ``()`` or
    ``(B,)`` out (a 1x1 matrix function is read as its entry)."""

    def __init__(self, function: sympy.Basic, variables: Sequence[Variable],
                 extra_funcs: Mapping | None = None):
        self.compiled = compile_expr(function, variables, extra_funcs)

        self.variables = tuple(variables)

    def __call__(self, point: Point, batched: bool | None = None) -> torch.Tensor:
        """``batched=None`` infers it from the inputs' number of dimensions, so that this is a
        :data:`~workbench.oracles.base.Function` for the autograd and finite-difference
        oracles."""
        if batched is None:
            batched = is_batched(self.variables, point)
        out = self.compiled(point, batched=batched)
        return out.reshape(out.shape[:-2]) if self.compiled.is_matrix else out


def is_batched(variables: Sequence[Variable], point: Point) -> bool:
    """True when the point's tensors carry a leading batch dimension."""
    for v in variables:
        if v.name in point:
            return point[v.name].dim() == (3 if v.is_matrix else 1)
    return False


class SymbolicOracle(GradientOracle):
    """Value and gradient from compiled closed forms (see module docstring)."""

    name = "symbolic"

    def __init__(self, derivation: Derivation, extra_funcs: Mapping | None = None):
        super().__init__(derivation.wrt)
        self.derivation = derivation
        self.extra_funcs = extra_funcs
        self.value_fn = ValueFunction(derivation.function, derivation.variables, extra_funcs)
        self._closed = {name: compile_expr(g, derivation.variables, extra_funcs)
                        for name, g in derivation.gradient.items() if g is not None}
        self._explicit: dict[tuple, dict] = {}

    def _gradient_fns(self, point: Point, batched: bool) -> dict:
        missing = [n for n in self.wrt if n not in self._closed]
        if not missing:
            return self._closed
        sizes = sizes_from_point(self.derivation.variables, point, batched)
        key = tuple(sorted(sizes.items()))
        if key not in self._explicit:
            exprs = self.derivation.explicit(sizes)
            self._explicit[key] = {
                n: compile_expr(to_matrix_elements(exprs[n], self.derivation.variables, sizes),
                                self.derivation.variables, self.extra_funcs)
                for n in missing}
        return {**self._closed, **self._explicit[key]}

    def value_and_grad(self, point: Point, *, batched: bool = False) -> Evaluation:
        fns = self._gradient_fns(point, batched)
        with torch.no_grad():
            value = self.value_fn(point, batched)
            grad = {}
            for name in self.wrt:
                g = fns[name](point, batched=batched)
                grad[name] = g.expand_as(point[name]) if g.shape != point[name].shape else g
        return Evaluation(value, grad)

"""The symbolic route beside the graph: a formula for the gradient, evaluated at the point.

The formula is the workbench's derivation (:func:`workbench.derive.derive_gradient`: SymPy,
guarded by explicit sizes for matrices); it is evaluated exactly by substituting the point's
exact values, then in float64.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import sympy

from workbench.derive.explicit import element_values, make_explicit
from workbench.derive.gradient import derive_gradient, tidy
from workbench.expr.parser import parse
from workbench.expr.spaces import Variable
from workbench.trace.result import Number


@dataclass(frozen=True)
class SymbolicRoute:
    """``function`` as SymPy reads it, ``formula[name]`` the gradient (a closed form, or the
    explicit-size form where only that works: ``method[name] == "explicit"``), ``at[name]``
    its value at the point (``None`` where it could not be evaluated)."""

    function: sympy.Basic
    formula: dict[str, sympy.Basic]
    method: dict[str, str]
    at: dict[str, Number | None]
    notes: tuple[str, ...] = ()


def symbolic_route(text: str, variables: Sequence[Variable], wrt: Sequence[str],
                   point: Mapping[str, sympy.Basic], sizes: Mapping[str, int]) -> SymbolicRoute:
    """Derive the gradient of ``text`` and evaluate it at ``point`` (exact values per variable:
    SymPy numbers, ImmutableMatrix for matrices)."""
    function = parse(text, variables)
    derivation = derive_gradient(function, variables, wrt)
    formula, method, at = {}, {}, {}
    table = {v.name: v for v in variables}
    for name in wrt:
        g = derivation.gradient[name]
        if g is None:
            g = derivation.explicit(sizes)[name]
        formula[name], method[name] = g, derivation.method[name]
        shape = table[name].concrete_shape(sizes) if table[name].is_matrix else None
        at[name] = evaluate_at(g, shape, variables, point, sizes)
    return SymbolicRoute(function, formula, method, at, tuple(derivation.notes))


def evaluate_at(g, shape, variables: Sequence[Variable], point: Mapping,
                sizes: Mapping) -> Number | None:
    """``g`` at the point, exactly and in float64, as a value of ``shape`` (None: a scalar)."""
    sub = element_values(variables, point)
    try:
        explicit = make_explicit(g, variables, sizes) if any(v.is_matrix for v in variables) \
            else g
        exact = explicit.xreplace(sub)
        exact = exact.doit() if hasattr(exact, "doit") else exact
        exact = exact.applyfunc(tidy) if hasattr(exact, "applyfunc") else tidy(exact)
        entries = list(exact) if hasattr(exact, "shape") else [exact]
        floats = [float(sympy.N(e, 30)) for e in entries]
    except (TypeError, ValueError, ArithmeticError):
        return None
    if shape is None:
        return Number(floats[0], entries[0]) if len(entries) == 1 else None
    return Number(np.array(floats, dtype=np.float64).reshape(shape),
                  sympy.ImmutableMatrix(shape[0], shape[1], entries))

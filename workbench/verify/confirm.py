"""High-precision re-examination of one float point: is the disagreement real, is the
agreement real, and what are the true values where float64 gave up?

The point's floats are taken as the exact rationals they are; the true gradient is the derived
closed form evaluated in adaptive precision (:func:`workbench.derive.precise.evaluate`), or,
where only explicit sizes give a gradient, central differences of the function in high
precision (:func:`workbench.derive.precise.derivative`). A point on a kink (an argument of
``Abs``, ``sign``, ``Max`` ... exactly 0) is not examined: conventions differ there.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import sympy
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from workbench.derive import precise
from workbench.derive.equality import is_switch
from workbench.derive.explicit import element_values, exact_values
from workbench.derive.gradient import Derivation
from workbench.derive.limits import too_big
from workbench.errors import ResourceLimit
from workbench.expr.spaces import dim_symbol
from workbench.words import Note

FAILURES = (precise.Undefined, precise.OutOfReach, precise.Unsupported, ResourceLimit,
            RecursionError, ZeroDivisionError, ValueError, TypeError)


class PreciseReference:
    """Hand and true gradients of one problem at exact points (see module docstring)."""

    def __init__(self, derivation: Derivation, hand: Mapping[str, sympy.Basic] | None):
        self.d = derivation
        self.hand = dict(hand or {})
        exprs = [derivation.function, *[g for g in derivation.gradient.values() if g is not None],
                 *self.hand.values()]
        self.kinks = _kink_arguments(exprs)

    def values(self, point: Mapping[str, object], sizes: Mapping[str, int]) -> dict:
        """Exact values for :mod:`~workbench.derive.precise` from one float point."""
        return self.exact_values({v.name: precise.exact(np.asarray(point[v.name],
                                                                   dtype=np.float64))
                                  for v in self.d.variables}, sizes)

    def exact_values(self, by_name: Mapping[str, object], sizes: Mapping[str, int]) -> dict:
        """The values :mod:`~workbench.derive.precise` reads, from exact values by name."""
        return exact_values(self.d.variables, by_name, sizes)

    def on_kink(self, values: dict) -> bool:
        """True when an argument of a kink is 0 here (or indistinguishable from 0)."""
        for arg, bound in self.kinks:
            try:
                if bound is None:
                    g = precise.evaluate(arg, values, digits=25)
                    entries = [g]
                else:
                    var, inner = bound
                    m = precise.evaluate(inner, values, digits=25)
                    entries = [precise.evaluate(arg, {**values, var: x}, digits=25)
                               for x in (m.value if m.is_matrix else [m.value])]
            except FAILURES:
                return True                      # cannot tell: treat as on a kink, skip it
            if any(abs(e.value) <= 10 * e.error for e in entries):
                return True
        return False

    def true(self, name: str, values: dict) -> precise.Precise:
        """The true gradient: the closed form; else the elementwise gradient at these sizes
        when it is already derived; else high-precision differences of the function."""
        closed = self.d.gradient.get(name)
        if closed is not None:
            return precise.evaluate(closed, values)
        explicit = self.d.cached_explicit(self._sizes(values))
        if explicit is not None:
            by_name = {v.name: values[v.name if v.is_matrix else v.symbol()]
                       for v in self.d.variables}
            return precise.evaluate(explicit[name], {**values, **element_values(
                self.d.variables, by_name)})
        v = {x.name: x for x in self.d.variables}[name]
        return precise.derivative(self.d.function, values, v.name if v.is_matrix else v.symbol())

    def _sizes(self, values: dict) -> dict[str, int]:
        return {d: int(values[dim_symbol(d)]) for d in self.d.dims if dim_symbol(d) in values}

    def compare(self, name: str, values: dict, got: str = "hand"):
        """(outcome, precise got, precise true): ``confirmed``/``cleared``/``unconfirmed``.
        ``got`` is ``hand`` (the hand gradient) or ``derived`` (the derived closed form)."""
        try:
            if self.on_kink(values):
                return "unconfirmed", None, None, "on a kink"
            true = self.true(name, values)
            expr = self.hand[name] if got == "hand" else self.d.gradient.get(name)
            if expr is None:
                return "unconfirmed", None, true, "no closed form to evaluate"
            value = precise.evaluate(expr, values)
        except FAILURES as exc:
            return "unconfirmed", None, None, f"high precision failed ({_why(exc)})"
        status = precise.compare(value, true)
        outcome = {"different": "confirmed", "equal": "cleared"}.get(status, "unconfirmed")
        return outcome, value, true, "" if outcome != "unconfirmed" else "did not settle"

    def by_differences(self, name: str, values: dict, got: Mapping[str, sympy.Basic],
                       seconds: float | None = None) -> dict[str, tuple]:
        """Closed forms of d/d``name`` (label -> expression: the derived one, the hand) against
        high-precision central differences of the function at ``values``, which owe nothing to
        symbolic differentiation: label -> (outcome, precise got, precise true, why).
        ``confirmed``: they differ and the differences settled; ``cleared``: equal;
        ``unconfirmed``: on a kink, not computable there (or not within ``seconds`` per
        evaluation), or not settled."""
        v = {x.name: x for x in self.d.variables}[name]
        limit = {} if seconds is None else {"seconds": seconds}
        try:
            if self.on_kink(values):
                return {k: ("unconfirmed", None, None, "on a kink") for k in got}
            true = precise.derivative(self.d.function, values,
                                      v.name if v.is_matrix else v.symbol(), **limit)
        except FAILURES as exc:
            why = f"high precision failed ({_why(exc)})"
            return {k: ("unconfirmed", None, None, why) for k in got}
        out = {}
        for label, expr in got.items():
            try:
                value = precise.evaluate(expr, values, **limit)
            except FAILURES as exc:
                out[label] = ("unconfirmed", None, true, f"high precision failed ({_why(exc)})")
                continue
            status = precise.compare(value, true)
            if status == "different" and true.settled:
                out[label] = ("confirmed", value, true, "")
            elif status == "equal":
                out[label] = ("cleared", value, true, "")
            else:
                out[label] = ("unconfirmed", value, true, "did not settle")
        return out


def skip_reason(why: str) -> str:
    """How a point that high precision left ``unconfirmed`` (``why``) is counted as skipped."""
    if why == "on a kink":
        return Note("skip.exact-kink")
    if "Undefined" in why:
        return Note("skip.undefined")
    return Note("skip.out-of-reach")


def _why(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"[:120]


def _kink_arguments(exprs: Sequence[sympy.Basic]) -> list[tuple]:
    """(argument, binding) for every switch in ``exprs``; ``binding`` is (dummy, matrix) for a
    switch inside an elementwise function of a matrix, else None."""
    out, seen = [], set()

    def visit(expr, bound):
        if expr is None or too_big(expr):
            return
        for node in sympy.preorder_traversal(expr):
            if isinstance(node, ElementwiseApplyFunction):
                (var,) = node.function.variables
                visit(node.function.expr, (var, node.expr))
            elif is_switch(node) and not isinstance(node, sympy.Piecewise):
                args = _switch_arguments(node)
                for a in args:
                    if (a, bound) not in seen:
                        seen.add((a, bound))
                        out.append((a, bound))

    for e in exprs:
        visit(e, None)
    return out


def _switch_arguments(node) -> list:
    if isinstance(node, (sympy.Max, sympy.Min)):
        a = node.args
        return [a[i] - a[j] for i in range(len(a)) for j in range(i + 1, len(a))][:6]
    return [node.args[0]]


__all__ = ["FAILURES", "PreciseReference", "skip_reason"]

"""Checking matrix steps at explicit sizes on random exact points.

Every matrix is replaced by a matrix of random rationals (inside the variable's domain) at the
probe sizes of the derivation (``n = 3, p = 2`` then ``n = 4, p = 3`` ...); SymPy evaluates
both sides exactly and compares them to 50 digits. The truth for a differential is SymPy's
directional derivative ``d/dt f(X + t dX)`` at ``t = 0``; the truth for the gradient is the
derived gradient (its closed form, or elementwise differentiation where only explicit sizes
work).
"""

from __future__ import annotations

import random

import sympy
from sympy import HadamardPower, Identity, ImmutableMatrix, MatrixSymbol, OneMatrix, ZeroMatrix

from workbench.derive import precise
from workbench.derive.explicit import dims_substitution, element_values, probe_sizes
from workbench.derive.landmarks import matrix_roles
from workbench.derive.limits import time_limit
from workbench.errors import ResourceLimit
from workbench.explain.check import SEED
from workbench.expr.functions import is_matrix
from workbench.expr.sampling import rational_matrix, rational_scalar

SECONDS = 10.0
SEEDS = (0, 1)
_T = sympy.Symbol("t", real=True)


class MatrixChecker:
    """Decides the steps of one matrix derivation (variable ``name``, differential ``dV``)."""

    def __init__(self, derivation, name: str, dV):
        self.d, self.name, self.dV = derivation, name, dV
        self.V = {v.name: v for v in derivation.variables}[name].symbol()
        self.definition = None
        self.cases = [(sizes, seed) for sizes in probe_sizes(derivation.dims)
                      for seed in SEEDS]
        self.roles = matrix_roles(derivation.function, derivation.variables)

    def define(self, r, A, dr) -> None:
        """``r`` stands for ``A`` and ``dr`` for its differential."""
        self.definition = (r, A, dr)

    @property
    def where(self) -> str:
        """The sizes checked, as ``n=3, p=2; n=4, p=3``."""
        return "; ".join(", ".join(f"{k}={v}" for k, v in s.items()) for s in
                         probe_sizes(self.d.dims)) or "-"

    def step(self, step) -> tuple[str, str]:
        """Status of one step: a differential (of ``f`` or of ``r``) or a gradient."""
        if step.lhs is not None and self.definition and step.lhs == self.definition[2]:
            return self._compare(step.expr, lambda v: v["dA"])
        if step.lhs is not None:
            return self.gradient(step.expr)
        return self._compare(step.expr, lambda v: v["df"])

    def gradient(self, G) -> tuple[str, str]:
        """``G`` against the derived gradient."""
        return self._compare(G, lambda v: v["grad"])

    def _compare(self, expr, truth) -> tuple[str, str]:
        try:
            for sizes, seed in self.cases:
                with time_limit(SECONDS, "checking a matrix step"):
                    values = self._values(sizes, seed)
                    got = self._eval(expr, values, sizes)
                    want = truth(values)
                    if not _close(got, want):
                        return "wrong", f"differs at sizes {sizes}"
        except (ResourceLimit, RecursionError):
            return "unjustified", "could not be checked in time"
        except Exception as exc:  # noqa: BLE001 - SymPy evaluation of an exotic node
            return "unjustified", f"could not be evaluated ({type(exc).__name__})"
        return "confirmed", self.where

    def _values(self, sizes: dict, seed: int) -> dict:
        rng = random.Random(SEED + 7919 * seed + sum(sizes.values()))
        values = {}
        for v in self.d.variables:
            values[v.symbol()] = _draw(v, sizes, self.roles.get(v.name, "plain"), rng)
        V = self.V
        values[self.dV] = _draw_like(values[V], rng)
        moved = dict(values)
        moved[V] = values[V] + _T * values[self.dV]
        out = {"vars": values}
        out["df"] = _directional(self._eval(self.d.function, moved, sizes))
        if self.definition:
            r, A, dr = self.definition
            values[r] = self._eval(A, values, sizes)
            values[dr] = _directional(self._eval(A, moved, sizes))
            out["dA"] = values[dr]
        out["grad"] = self._true_gradient(values, sizes)
        return out

    def _true_gradient(self, values: dict, sizes: dict):
        closed = self.d.gradient[self.name]
        if closed is not None:
            return self._eval(closed, values, sizes)
        sub = element_values(self.d.variables,
                             {v.name: values[v.symbol()] for v in self.d.variables})
        return self.d.explicit(sizes)[self.name].xreplace(sub)

    def _eval(self, expr, values: dict, sizes: dict):
        vals = values["vars"] if "vars" in values else values
        dims = dims_substitution(sizes)
        e = expr.xreplace(dims) if dims else expr
        sub = {}
        for k, v in vals.items():
            if isinstance(k, MatrixSymbol):
                sub[MatrixSymbol(k.name, *(s.xreplace(dims) for s in k.shape))] = v
            else:
                sub[k] = v
        e = e.xreplace(sub)
        e = e.xreplace({m: ImmutableMatrix(m.as_explicit()) for m in
                        e.atoms(OneMatrix, Identity, ZeroMatrix)})
        e = e.replace(HadamardPower, _hadamard_power).doit()
        if is_matrix(e):
            e = ImmutableMatrix(e.as_explicit() if hasattr(e, "as_explicit") else e)
            if e.shape == (1, 1):
                e = e[0, 0]
        return e


def _hadamard_power(base, k):
    """SymPy leaves ``HadamardPower`` of an explicit matrix unevaluated."""
    explicit = base.doit()
    return ImmutableMatrix(explicit.as_explicit()).applyfunc(lambda x: x ** k)


def _draw(v, sizes: dict, role: str, rng: random.Random):
    if not v.is_matrix:
        return rational_scalar(v.domain, rng)
    rows, cols = v.concrete_shape(sizes)
    return rational_matrix(v.domain, role, rows, cols, rng)


def _draw_like(value, rng: random.Random):
    if is_matrix(value):
        rows, cols = value.shape
        return ImmutableMatrix(rows, cols, lambda i, j: sympy.Rational(rng.randint(-9, 9), 7))
    return sympy.Rational(rng.randint(1, 9), 7)


def _directional(e):
    """``d/dt e`` at ``t = 0``, entrywise for a matrix."""
    if is_matrix(e):
        e = ImmutableMatrix(e)
        out = e.applyfunc(lambda x: sympy.diff(x, _T).xreplace({_T: 0}))
        return out[0, 0] if out.shape == (1, 1) else out
    return sympy.diff(e, _T).xreplace({_T: 0})


def _close(got, want) -> bool:
    """Equal to :data:`~workbench.derive.precise.DIGITS` digits (exact values, evaluated in
    adaptive precision)."""
    if is_matrix(got) != is_matrix(want) or (is_matrix(got) and got.shape != want.shape):
        return False
    try:
        return precise.compare(precise.evaluate(got), precise.evaluate(want)) == "equal"
    except (precise.Undefined, precise.OutOfReach, precise.Unsupported):
        return False

"""The two number systems a trace runs in: float64 and exact.

Every rule of :mod:`workbench.trace.ops` (the facts of :mod:`workbench.derive.facts`) and
:mod:`workbench.trace.matrix` is written once against the small interface below and run twice:
with :data:`FLOAT` (Python floats, which are IEEE float64, and NumPy float64 arrays of shape
``(r, c)`` for matrices) and with :data:`EXACT` (SymPy numbers such as ``1/2`` or ``log(2)``,
and ``ImmutableMatrix``: the facts' own SymPy system, with matrices). A scalar is a bare
number in both; ``+ - * / @ .T`` work alike on both kinds of value.

Float64 domain errors (``log(-1)``, ``1/0``, overflow, a complex power) raise
:class:`NotDefined`; exact values that stop being real finite numbers, or grow past
:data:`MAX_EXACT_OPS`, raise :class:`ExactUnavailable` (the trace then shows float64 only).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import sympy

from workbench.derive.facts import SymPyNumbers
from workbench.expr.parser import constant_float

MAX_EXACT_OPS = 40
Shape = tuple[int, int] | None


class NotDefined(ArithmeticError):
    """A float64 operation outside its domain (the message says which)."""


class ExactUnavailable(ArithmeticError):
    """An exact value that is not a small real number."""


class _Numbers:
    """What both number systems share: entries, shapes and elementwise construction."""

    name = ""

    @staticmethod
    def shape(v) -> Shape:
        shape = getattr(v, "shape", ())
        return tuple(shape) if len(shape) == 2 else None

    def entry(self, v, index: tuple):
        """Entry ``index`` (``()`` for a scalar; a 1x1 matrix broadcasts) as a scalar."""
        if self.shape(v) is None:
            return v
        if tuple(v.shape) == (1, 1):
            return v[0, 0]
        return v[index]

    def build(self, shape: Shape, entry: Callable[[tuple], object]):
        """A value of ``shape`` whose entry ``(i, j)`` is ``entry((i, j))``."""
        if shape is None:
            return entry(())
        return self.matrix(shape, [entry((i, j)) for i in range(shape[0])
                                   for j in range(shape[1])])

    def zeros(self, shape: Shape):
        return self.build(shape, lambda _: self.const(0))

    def onehot(self, shape: Shape, index: tuple, g):
        return self.build(shape, lambda ij: g if ij == tuple(index) else self.const(0))

    def eye(self, n: int):
        return self.build((n, n), lambda ij: self.const(1 if ij[0] == ij[1] else 0))

    def hadamard(self, a, b):
        """Entrywise product (either may be a scalar or a 1x1 matrix that broadcasts)."""
        shape = broadcast_shape([self.shape(a), self.shape(b)])
        return self.build(shape, lambda ij: self.entry(a, ij) * self.entry(b, ij))

    def unbroadcast(self, g, shape: Shape):
        """Sum ``g`` down to ``shape``: the cotangent of an operand that was broadcast."""
        if self.shape(g) == shape:
            return g
        total = self.sum(g)
        return total if shape is None else self.matrix((1, 1), [total])

    def mean_of(self, v):
        rows, cols = self.shape(v)
        return self.sum(v) / self.const(rows * cols)


class _Float(_Numbers):
    name = "float64"
    exp, log, sqrt = staticmethod(math.exp), staticmethod(math.log), staticmethod(math.sqrt)
    sin, cos, tan = staticmethod(math.sin), staticmethod(math.cos), staticmethod(math.tan)
    asin, acos, atan = staticmethod(math.asin), staticmethod(math.acos), staticmethod(math.atan)
    sinh, cosh, tanh = staticmethod(math.sinh), staticmethod(math.cosh), staticmethod(math.tanh)
    abs = staticmethod(math.fabs)
    max, min = staticmethod(max), staticmethod(min)

    @staticmethod
    def const(c) -> float:
        return constant_float(c)

    @staticmethod
    def sign(x) -> float:
        return float((x > 0) - (x < 0))

    @staticmethod
    def positive(x) -> bool:
        return x > 0

    @staticmethod
    def matrix(shape, entries):
        return np.array(entries, dtype=np.float64).reshape(shape)

    @staticmethod
    def sum(v) -> float:
        return float(np.sum(v))

    @staticmethod
    def trace(v) -> float:
        return float(np.trace(v))

    @staticmethod
    def det(v) -> float:
        return float(np.linalg.det(v))

    @staticmethod
    def inv(v):
        try:
            return np.linalg.inv(v)
        except np.linalg.LinAlgError:
            raise NotDefined("the matrix is singular") from None

    @staticmethod
    def check(v):
        """``v`` itself if every entry is a finite real float64."""
        if isinstance(v, complex) or (hasattr(v, "dtype") and v.dtype.kind == "c"):
            raise NotDefined("the result is not a real number")
        if np.any(np.isinf(v)):
            raise OverflowError("the result is beyond float64's range")
        if not np.all(np.isfinite(v)):
            raise NotDefined("the result is not finite")
        return v if isinstance(v, np.ndarray) and v.ndim == 2 else float(v)


class _Exact(SymPyNumbers, _Numbers):
    name = "exact"

    @staticmethod
    def matrix(shape, entries):
        return sympy.ImmutableMatrix(shape[0], shape[1], entries)

    @staticmethod
    def sum(v):
        return sympy.Add(*v)

    @staticmethod
    def trace(v):
        return v.trace()

    @staticmethod
    def det(v):
        return v.det()

    @staticmethod
    def inv(v):
        return v.inv()

    @staticmethod
    def check(v):
        """``v`` itself if every entry is a real, finite and small SymPy number."""
        for e in (v if hasattr(v, "shape") else [v]):
            if not isinstance(e, sympy.Expr) or e.free_symbols or e.is_extended_real is False \
                    or e.has(sympy.zoo, sympy.nan, sympy.oo, sympy.I) \
                    or sympy.count_ops(e) > MAX_EXACT_OPS:
                raise ExactUnavailable(f"exact value {str(e)[:40]} is not a small real number")
        return v


FLOAT = _Float()
EXACT = _Exact()


def broadcast_shape(shapes: list[Shape]) -> Shape:
    """The shape of an entrywise result: the largest matrix shape among the operands (scalars
    and 1x1 matrices broadcast), ``None`` if all are scalars."""
    matrices = [s for s in shapes if s is not None]
    big = [s for s in matrices if s != (1, 1)]
    return big[0] if big else (matrices[0] if matrices else None)


def exact_number(value) -> sympy.Expr:
    """An exact SymPy number for ``value`` as written: ``0.1`` is ``1/10``, not the float."""
    if isinstance(value, sympy.Basic):
        return value
    if isinstance(value, bool):
        raise TypeError("a truth value is not a number")
    if isinstance(value, int):
        return sympy.Integer(value)
    return sympy.Rational(repr(float(value)))

"""The whitelist of functions our expression language may call, as one table.

Each entry: name -> (number of arguments, builder). A builder takes SymPy objects (already
checked by the parser) and returns a SymPy object. Functions of one scalar argument apply
elementwise when given a matrix (``exp(M)``); a 1x1 matrix in a scalar place is read as its only
entry through ``Trace`` (which SymPy's matrix calculus differentiates).
"""

from __future__ import annotations

from typing import Callable

import sympy
from sympy import MatrixExpr

from workbench.errors import ShapeError


def is_matrix(e) -> bool:
    return isinstance(e, MatrixExpr) or getattr(e, "is_Matrix", False)


def is_1x1(e) -> bool:
    return is_matrix(e) and e.shape == (1, 1)


def as_scalar(e, what: str = "this operation"):
    """A scalar from ``e``: itself, or the entry of a 1x1 matrix. Larger matrices are refused."""
    if not is_matrix(e):
        return e
    if is_1x1(e):
        return sympy.Trace(e)
    raise ShapeError(f"{what} needs a scalar or a 1x1 matrix, got a matrix of shape {e.shape}")


def _square(e, what: str):
    if not is_matrix(e) or e.shape[0] != e.shape[1]:
        shape = e.shape if is_matrix(e) else "a scalar"
        raise ShapeError(f"{what} needs a square matrix, got {shape}")
    return e


def _elementwise(f: Callable) -> Callable:
    """Apply a scalar function to a scalar, or to each entry of a (non-1x1) matrix."""
    def build(x):
        if is_matrix(x) and not is_1x1(x):
            d = sympy.Dummy("t", real=True)
            return x.applyfunc(sympy.Lambda(d, f(d)))
        return f(as_scalar(x))
    return build


def _sigmoid(x):
    return 1 / (1 + sympy.exp(-x))


def _softplus(x):
    return sympy.log(1 + sympy.exp(x))


def matrix_sum(m):
    """Sum of all entries of ``m`` as a scalar."""
    if not is_matrix(m):
        return m
    if isinstance(m, sympy.MatrixBase):               # written out: the sum of its entries
        return sympy.Add(*m)
    return sympy.Trace(_ones(m.shape[1], m.shape[0]) * m)


def _mean(m):
    if not is_matrix(m):
        return m
    return matrix_sum(m) / (m.shape[0] * m.shape[1])


def _norm(m):
    return sympy.sqrt(matrix_sum(hadamard_power(m, 2))) if is_matrix(m) else sympy.Abs(m)


def hadamard_power(m, k):
    """Elementwise power of a matrix (as NumPy's ``**``)."""
    if is_1x1(m):
        return as_scalar(m) ** k
    if isinstance(m, sympy.MatrixBase):               # written out: entry by entry
        return m.applyfunc(lambda e: e ** k)
    return sympy.HadamardPower(m, k)


def _dot(a, b):
    if not (is_matrix(a) and is_matrix(b)) or a.shape != b.shape:
        raise ShapeError("dot needs two matrices or vectors of the same shape")
    return sympy.Trace(a.T * b)


def _hadamard(a, b):
    if not (is_matrix(a) and is_matrix(b)):
        return as_scalar(a) * as_scalar(b)
    if a.shape != b.shape:
        raise ShapeError(f"hadamard needs equal shapes, got {a.shape} and {b.shape}")
    if isinstance(a, sympy.MatrixBase) and isinstance(b, sympy.MatrixBase):
        return a.multiply_elementwise(b)
    return sympy.HadamardProduct(a, b)


def _log(x, base=None):
    if base is None:
        return _elementwise(sympy.log)(x)
    return _elementwise(lambda t: sympy.log(t) / sympy.log(as_scalar(base)))(x)


def _minmax(f):
    return lambda *args: f(*[as_scalar(a, f.__name__) for a in args])


def _trace(m):
    return sympy.Trace(_square(m, "Trace"))


def _det(m):
    return sympy.Determinant(_square(m, "Det"))


def _logdet(m):
    return sympy.log(sympy.Determinant(_square(m, "logdet")))


def _inv(m):
    return sympy.Inverse(_square(m, "inv"))


def _diag(v):
    """The diagonal matrix of a vector (a column or a row); a scalar stays itself."""
    if not is_matrix(v) or is_1x1(v):
        return as_scalar(v)
    if 1 not in v.shape:
        raise ShapeError(f"diag needs a vector, got a matrix of shape {v.shape}")
    return sympy.DiagMatrix(v)


def _size(d, what: str):
    """A dimension argument: a positive integer or a dimension name such as n."""
    d = sympy.Integer(d) if isinstance(d, int) else d
    if isinstance(d, sympy.Symbol) and d.is_integer and d.is_positive:
        return d
    if d.is_Integer and 1 <= int(d) <= 64:
        return d
    raise ShapeError(f"{what} takes sizes: integers 1..64 or dimension names such as n")


def _eye(n):
    return sympy.Identity(_size(n, "eye"))


def _ones(rows, cols):
    return sympy.OneMatrix(_size(rows, "ones"), _size(cols, "ones"))


def _zeros(rows, cols):
    return sympy.ZeroMatrix(_size(rows, "zeros"), _size(cols, "zeros"))


def _softmax(z):
    """exp(z) / sum(exp(z)), entrywise, for a vector (or any matrix: over all its entries)."""
    if not is_matrix(z) or is_1x1(z):
        return sympy.Integer(1)
    e = _elementwise(sympy.exp)(z)
    return e * (1 / matrix_sum(e))


VARIADIC = -1

FUNCTIONS: dict[str, tuple[int | tuple[int, ...], Callable]] = {
    "exp": (1, _elementwise(sympy.exp)),
    "log": ((1, 2), _log),
    "ln": (1, _elementwise(sympy.log)),
    "sqrt": (1, _elementwise(sympy.sqrt)),
    "sin": (1, _elementwise(sympy.sin)),
    "cos": (1, _elementwise(sympy.cos)),
    "tan": (1, _elementwise(sympy.tan)),
    "asin": (1, _elementwise(sympy.asin)),
    "acos": (1, _elementwise(sympy.acos)),
    "atan": (1, _elementwise(sympy.atan)),
    "sinh": (1, _elementwise(sympy.sinh)),
    "cosh": (1, _elementwise(sympy.cosh)),
    "tanh": (1, _elementwise(sympy.tanh)),
    "sigmoid": (1, _elementwise(_sigmoid)),
    "softplus": (1, _elementwise(_softplus)),
    # (t + |t|)/2 rather than Max(0, t): SymPy cannot build Max inside an elementwise function
    "relu": (1, _elementwise(lambda t: (t + sympy.Abs(t)) / 2)),
    "Abs": (1, _elementwise(sympy.Abs)),
    "abs": (1, _elementwise(sympy.Abs)),
    "sign": (1, _elementwise(sympy.sign)),
    "Max": (VARIADIC, _minmax(sympy.Max)),
    "max": (VARIADIC, _minmax(sympy.Max)),
    "Min": (VARIADIC, _minmax(sympy.Min)),
    "min": (VARIADIC, _minmax(sympy.Min)),
    "Trace": (1, _trace),
    "tr": (1, _trace),
    "trace": (1, _trace),
    "Det": (1, _det),
    "det": (1, _det),
    "logdet": (1, _logdet),
    "inv": (1, _inv),
    "Inverse": (1, _inv),
    "sum": (1, matrix_sum),
    "mean": (1, _mean),
    "norm": (1, _norm),
    "dot": (2, _dot),
    "hadamard": (2, _hadamard),
    "softmax": (1, _softmax),
    # for writing Jacobians and Hessians by hand
    "diag": (1, _diag),
    "eye": (1, _eye),
    "ones": (2, _ones),
    "zeros": (2, _zeros),
}

"""Jacobians and Hessians: SymPy's matrix calculus, guarded like gradients.

Layouts. A Jacobian is in numerator layout, rows = outputs, as
``torch.autograd.functional.jacobian`` returns it: for ``f`` of shape (m, 1) and ``x`` of shape
(n, 1) it is m x n; for a scalar ``x`` it is ``df/dx``, the shape of ``f``. SymPy's matrix
calculus answers in denominator layout (n x m), so its result is transposed. A Hessian of a
scalar ``f`` with respect to ``x`` (n, 1) is n x n, the Jacobian of the gradient; for a scalar
``x`` it is ``f''``.

Guard. A closed form is kept only when it agrees, in high precision at random rational points
of two probe sizes, with the derivative of a scalar: ``Jᵀu = ∇ₓ(uᵀf)`` and ``Hv = ∇ₓ(vᵀ∇f)`` for
random ``u``, ``v`` (:func:`workbench.derive.precise.derivative`). Otherwise, or for matrices of
matrices, the derivative is given entrywise at explicit sizes (``vec`` order, row by row).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import sympy

from workbench.derive import precise
from workbench.derive.differential import Differential, attempt, differential_symbol
from workbench.derive.explicit import make_explicit, symbolic_twin, to_matrix_elements
from workbench.derive.gradient import (DIFF_SECONDS, Derivation, away_from_jumps, derive_gradient,
                                      guard, tidy)
from workbench.derive.identify import identify, identify_jacobian
from workbench.derive.limits import time_limit
from workbench.errors import ResourceLimit, ShapeError, UserError
from workbench.expr.functions import is_matrix
from workbench.expr.sampling import rational_matrix
from workbench.expr.spaces import Variable, dimension_names
from workbench.words import Note

KINDS = ("jacobian", "hessian")
GUARD_POINTS = 2
_U = "_u"                      # the cotangent's name in a guard (no user name starts with _)


@dataclass
class HigherDerivative:
    """The Jacobian or Hessian of ``function`` with respect to the variable ``name``.

    ``closed`` is the closed form in the layout above (None where only explicit sizes work);
    ``shape`` is the shape a hand result must have (None: a scalar); ``gradient`` is the
    derivation of the gradient a Hessian comes from."""

    kind: str
    function: sympy.Basic
    variables: tuple[Variable, ...]
    name: str
    closed: sympy.Basic | None
    method: str
    shape: tuple | None
    notes: list[str] = field(default_factory=list)
    gradient: Derivation | None = None
    inner: object = None
    """What the Jacobian is taken of: the function, or (Hessian) the gradient; None where the
    gradient has no closed form."""

    @property
    def variable(self) -> Variable:
        return {v.name: v for v in self.variables}[self.name]

    @property
    def dims(self) -> tuple[str, ...]:
        return tuple(dimension_names(self.variables))

    def explicit(self, sizes: Mapping[str, int]) -> sympy.ImmutableMatrix:
        """The derivative entrywise at explicit sizes, as a matrix (rows: outputs in ``vec``
        order; columns: the variable's entries in ``vec`` order); a Hessian of a scalar
        variable is a scalar."""
        with time_limit(DIFF_SECONDS, "explicit-size differentiation"):
            x = self.variable
            xs = _entries(make_explicit(x.symbol(), self.variables, sizes))
            if self.kind == "jacobian":
                fs = _entries(make_explicit(self.function, self.variables, sizes))
            else:
                f = make_explicit(self.function, self.variables, sizes)
                fs = [sympy.diff(f, s) for s in xs]
            out = sympy.ImmutableMatrix(len(fs), len(xs),
                                        lambda i, j: sympy.diff(fs[i], xs[j]))
            out = away_from_jumps(out)[0]          # the note is the closed form's
            return out[0, 0] if out.shape == (1, 1) else out


def _entries(m) -> list:
    if is_matrix(m):
        return [m[i, j] for i in range(m.shape[0]) for j in range(m.shape[1])]
    return [m]


def _column(shape) -> bool:
    return shape is not None and shape[1] == 1


def derive_jacobian(function, variables: Sequence[Variable], name: str) -> HigherDerivative:
    """The Jacobian of a matrix-valued ``function`` (a column vector for a closed form) with
    respect to the variable ``name`` (a scalar or a column vector)."""
    variables = tuple(variables)
    x = _variable(variables, name)
    twin = symbolic_twin(function, variables)
    if twin is not None:
        return _through_twin(twin, derive_jacobian, function, variables, name)
    if not is_matrix(function) or function.shape == (1, 1):
        raise ShapeError("a Jacobian is of a vector- or matrix-valued function; for a scalar "
                         "function this is its gradient (without --order)")
    fshape = tuple(function.shape)
    shape = (fshape[0], x.symbol().shape[0]) if x.is_matrix else fshape
    if not _column(fshape) or (x.is_matrix and not _column(x.symbol().shape)):
        return HigherDerivative("jacobian", function, variables, name, None, "explicit", None,
                                ["a Jacobian of a matrix, or with respect to a matrix, is shown "
                                 "entrywise at explicit sizes (vec order); a hand one is not "
                                 "checked"])
    d = HigherDerivative("jacobian", function, variables, name, None, "explicit", shape,
                         inner=function)
    return _settle(d, function, x, "Jacobian")


def derive_hessian(function, variables: Sequence[Variable], name: str) -> HigherDerivative:
    """The Hessian of a scalar ``function`` with respect to ``name`` (a scalar or a column
    vector), the Jacobian of its gradient."""
    variables = tuple(variables)
    x = _variable(variables, name)
    twin = symbolic_twin(function, variables)
    if twin is not None:
        return _through_twin(twin, derive_hessian, function, variables, name)
    g = derive_gradient(function, variables, [name])
    f = g.function
    if x.is_matrix and not _column(x.symbol().shape):
        return HigherDerivative("hessian", f, variables, name, None, "explicit", None,
                                ["a Hessian with respect to a matrix is shown entrywise at "
                                 "explicit sizes (vec order); a hand one is not checked"],
                                gradient=g)
    n = x.symbol().shape[0] if x.is_matrix else None
    d = HigherDerivative("hessian", f, variables, name, None, "explicit",
                         (n, n) if x.is_matrix else None, gradient=g)
    grad = g.gradient[name]
    if grad is None and not d.dims:        # fixed sizes: the entrywise gradient is a closed form
        try:
            grad = to_matrix_elements(g.explicit({})[name], variables, {})
        except (ResourceLimit, ValueError, TypeError):
            grad = None
    if grad is None:
        d.notes.append("the gradient has no closed form, so neither has the Hessian; using "
                       "explicit sizes")
        return d
    d.inner = grad
    return _settle(d, grad, x, "Hessian")


def _through_twin(twin, derive, function, variables, name: str) -> HigherDerivative:
    """``derive`` at symbolic sizes, specialised back to the fixed ones (see
    :func:`~workbench.derive.explicit.symbolic_twin`)."""
    h = derive(twin.function, twin.variables, name)
    shape = None if h.shape is None else tuple(twin.back(s) for s in h.shape)
    gradient = derive_gradient(function, variables, [name]) if h.gradient is not None else None
    sizes = ", ".join(f"{k} as {n}" for k, n in twin.names.items())
    return HigherDerivative(h.kind, function if h.kind == "jacobian" else gradient.function,
                            tuple(variables), name, twin.back(h.closed), h.method, shape,
                            h.notes + [Note("note.twin", sizes=sizes)], gradient,
                            function if h.kind == "jacobian" else twin.back(h.inner))


def _settle(d: HigherDerivative, inner, x: Variable, what: str) -> HigherDerivative:
    """Fill ``d.closed`` with the first closed form of the Jacobian of ``inner`` that passes
    the guard: SymPy's matrix calculus, then matrix differentials; explicit sizes otherwise."""
    whys = []
    routes = (("matrix-calculus", _sympy_jacobian), ("differentials", _differential_jacobian))
    if isinstance(inner, sympy.MatrixBase):           # written out: differentiate entrywise
        routes = (("entrywise", _entrywise_jacobian),)
    for method, form in routes:
        closed, why = form(inner, x)
        if closed is not None:
            closed, note = away_from_jumps(closed)
            d.notes += [note] if note else []
            why = _guard(d, closed)
        if why is None:
            d.closed = closed
            d.method = method if x.is_matrix else "scalar"
            return d
        whys.append(f"{method.replace('-', ' ')} {why}")
        if not x.is_matrix:
            break
    d.notes.append(f"the {what}: {'; '.join(whys)}; using explicit sizes instead")
    return d


def _variable(variables, name: str) -> Variable:
    table = {v.name: v for v in variables}
    if name not in table:
        raise UserError(f"cannot differentiate with respect to {name!r}: not a declared "
                        f"variable (declared: {', '.join(table)})")
    return table[name]


def _sympy_jacobian(inner, x: Variable):
    """(SymPy's Jacobian of ``inner`` in numerator layout, None) or (None, why not)."""
    try:
        with time_limit(DIFF_SECONDS, "matrix calculus"):
            j = sympy.diff(inner, x.symbol())
            if not x.is_matrix:
                return (tidy(j) if not is_matrix(j) else j), None
    except ResourceLimit:
        return None, "timed out"
    except Exception as exc:  # noqa: BLE001 - SymPy raises many kinds on matrix calculus
        return None, f"raised {type(exc).__name__}"
    if not is_matrix(j) or isinstance(j, sympy.NDimArray):
        return None, "gave no matrix"
    return (j.T if is_matrix(inner) else j), None   # SymPy: denominator layout


def _entrywise_jacobian(inner, x: Variable):
    """The Jacobian of a written-out matrix ``inner`` (a literal, or an entrywise gradient at
    fixed sizes) by differentiating each entry by each entry of ``x``."""
    X = x.symbol()
    if not x.is_matrix:
        return sympy.ImmutableMatrix(inner.diff(X)), None
    if not all(isinstance(n, (int, sympy.Integer)) for n in X.shape):
        return None, "needs fixed sizes"
    xs = [X[i, j] for i in range(int(X.shape[0])) for j in range(int(X.shape[1]))]
    fs = [inner[i, j] for i in range(inner.rows) for j in range(inner.cols)]
    try:
        with time_limit(DIFF_SECONDS, "entrywise differentiation"):
            return sympy.ImmutableMatrix(len(fs), len(xs),
                                         lambda i, j: sympy.diff(fs[i], xs[j])), None
    except ResourceLimit:
        return None, "timed out"


def _differential_jacobian(inner, x: Variable):
    """(the Jacobian read off ``d inner = J dx``, None) or (None, why not); the gradient
    ``(∇f)ᵀ`` for a scalar ``inner``."""
    X = x.symbol()
    dX = differential_symbol(X, x.name)

    def read_off():
        df = Differential({X: dX})(inner)
        if is_matrix(inner) and inner.shape != (1, 1):
            return identify_jacobian(df, dX)
        return identify(df, dX).T
    return attempt(read_off, DIFF_SECONDS)


def _guard(d: HigherDerivative, closed) -> str | None:
    """None when ``closed`` passes the high-precision identity test of the module docstring."""
    want_shape = tuple(d.shape) if d.shape is not None else None
    got_shape = tuple(closed.shape) if is_matrix(closed) else None
    if want_shape != got_shape and not (want_shape is None and got_shape == (1, 1)):
        return f"has shape {got_shape or 'scalar'} instead of {want_shape or 'scalar'}"
    return guard(d.function, d.variables, d.dims,
                 lambda values, sizes, rng: _both_sides(d, closed, values, sizes, rng))


def _both_sides(d: HigherDerivative, closed, values: dict, sizes, rng):
    """(closedᵀu, ∇ₓ(u·inner)) in high precision for a random rational ``u``; ``inner`` is the
    function (Jacobian) or the gradient (Hessian)."""
    x = d.variable
    inner = d.inner
    if is_matrix(inner):
        rows, cols = (_size(s, sizes) for s in inner.shape)
        u_sym = sympy.MatrixSymbol(_U, rows, cols)
        u = rational_matrix(x.domain.__class__(), "plain", rows, cols, rng)
        scalar = sympy.Trace(u_sym.T * inner)
        lhs = (closed.T * u_sym) if is_matrix(closed) and x.is_matrix else \
            sympy.Trace(closed.T * u_sym) if is_matrix(closed) else closed * sympy.Trace(u_sym)
    else:
        u_sym, u = sympy.Symbol(_U), sympy.Rational(rng.randint(-99, 99) or 1, 7)
        scalar, lhs = u_sym * inner, closed * u_sym
    values = {**values, (_U if is_matrix(inner) else u_sym): u}
    got = precise.evaluate(lhs, values)
    want = precise.derivative(scalar, values, x.name if x.is_matrix else x.symbol(),
                              escalate=True)
    return got, want


def _size(s, sizes) -> int:
    return int(s) if isinstance(s, int) or s.is_Integer else sizes[str(s)]


def higher_derivative(kind: str, function, variables, name: str) -> HigherDerivative:
    """``derive_jacobian`` or ``derive_hessian``, by ``kind``."""
    if kind not in KINDS:
        raise UserError(f"unknown derivative {kind!r}; expected one of {', '.join(KINDS)}")
    return (derive_jacobian if kind == "jacobian" else derive_hessian)(function, variables, name)


__all__ = ["HigherDerivative", "KINDS", "derive_hessian", "derive_jacobian",
           "higher_derivative"]

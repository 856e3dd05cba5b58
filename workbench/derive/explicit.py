"""Explicit sizes: matrices replaced by matrices of real element symbols.

SymPy's matrix calculus fails or silently returns wrong results on some inputs (a ridge loss
written with ``Trace`` differentiates to 0). Writing every matrix out at a small size and
differentiating elementwise is slow but trustworthy; it guards every matrix result and is the
fallback where matrix calculus fails.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Mapping, Sequence

import sympy
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from workbench.expr.functions import is_matrix
from workbench.expr.spaces import Variable, dim_symbol


def element_symbol(name: str, i: int, j: int, v: Variable) -> sympy.Symbol:
    """The real symbol standing for entry (i, j) of matrix ``name``."""
    return sympy.Symbol(f"{name}[{i},{j}]", **v.domain.assumptions())


def explicit_matrix(v: Variable, sizes: Mapping[str, int]) -> sympy.ImmutableMatrix:
    rows, cols = v.concrete_shape(sizes)
    return sympy.ImmutableMatrix(rows, cols, lambda i, j: element_symbol(v.name, i, j, v))


def dims_substitution(sizes: Mapping[str, int]) -> dict:
    return {dim_symbol(d): sympy.Integer(s) for d, s in sizes.items()}


def make_explicit(expr, variables: Sequence[Variable], sizes: Mapping[str, int]):
    """``expr`` at the given sizes with every matrix variable written out as element symbols.

    Returns a SymPy scalar for a scalar or 1x1 expression, else an ImmutableMatrix.
    """
    dims = dims_substitution(sizes)
    replace = {}
    for v in variables:
        if v.is_matrix:
            sym = sympy.MatrixSymbol(v.name, *(dim_symbol(d) for d in v.shape))
            replace[sym] = explicit_matrix(v, sizes)
    out = expr.xreplace(dims) if dims else expr
    if replace:
        out = out.xreplace({sympy.MatrixSymbol(k.name, *(s.xreplace(dims) for s in k.shape)): m
                            for k, m in replace.items()})
        out = out.replace(_is_special_matrix, lambda e: sympy.ImmutableMatrix(e.as_explicit()))
        for _ in range(4):
            before = out
            out = out.replace(_explicit_hadamard, _hadamard_value).replace(
                _explicit_elementwise, _elementwise_value).doit()
            if out == before:
                break
    if is_matrix(out):
        out = sympy.ImmutableMatrix(out.as_explicit()) if hasattr(out, "as_explicit") \
            else sympy.ImmutableMatrix(out)
        if out.shape == (1, 1):
            return out[0, 0]
    return out


def _is_special_matrix(e) -> bool:
    """OneMatrix, Identity or ZeroMatrix of known size (written out so products evaluate)."""
    return isinstance(e, (sympy.OneMatrix, sympy.Identity, sympy.ZeroMatrix)) and \
        all(d.is_Integer for d in e.shape)


def _explicit_hadamard(e) -> bool:
    return isinstance(e, (sympy.HadamardPower, sympy.HadamardProduct)) and all(
        isinstance(a, sympy.ImmutableMatrix) or not is_matrix(a) for a in e.args)


def _explicit_elementwise(e) -> bool:
    """An elementwise function of a written-out matrix: SymPy's ``doit`` leaves it unevaluated
    when the argument keeps a scalar factor (``exp.(K@q/sqrt(2))``, the attention scores), and
    a softmax's normalising sum with it."""
    return isinstance(e, ElementwiseApplyFunction) and not e.expr.atoms(sympy.MatrixSymbol) \
        and all(sympy.sympify(d).is_Integer for d in e.expr.shape)


def _elementwise_value(e):
    return sympy.ImmutableMatrix(e.expr.as_explicit()).applyfunc(e.function)


def _hadamard_value(e):
    """A Hadamard power or product of explicit matrices, computed entry by entry."""
    if isinstance(e, sympy.HadamardPower):
        base, k = e.args
        return base.applyfunc(lambda t: t ** k)
    out = e.args[0]
    for m in e.args[1:]:
        out = out.multiply_elementwise(m)
    return sympy.ImmutableMatrix(out)


def explicit_gradient(function, variables: Sequence[Variable], wrt: Sequence[str],
                      sizes: Mapping[str, int]) -> dict[str, sympy.Basic]:
    """Gradient of a scalar ``function`` at the given sizes, element by element.

    A scalar variable's gradient is a SymPy scalar; a matrix variable's an ImmutableMatrix of
    its shape, entries in terms of element symbols (see :func:`element_symbol`).
    """
    table = {v.name: v for v in variables}
    f = make_explicit(function, variables, sizes)
    out = {}
    for name in wrt:
        v = table[name]
        if v.is_matrix:
            m = explicit_matrix(v, sizes)
            out[name] = m.applyfunc(lambda s: sympy.diff(f, s))
        else:
            out[name] = sympy.diff(f, v.symbol())
    return out


def element_values(variables: Sequence[Variable], values: Mapping[str, object]) -> dict:
    """A substitution giving each scalar variable, and each entry symbol of each matrix
    variable, its value (``values[name]``: a number, or a matrix indexable as ``m[i, j]``)."""
    sub = {}
    for v in variables:
        value = values[v.name]
        if v.is_matrix:
            rows, cols = value.shape
            sub.update({element_symbol(v.name, i, j, v): value[i, j]
                        for i in range(rows) for j in range(cols)})
        else:
            sub[v.symbol()] = value
    return sub


def exact_values(variables: Sequence[Variable], by_name: Mapping[str, object],
                 sizes: Mapping[str, int]) -> dict:
    """The values :mod:`workbench.derive.precise` reads: a scalar variable's symbol, a matrix
    variable's name and each dimension symbol mapped to its exact value."""
    out: dict = {dim_symbol(d): sympy.Integer(s) for d, s in sizes.items()}
    for v in variables:
        out[v.name if v.is_matrix else v.symbol()] = by_name[v.name]
    return out


def to_matrix_elements(expr, variables: Sequence[Variable], sizes: Mapping[str, int]):
    """Replace element symbols by ``MatrixElement``s of fixed-size MatrixSymbols, the form the
    torch compiler indexes."""
    sub = {}
    for v in variables:
        if v.is_matrix:
            rows, cols = v.concrete_shape(sizes)
            ms = sympy.MatrixSymbol(v.name, rows, cols)
            for i in range(rows):
                for j in range(cols):
                    sub[element_symbol(v.name, i, j, v)] = ms[i, j]
    return expr.xreplace(sub) if sub else expr


@lru_cache(maxsize=None)
def probe_sizes(dims: tuple[str, ...], count: int = 2) -> tuple[dict[str, int], ...]:
    """Small, distinct sizes for the symbolic dimensions (distinct so that a transpose or a
    wrong factor n shows): ``{n: 3, p: 2, ...}`` then ``{n: 4, p: 3, ...}``."""
    firsts = [3, 2, 4, 5, 1]
    out = []
    for k in range(count):
        out.append({d: firsts[i % len(firsts)] + k for i, d in enumerate(dims)})
    return tuple(out)


GENERAL_ENTRIES = 256
"""Above this many entries in matrices of fixed sizes, a closed form is derived and guarded at
symbolic sizes (:func:`symbolic_twin`) instead of at the fixed ones."""


class Twin:
    """``function`` of ``variables`` with fixed dimensions above 1 named (``60`` -> ``d60``):
    a closed form derived and guarded for every size holds at the fixed ones, and the guard
    then runs at small probe sizes instead of writing out 60 x 50 matrices. ``back`` turns an
    expression of the twin into one of the original."""

    def __init__(self, function, variables: Sequence[Variable], names: Mapping[int, str]):
        self.names = dict(names)
        self.variables = tuple(
            Variable(v.name, tuple(self.names.get(d, d) if isinstance(d, int) else d
                                   for d in v.shape), v.domain) if v.is_matrix else v
            for v in variables)
        self._to = {v.symbol(): t.symbol() for v, t in zip(variables, self.variables)
                    if v.is_matrix and v.shape != t.shape}
        dims = {sympy.Integer(k): dim_symbol(name) for k, name in self.names.items()}
        self.function = _resize(function.xreplace(self._to), dims)
        self._back = {t: v for v, t in self._to.items()}
        self._dims_back = {s: k for k, s in dims.items()}

    def back(self, expr):
        if expr is None:
            return None
        expr = sympy.Integer(expr) if isinstance(expr, int) else expr
        return expr.xreplace({**self._back, **self._dims_back})


def _resize(expr, dims: Mapping):
    """``Identity``, ``OneMatrix`` and ``ZeroMatrix`` with their sizes mapped by ``dims``."""
    kinds = (sympy.Identity, sympy.OneMatrix, sympy.ZeroMatrix)
    return expr.replace(lambda e: isinstance(e, kinds),
                        lambda e: type(e)(*[dims.get(a, a) for a in e.args]))


def symbolic_twin(function, variables: Sequence[Variable]) -> Twin | None:
    """The :class:`Twin` of a function of large fixed-size matrices; None when the matrices are
    small (or of symbolic sizes), where the fixed sizes are cheap to guard at."""
    fixed = [v for v in variables if v.is_matrix and any(isinstance(d, int) for d in v.shape)]
    entries = sum(v.concrete_shape({d: 1 for d in v.dim_names})[0] *
                  v.concrete_shape({d: 1 for d in v.dim_names})[1] for v in fixed)
    if entries <= GENERAL_ENTRIES:
        return None
    ints = sorted({d for v in fixed for d in v.shape if isinstance(d, int) and d > 1})
    taken = {v.name for v in variables} | {d for v in variables for d in v.dim_names}
    names = {}
    for k in ints:
        name = f"d{k}"
        while name in taken:
            name += "_"
        names[k] = name
    return Twin(function, variables, names)

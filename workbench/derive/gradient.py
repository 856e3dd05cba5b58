"""Symbolic gradients: SymPy differentiation, guarded by explicit sizes for matrices.

For scalar variables ``sympy.diff`` is trusted. For a function of matrices, SymPy's matrix
calculus gives a closed form (``2*X.T*(X*beta - y)/n``) when it works; each such result is
compared, at random rational points of two small explicit sizes, with the derivative of the
function computed in high precision (:func:`workbench.derive.precise.derivative`). Where matrix
calculus raises, returns the wrong shape, or disagrees (SymPy 1.14 gives 0 for some ``Trace``
forms), the derivation falls back to explicit sizes and says so in ``notes``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import sympy

from workbench.derive import precise
from workbench.derive.differential import attempt, differential_symbol, route
from workbench.derive.explicit import (exact_values, explicit_gradient, probe_sizes,
                                       symbolic_twin)
from workbench.derive.landmarks import matrix_roles
from workbench.derive.limits import hard_to_simplify, time_limit, too_big
from workbench.errors import ResourceLimit, ShapeError, UserError
from workbench.expr.functions import as_scalar, is_matrix
from workbench.expr.sampling import rational_point
from workbench.expr.parser import overflowing_constant
from workbench.expr.printing import plain
from workbench.expr.spaces import Variable, dimension_names
from workbench.words import Note

DIFF_SECONDS = 10.0
SIMPLIFY_SECONDS = 2.0
GUARD_POINTS = 2
"""Random rational points per probe size at which a matrix-calculus result is checked."""


@dataclass
class Derivation:
    """The gradient of ``function`` with respect to ``wrt``.

    ``gradient[name]`` is a closed form (a SymPy scalar, or a matrix expression of the
    variable's shape), or ``None`` where only explicit sizes work; ``method[name]`` says which:
    ``scalar``, ``matrix-calculus`` or ``explicit``.
    """

    function: sympy.Basic
    variables: tuple[Variable, ...]
    wrt: tuple[str, ...]
    gradient: dict[str, sympy.Basic | None]
    method: dict[str, str]
    notes: list[str] = field(default_factory=list)
    _explicit: dict = field(default_factory=dict, repr=False)

    @property
    def dims(self) -> tuple[str, ...]:
        return tuple(dimension_names(self.variables))

    @property
    def has_matrices(self) -> bool:
        """True when a matrix variable is declared (gradients are then guarded)."""
        return any(v.is_matrix for v in self.variables)

    @property
    def uses_matrices(self) -> bool:
        """True when the function involves a matrix variable."""
        return bool(self.function.atoms(sympy.MatrixSymbol)) if self.has_matrices else False

    def explicit(self, sizes: Mapping[str, int]) -> dict[str, sympy.Basic]:
        """The gradient at explicit sizes (element symbols), cached per sizes."""
        key = tuple(sorted(sizes.items()))
        if key not in self._explicit:
            with time_limit(DIFF_SECONDS, "explicit-size differentiation"):
                self._explicit[key] = explicit_gradient(self.function, self.variables,
                                                        self.wrt, sizes)
        return self._explicit[key]

    def cached_explicit(self, sizes: Mapping[str, int]) -> dict[str, sympy.Basic] | None:
        """The gradient at explicit sizes if it was already derived, else None (no work)."""
        return self._explicit.get(tuple(sorted(sizes.items())))

    def closed_form(self, name: str) -> sympy.Basic | None:
        return self.gradient[name]


def scalar_function(expr) -> sympy.Basic:
    """The function to differentiate as a scalar: a 1x1 matrix is accepted, larger ones not."""
    if is_matrix(expr):
        if expr.shape != (1, 1):
            raise ShapeError(f"the function must be scalar (or a 1x1 matrix); its shape is "
                             f"{expr.shape}")
    return expr


def derive_gradient(function, variables: Sequence[Variable], wrt: Sequence[str]) -> Derivation:
    """Differentiate ``function`` (scalar or 1x1) with respect to each name in ``wrt``."""
    variables = tuple(variables)
    table = {v.name: v for v in variables}
    for name in wrt:
        if name not in table:
            raise UserError(f"cannot differentiate with respect to {name!r}: not a declared "
                            f"variable (declared: {', '.join(table)})")
    function = scalar_function(function)
    twin = symbolic_twin(function, variables)
    if twin is not None:
        return _through_twin(twin, function, variables, tuple(wrt))
    d = Derivation(function, variables, tuple(wrt), {}, {})
    big = overflowing_constant(function)
    if big is not None:
        d.notes.append(Note("note.overflow", constant=_short(big)))
    if not d.uses_matrices and not any(table[n].is_matrix for n in wrt):
        with time_limit(DIFF_SECONDS, "differentiation"):
            for name in wrt:
                try:
                    d.gradient[name] = tidy(sympy.diff(function, table[name].symbol()))
                except (NotImplementedError, TypeError, ValueError, AttributeError) as exc:
                    raise ResourceLimit(f"SymPy cannot differentiate this expression "
                                        f"({type(exc).__name__}); no verdict") from None
                d.gradient[name], note = away_from_jumps(d.gradient[name])
                d.notes += [f"d/d{name}: {note}"] if note else []
                d.method[name] = "scalar"
                if d.gradient[name].has(sympy.I):
                    raise UserError(f"no real derivative: SymPy gives d/d{name} = "
                                    f"{_short(d.gradient[name])}, complex for real values "
                                    f"(is the function real anywhere?)", "EXPR")
        return d
    for name in wrt:
        closed, why = _matrix_calculus(function, table[name])
        if closed is not None:
            why = _disagreement(d, name, closed)
        if why is None:
            d.gradient[name], d.method[name] = closed, "matrix-calculus"
            continue
        closed, how = _differentials(function, table[name])
        if closed is not None:
            how = _disagreement(d, name, closed)
        if how is None:
            d.gradient[name], d.method[name] = closed, "differentials"
            d.notes.append(Note("note.differentials", name=name, why=why))
        else:
            d.gradient[name], d.method[name] = None, "explicit"
            d.notes.append(Note("note.explicit", name=name, why=why, how=how))
    return d


def _through_twin(twin, function, variables, wrt) -> Derivation:
    """The derivation at symbolic sizes (:func:`~workbench.derive.explicit.symbolic_twin`),
    its closed forms specialised back to the fixed sizes."""
    g = derive_gradient(twin.function, twin.variables, wrt)
    d = Derivation(function, tuple(variables), wrt,
                   {k: twin.back(v) for k, v in g.gradient.items()}, dict(g.method), g.notes)
    sizes = ", ".join(f"{k} as {n}" for k, n in twin.names.items())
    d.notes.append(Note("note.twin", sizes=sizes))
    return d


def _differentials(function, v: Variable):
    """(closed form, None) from the differential route, or (None, why it failed)."""
    dV = differential_symbol(v.symbol(), v.name)
    g, why = attempt(lambda: route(function, v.symbol(), dV, simplify=tidy), DIFF_SECONDS)
    if why is not None:
        return None, why
    if v.is_matrix and not is_matrix(g):
        return None, "gave a scalar"
    if not v.is_matrix and is_matrix(g):
        g = as_scalar(g) if g.shape == (1, 1) else None
        if g is None:
            return None, "gave a matrix"
    return g, None


def away_from_jumps(expr) -> tuple[sympy.Basic, str | None]:
    """``expr`` without its ``DiracDelta`` terms, and a note naming the jumps (None without
    any). SymPy differentiates a jump (``sign``, ``Heaviside``) to a Dirac delta, which is 0
    wherever the derivative exists; the language has no delta, so a printed gradient with one
    could not be read back."""
    deltas = sorted(expr.atoms(sympy.DiracDelta), key=sympy.default_sort_key)
    if not deltas:
        return expr, None
    where = ", ".join(f"{plain(d.args[0])} = 0" for d in deltas)
    return expr.xreplace({d: sympy.S.Zero for d in deltas}), (
        f"valid away from {where}, where the function jumps or has a kink and has no "
        f"derivative (SymPy's DiracDelta terms, 0 elsewhere, are left out)")


def tidy(expr, seconds: float = SIMPLIFY_SECONDS):
    """A shorter equivalent form when one is found within ``seconds``; the input otherwise."""
    if too_big(expr) or hard_to_simplify(expr):
        return expr
    try:
        with time_limit(seconds, "simplification"):
            simple = sympy.simplify(expr)
        if simple.has(sympy.Piecewise) and not expr.has(sympy.Piecewise):
            return expr       # our language has no Piecewise: the printed form could not be read
        return simple if sympy.count_ops(simple) <= sympy.count_ops(expr) else expr
    except (ResourceLimit, RecursionError):
        return expr


def _matrix_calculus(function, v: Variable):
    """(closed form, None) or (None, why it failed)."""
    try:
        with time_limit(DIFF_SECONDS, "matrix calculus"):
            g = sympy.diff(function, v.symbol())
    except ResourceLimit:
        return None, "timed out"
    except Exception as exc:  # SymPy raises many kinds here (AttributeError, TypeError ...)
        return None, f"raised {type(exc).__name__}"
    if not v.is_matrix:
        if is_matrix(g):
            g = as_scalar(g) if g.shape == (1, 1) else None
        return (g, None) if g is not None else (None, "gave a matrix for a scalar")
    if not is_matrix(g) or isinstance(g, sympy.NDimArray) or g.shape != v.symbol().shape:
        shape = getattr(g, "shape", "a scalar")
        return None, f"gave shape {shape} instead of {v.symbol().shape}"
    return g, None


def _disagreement(d: Derivation, name: str, closed) -> str | None:
    """None when ``closed`` equals the derivative of the function, in high precision, at
    random rational points of the probe sizes (matrices valid for the function: invertible
    under ``inv`` ...); else why not. The derivative there comes from central differences in
    high precision, so no symbolic differentiation at explicit sizes is needed."""
    v = {x.name: x for x in d.variables}[name]
    key = v.name if v.is_matrix else v.symbol()
    return guard(d.function, d.variables, d.dims, lambda values, sizes, rng: (
        precise.evaluate(closed, values),
        precise.derivative(d.function, values, key, escalate=True)))


GUARD_SCALES = (1, sympy.Rational(1, 30), sympy.Rational(1, 900))
"""Where a guard's point is out of reach (``sigmoid(w.T@x)`` saturates to ``exp(-10**4)`` at
entries up to 99, and central differences cannot settle there), the same point scaled down."""


def guard(function, variables, dims, sides) -> str | None:
    """None when ``sides(values, sizes, rng)`` gives two equal high-precision values at
    :data:`GUARD_POINTS` random rational points of each probe size (each scaled down by
    :data:`GUARD_SCALES` while out of reach); else why not."""
    roles = matrix_roles(function, variables)
    rng = random.Random(0)
    for sizes in probe_sizes(tuple(dims)) if dims else ({},):
        for _ in range(GUARD_POINTS):
            point = rational_point(variables, sizes, roles, rng)
            for scale in GUARD_SCALES:
                values = exact_values(variables, _scaled(point.values, variables, scale),
                                      sizes)
                try:
                    got, want = sides(values, sizes, rng)
                    break
                except (precise.OutOfReach, ResourceLimit) as exc:
                    why = f"could not be checked ({type(exc).__name__})"
                except (precise.Undefined, precise.Unsupported, ZeroDivisionError, ValueError,
                        TypeError) as exc:
                    return f"could not be checked ({type(exc).__name__})"
            else:
                return why
            status = precise.compare(got, want)
            if status == "different":
                return f"disagrees with the derivative at sizes {sizes}"
            if status != "equal":
                return "could not be checked to 30 digits"
    return None


def _scaled(values: Mapping[str, object], variables: Sequence[Variable], scale) -> dict:
    """``values`` times ``scale`` (positive) where that keeps them valid: every domain but an
    interval, whose values are kept (an invertible, spd or positive-determinant matrix stays
    so)."""
    kinds = {v.name: v.domain.kind for v in variables}
    return {k: x * scale if kinds.get(k) != "interval" else x for k, x in values.items()}


def _short(e, limit: int = 60) -> str:
    text = plain(e)
    return text if len(text) <= limit else text[:limit] + " ..."

"""The points that matter for an expression: where it has a kink, a pole, the end of its domain,
or where an argument saturates; and what matrices must be for it to be defined.

A hand derivative that is right for x < 5 and wrong beyond (``relu(x - 5)`` with hand 0) is only
caught by drawing on both sides of 5. The landmarks of a scalar variable are the solutions of
``g = c`` for the arguments ``g`` of its kinks (``Abs``, ``sign``, ``Max``/``Min``, ``relu``,
``Heaviside``, piecewise conditions: c = 0), poles and domain ends (denominators, ``log``,
fractional powers: c = 0; ``asin``/``acos``/``atanh``: c = ±1) and saturations (``exp``: c =
±30, where a sigmoid is flat to 1e-13, and ±709, where float64 overflows; ``tanh``: c = ±20).
A solution may depend on other variables (``x = a`` for ``Abs(x - a)``): it is then a relation,
evaluated at the other coordinates of each drawn point.

Solving runs under a time limit; what does not solve quickly is left to the magnitude draws.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Iterable, Sequence

import sympy

from workbench.derive.limits import time_limit, too_big
from workbench.errors import ResourceLimit
from workbench.expr.spaces import Variable

SECONDS = 1.0
LIMIT = 24
EXP_TARGETS = (30, -30, 709, -709)
TANH_TARGETS = (20, -20)


@dataclass(frozen=True)
class Landmark:
    """``variable = value`` is a kink, pole, edge or saturation point; ``value`` may involve
    other scalar variables."""

    variable: str
    value: sympy.Expr
    kind: str

    @property
    def is_constant(self) -> bool:
        return not self.value.free_symbols


def _targets(node) -> list[tuple[sympy.Expr, sympy.Expr, str]]:
    """(argument, value, kind) triples that this node makes interesting."""
    if isinstance(node, (sympy.Abs, sympy.sign, sympy.Heaviside, sympy.DiracDelta)):
        return [(node.args[0], sympy.Integer(0), "kink")]
    if isinstance(node, (sympy.Max, sympy.Min)):
        return [(a - b, sympy.Integer(0), "kink")
                for a, b in itertools.islice(itertools.combinations(node.args, 2), 6)]
    if isinstance(node, sympy.Piecewise):
        out = []
        for _, cond in node.args:
            for rel in cond.atoms(sympy.core.relational.Relational):
                out.append((rel.lhs - rel.rhs, sympy.Integer(0), "kink"))
        return out
    if isinstance(node, sympy.Pow):
        base, e = node.args
        if e.is_number and e.is_negative:
            return [(base, sympy.Integer(0), "pole")]
        if e.is_number and not e.is_integer:
            return [(base, sympy.Integer(0), "edge")]
        return []
    if isinstance(node, sympy.log):
        return [(node.args[0], sympy.Integer(0), "edge")]
    if isinstance(node, (sympy.asin, sympy.acos, sympy.atanh)):
        return [(node.args[0], sympy.Integer(c), "edge") for c in (1, -1)]
    if isinstance(node, sympy.exp):
        return [(node.args[0], sympy.Integer(c), "saturation") for c in EXP_TARGETS]
    if isinstance(node, sympy.tanh):
        return [(node.args[0], sympy.Integer(c), "saturation") for c in TANH_TARGETS]
    if isinstance(node, sympy.tan):
        return [(node.args[0], sympy.pi / 2, "pole")]
    return []


def find_landmarks(exprs: Iterable[sympy.Basic], variables: Sequence[Variable],
                   seconds: float = SECONDS, limit: int = LIMIT) -> list[Landmark]:
    """Landmarks of the scalar ``variables`` in ``exprs`` (kinks first), at most ``limit``."""
    scalars = {v.symbol(): v.name for v in variables if not v.is_matrix}
    found: list[Landmark] = []
    seen: set = set()
    triples = []
    for expr in exprs:
        if expr is None or too_big(expr):
            continue
        for node in sympy.preorder_traversal(expr):
            triples.extend(_targets(node))
    order = {"kink": 0, "pole": 1, "edge": 2, "saturation": 3}
    triples.sort(key=lambda t: order[t[2]])
    try:
        with time_limit(seconds, "finding landmarks"):
            for arg, target, kind in triples:
                for sym in arg.free_symbols & set(scalars):
                    for value in _solve(arg - target, sym):
                        key = (scalars[sym], value)
                        if key not in seen and (value.free_symbols <= set(scalars)):
                            seen.add(key)
                            found.append(Landmark(scalars[sym], value, kind))
                            if len(found) >= limit:
                                return found
    except (ResourceLimit, RecursionError):
        pass
    return found


def _solve(equation, sym) -> list[sympy.Expr]:
    """Real solutions of ``equation = 0`` for ``sym`` when it is a polynomial of degree <= 2
    in ``sym`` (kinks and poles are almost always linear); none otherwise."""
    try:
        poly = sympy.Poly(equation, sym)
    except (sympy.PolynomialError, sympy.GeneratorsNeeded, ValueError, TypeError):
        return []
    if not 1 <= poly.degree() <= 2 or any(c.has(sympy.I) for c in poly.coeffs()):
        return []
    try:
        roots = sympy.solve(equation, sym)
    except (NotImplementedError, ValueError, TypeError):
        return []
    return [r for r in roots if r.is_real is not False and not r.has(sympy.I)]


def matrix_roles(function: sympy.Basic, variables: Sequence[Variable]) -> dict[str, str]:
    """``invertible`` for a matrix whose inverse or determinant is taken, ``positive-det``
    under a log-determinant, ``spd`` where declared, ``plain`` otherwise."""
    roles = {v.name: ("spd" if v.domain.kind == "spd" else "plain")
             for v in variables if v.is_matrix}
    if not roles:
        return roles

    def bare(m):
        while isinstance(m, sympy.Transpose):
            m = m.arg
        return m.name if isinstance(m, sympy.MatrixSymbol) and m.name in roles else None

    for node in sympy.preorder_traversal(function):
        inverse = isinstance(node, sympy.MatPow) and node.args[1].is_number and \
            node.args[1].is_negative
        if inverse or isinstance(node, (sympy.Inverse, sympy.Determinant)):
            name = bare(node.args[0])
            if name and roles[name] == "plain":
                roles[name] = "invertible"
        if isinstance(node, sympy.log) and isinstance(node.args[0], sympy.Determinant):
            name = bare(node.args[0].args[0])
            if name and roles[name] in ("plain", "invertible"):
                roles[name] = "positive-det"
    return roles


__all__ = ["Landmark", "find_landmarks", "matrix_roles"]

"""The exact side of a check: shapes, then hand = derived decided per variable without floats.

Scalar problems go to :func:`workbench.derive.equality.compare` (symbolic, then identity tests,
piece by piece across kinks, with the expression's landmarks as witness candidates). Matrix
problems are tried symbolically for all sizes first, then at the probe sizes (``n = 3, p = 2``
and ``n = 4, p = 3`` ...): hand and true gradients are evaluated in high precision at random
rational matrices valid for the function (invertible under ``inv``, SPD where declared); an
agreement at every such point is an identity test of the entries, a disagreement a witness.
"""

from __future__ import annotations

import random
import time
from typing import Mapping, Sequence

import sympy

from workbench.derive import precise
from workbench.derive.equality import Equality, compare, has_switches, is_zero, scalar_draw
from workbench.derive.explicit import probe_sizes
from workbench.derive.gradient import Derivation
from workbench.derive.landmarks import Landmark
from workbench.derive.limits import time_limit, too_big
from workbench.errors import ResourceLimit
from workbench.expr.functions import is_matrix
from workbench.expr.sampling import rational_point
from workbench.expr.spaces import Variable
from workbench.verify.confirm import FAILURES, PreciseReference
from workbench.verify.evidence import ExactEvidence, ShapeEvidence
from workbench.verify.report import format_sizes

MATRIX_POINTS = 3
"""Random rational points per probe size in a matrix identity test."""
OFFSETS = (sympy.Rational(1, 10**6), sympy.Rational(1, 100), sympy.Integer(1))


def shape_evidence(variables: Sequence[Variable], hand: Mapping[str, sympy.Basic]
                   ) -> list[ShapeEvidence]:
    """One :class:`ShapeEvidence` per hand gradient whose shape is not its variable's."""
    table = {v.name: v for v in variables}
    out = []
    for name, h in hand.items():
        v = table[name]
        want = tuple(v.symbol().shape) if v.is_matrix else None
        got = tuple(h.shape) if is_matrix(h) else None
        if want != got and not (want is None and got == (1, 1)):
            out.append(ShapeEvidence(name, want, got))
    return out


def exact_evidence(d: Derivation, hand: Mapping[str, sympy.Basic], landmarks: Sequence[Landmark],
                   roles: Mapping[str, str], seed: int = 0) -> dict[str, ExactEvidence]:
    """Exact comparison of each hand gradient with the derived one (see module docstring)."""
    out = {}
    for name, h in hand.items():
        if d.uses_matrices:
            out[name] = _matrix(d, name, h, roles, seed)
        else:
            points = simple_points(d.variables) + landmark_points(landmarks, d.variables,
                                                                   random.Random(seed))
            eq = compare(h, d.gradient[name], scalar_draw(d.variables), points, seed=seed)
            out[name] = ExactEvidence(name, eq)
    return out


def simple_points(variables: Sequence[Variable]) -> list[dict]:
    """Points a reader takes in at a glance, tried first for a witness: every scalar at 1,
    then one of them at 0, -1, 2, 1/2 in turn (where the domains allow)."""
    from workbench.expr.sampling import in_domain
    scalars = [v for v in variables if not v.is_matrix]
    base = {v.symbol(): sympy.Integer(1) for v in scalars}
    out = [dict(base)] if all(in_domain(v.domain, 1.0) for v in scalars) else []
    for value in (0, -1, 2, sympy.Rational(1, 2), -2):
        for v in scalars:
            if in_domain(v.domain, float(value)) and all(
                    in_domain(w.domain, 1.0) for w in scalars if w is not v):
                out.append({**base, v.symbol(): sympy.Integer(value) if value in (0, -1, 2, -2)
                            else value})
    return out


def landmark_points(landmarks: Sequence[Landmark], variables: Sequence[Variable],
                    rng: random.Random, per_landmark: int = 6) -> list[dict]:
    """Exact points on both sides of each landmark (other variables drawn at random)."""
    draw = scalar_draw(variables)
    table = {v.name: v for v in variables}
    out = []
    for mark in landmarks:
        sym = table[mark.variable].symbol()
        for offset in OFFSETS[:per_landmark // 2]:
            for sign in (1, -1):
                point = draw(rng)
                try:
                    with time_limit(0.2, "a landmark"):
                        centre = mark.value.xreplace(point)
                        centre = sympy.nsimplify(sympy.N(centre, 30), rational=True) \
                            if not centre.is_Rational else centre
                except (ResourceLimit, TypeError, ValueError, ZeroDivisionError):
                    continue
                if not centre.is_Rational:
                    continue
                point[sym] = centre + sign * offset * max(1, abs(centre))
                out.append(point)
    return out


def _matrix(d: Derivation, name: str, hand, roles, seed: int) -> ExactEvidence:
    t0 = time.perf_counter()
    closed = d.gradient.get(name)
    if closed is not None and _symbolically_equal(hand, closed):
        return ExactEvidence(name, Equality("equal", "symbolic (for all sizes)"))
    ref = PreciseReference(d, {name: hand})
    switches = has_switches(d.function) or has_switches(hand)
    rng = random.Random(seed)
    sizes_list = probe_sizes(d.dims) if d.dims else ({},)
    tested = 0
    undefined = 0
    for sizes in sizes_list:
        if closed is None and sizes:
            _explicit_in_budget(d, sizes)
        for _ in range(MATRIX_POINTS):
            point = rational_point(d.variables, sizes, roles, rng)
            values = ref.exact_values(point.values, sizes)
            try:
                true = ref.true(name, values)
                got = precise.evaluate(hand, values)
            except FAILURES:
                undefined += 1
                continue
            status = precise.compare(got, true)
            scope = f"at sizes {format_sizes(sizes)}" if sizes else ""
            if status == "different":
                eq = Equality("different", "exact witness", witness=_show(point.values),
                              values=(got, true), points=tested + 1)
                return ExactEvidence(name, eq, scope)
            if status == "equal":
                tested += 1
    scope = "at sizes " + "; ".join(format_sizes(s) for s in sizes_list) if d.dims else ""
    seconds = round(time.perf_counter() - t0, 3)
    if switches:
        return ExactEvidence(name, Equality(
            "undecided", reason="the function has kinks: agreement at random points is no "
            "proof at explicit sizes", points=tested, seconds=seconds), scope)
    if tested < MATRIX_POINTS * len(sizes_list):
        return ExactEvidence(name, Equality(
            "undecided", reason=f"only {tested} random points could be evaluated "
            f"({undefined} undefined or over budget)", points=tested, seconds=seconds), scope)
    return ExactEvidence(name, Equality(
        "equal", f"identity test: equal to {precise.DIGITS} digits at {tested} random rational "
        f"points", points=tested, seconds=seconds), scope)


def _explicit_in_budget(d: Derivation, sizes: Mapping[str, int]) -> None:
    """Derive the elementwise gradient at ``sizes`` (cached in ``d``), so that the true values
    are that exact derivative evaluated, not central differences: where a softmax saturates
    (attention scores of random rational matrices, gradients near 1e-275) differences do not
    settle, and the identity test was left undecided. Over budget, differences remain."""
    try:
        d.explicit(sizes)
    except FAILURES:
        pass


def _symbolically_equal(a, b) -> bool:
    if a == b:
        return True
    diff = a - b
    if too_big(diff):
        return False
    try:
        with time_limit(0.5, "comparing matrix expressions"):
            e = sympy.simplify(diff.doit() if hasattr(diff, "doit") else diff)
            return is_zero(e)
    except Exception:  # noqa: BLE001 - SymPy's matrix simplification raises many kinds
        return False


def _show(values: dict) -> dict:
    return {k: (v.tolist() if is_matrix(v) else v) for k, v in values.items()}


__all__ = ["exact_evidence", "landmark_points", "shape_evidence"]

"""Is the hand gradient the derived one? Decided symbolically first, under time and size limits.

Outcomes: ``equal`` (the difference simplifies to 0; for matrices, at two explicit sizes),
``different`` (a witness: a point, evaluated to 50 digits, where the difference is not 0; or an
explicit size where it does not vanish), or ``undecided`` (left to the numeric check).
An exact difference is reported even when it is far below float tolerance: ``2*x + x/10**7``
is not the derivative of ``x**2``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Mapping

import sympy

from workbench.derive.explicit import make_explicit, probe_sizes
from workbench.derive.gradient import SIMPLIFY_SECONDS, Derivation
from workbench.derive.limits import time_limit, too_big
from workbench.errors import ResourceLimit
from workbench.expr.functions import is_matrix
from workbench.expr.spaces import Variable


@dataclass
class SymbolicVerdict:
    """``status`` per variable and overall; ``difference`` is hand - derived where known."""

    status: str
    per_variable: dict[str, str] = field(default_factory=dict)
    difference: dict[str, str] = field(default_factory=dict)
    witness: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def format_sizes(sizes: Mapping[str, int]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sizes.items()) or "fixed sizes"


def compare_symbolic(derivation: Derivation, hand: Mapping[str, sympy.Basic],
                     seconds: float = SIMPLIFY_SECONDS) -> SymbolicVerdict:
    """Compare ``hand[name]`` with the derived gradient for every name in ``hand``."""
    out = SymbolicVerdict("equal")
    for name, h in hand.items():
        try:
            status, diff, witness = (_compare_matrix if derivation.uses_matrices
                                     else _compare_scalar)(derivation, name, h, seconds)
        except ResourceLimit as exc:
            status, diff, witness = "undecided", None, None
            out.notes.append(f"d/d{name}: {exc}")
        out.per_variable[name] = status
        if diff is not None:
            out.difference[name] = diff
        if witness is not None:
            out.witness[name] = witness
    statuses = set(out.per_variable.values())
    out.status = ("different" if "different" in statuses else
                  "undecided" if "undecided" in statuses else "equal")
    return out


def _compare_scalar(d: Derivation, name: str, hand, seconds: float):
    diff = hand - d.gradient[name]
    if too_big(diff):
        return "undecided", None, None
    with time_limit(seconds, f"simplifying hand - derived for d/d{name}"):
        simple = sympy.simplify(sympy.expand(diff))
    if simple == 0:
        return "equal", None, None
    witness = _nonzero_witness(simple, d.variables)
    if witness is None:
        return "undecided", str(simple), None
    return "different", str(simple), witness


def _nonzero_witness(expr, variables: tuple[Variable, ...], tries: int = 6) -> str | None:
    """A point in the declared domains where ``expr`` is clearly not 0 (50 digits)."""
    rng = random.Random(0)
    scalars = [v for v in variables if not v.is_matrix]
    for _ in range(tries):
        point = {}
        for v in scalars:
            lo = v.domain.low + v.domain.margin
            hi = v.domain.high
            value = sympy.Rational(rng.randint(1, 99), 100) * (hi - lo) + lo
            if v.domain.kind == "nonzero" and rng.random() < 0.5:
                value = -value
            point[v.symbol()] = sympy.nsimplify(value)
        try:
            value = sympy.N(expr.xreplace(point), 50)
        except (TypeError, ValueError, ZeroDivisionError):
            continue
        if value.is_number and value.is_finite and abs(complex(value)) > 1e-40:
            where = ", ".join(f"{k}={v}" for k, v in point.items())
            return f"at {where}: hand - derived = {sympy.N(value, 6)}"
    return None


def _reduce(e):
    """0 when ``e`` is identically zero: expand, then cancel (rational functions such as the
    entries of an inverse), then simplify."""
    for step in (sympy.expand, lambda t: sympy.cancel(sympy.together(t)), sympy.simplify):
        e = step(e)
        if e == 0:
            return e
    return e


def _short(e, limit: int = 160) -> str:
    text = str(e)
    return text if len(text) <= limit else text[:limit] + " ..."


def _compare_matrix(d: Derivation, name: str, hand, seconds: float):
    v = {x.name: x for x in d.variables}[name]
    want_shape = v.symbol().shape if v.is_matrix else None
    got_shape = hand.shape if is_matrix(hand) else None
    if want_shape != got_shape and not (want_shape is None and got_shape == (1, 1)):
        return ("different", None,
                f"the hand gradient has shape {got_shape or 'scalar'}, the gradient "
                f"{want_shape or 'scalar'}")
    for sizes in probe_sizes(d.dims):
        derived = d.explicit(sizes)[name]
        with time_limit(seconds, f"comparing d/d{name} at explicit sizes"):
            got = make_explicit(hand, d.variables, sizes)
            diff = got - derived
            entries = list(diff) if is_matrix(diff) else [diff]
            for k, e in enumerate(entries):
                e = _reduce(e)
                if e != 0:
                    where = f"entry {divmod(k, diff.shape[1])}" if is_matrix(diff) else "value"
                    return ("different", _short(e),
                            f"at sizes {format_sizes(sizes)}, {where}: hand - derived = "
                            f"{_short(e)}")
    return "equal", None, None

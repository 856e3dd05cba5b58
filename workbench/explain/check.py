"""Is ``a = b``? SymPy decides: symbolically when it can within a time limit, else by exact
substitution of random points from the variables' domains, evaluated with 50 digits.

A difference that evaluates to a clear non-zero number refutes the equality (``wrong``); one
that SymPy neither simplifies to zero nor can evaluate stays ``unjustified``. Nothing is
assumed true.
"""

from __future__ import annotations

import random
from typing import Sequence

import sympy

from workbench.derive.limits import time_limit, too_big
from workbench.errors import ResourceLimit

STEP_SECONDS = 2.0
DIGITS = 50
ZERO = sympy.Float(10) ** -30
SEED = 20240
POINTS = 3


def random_points(variables: Sequence, count: int = POINTS, seed: int = SEED) -> list[dict]:
    """``count`` substitutions ``{symbol: Rational}`` for the scalar variables, inside their
    domains (seeded, so reproducible); matrices are handled by the caller."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        point = {}
        for v in variables:
            if v.is_matrix:
                continue
            point[v.symbol()] = rational_in(v.domain, rng)
        out.append(point)
    return out


def rational_in(domain, rng: random.Random) -> sympy.Rational:
    """A random rational inside ``domain`` (denominator 997), never 0."""
    low, high = domain.low + domain.margin, domain.high - domain.margin
    value = sympy.Rational(round(rng.uniform(low, high) * 997), 997)
    if value == 0:
        value = sympy.Rational(1, 7) if high > 0 else sympy.Rational(-1, 7)
    return value


class Checker:
    """Decides equalities of expressions in the symbols that ``points`` substitute."""

    def __init__(self, points: list[dict], seconds: float = STEP_SECONDS):
        self.points, self.seconds = points, seconds

    def equal(self, a, b) -> tuple[str, str]:
        """(status, how): ``confirmed``/``wrong``/``unjustified`` and a short reason."""
        try:
            diff = sympy.expand(a - b) if not too_big(a) and not too_big(b) else a - b
        except Exception:  # SymPy raises many kinds on exotic nodes
            diff = a - b
        if diff == 0:
            return "confirmed", "symbolic"
        try:
            with time_limit(self.seconds, "checking a step"):
                if not too_big(diff) and sympy.simplify(diff) == 0:
                    return "confirmed", "symbolic"
        except (ResourceLimit, RecursionError):
            pass
        except Exception:  # noqa: BLE001 - simplify fails on some piecewise forms
            pass
        return self.numeric(diff)

    def numeric(self, diff) -> tuple[str, str]:
        """Evaluate ``diff`` at every point with :data:`DIGITS` digits."""
        if not self.points:
            return "unjustified", "no point to evaluate at"
        for point in self.points:
            try:
                with time_limit(self.seconds, "evaluating a step"):
                    value = sympy.N(diff.xreplace(point).doit(), DIGITS)
            except (ResourceLimit, RecursionError):
                return "unjustified", "could not be evaluated in time"
            except Exception as exc:  # noqa: BLE001 - evaluation of an exotic node
                return "unjustified", f"could not be evaluated ({type(exc).__name__})"
            if not value.is_number or value.has(sympy.nan, sympy.zoo):
                return "unjustified", "does not evaluate to a number"
            if abs(value) > ZERO:
                return "wrong", f"differs by {sympy.N(value, 6)} at {_show(point)}"
        return "confirmed", f"{len(self.points)} exact points, {DIGITS} digits"


def _show(point: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in point.items())

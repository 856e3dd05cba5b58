"""Is ``a = b``? for the steps of a page, decided by :mod:`workbench.derive.equality` (the one
module that owns exact equality): symbolically, else by identity tests at random points drawn
in the variables' domains, with a witness point when they differ. Nothing is assumed true.

``confirmed`` (equal, with how), ``wrong`` (a witness), ``unjustified`` (undecided, with why).
"""

from __future__ import annotations

import random
from typing import Sequence

import sympy

from workbench.derive.equality import compare, reduce_to_zero
from workbench.expr.sampling import rational_scalar
from workbench.expr.spaces import Domain

STEP_SECONDS = 2.0
SEED = 20240
POINTS = 3
STATUS = {"equal": "confirmed", "different": "wrong", "undecided": "unjustified"}


def random_points(variables: Sequence, count: int = POINTS, seed: int = SEED) -> list[dict]:
    """``count`` substitutions ``{symbol: Rational}`` for the scalar variables, inside their
    domains (seeded, so reproducible); matrices are handled by the caller."""
    rng = random.Random(seed)
    return [{v.symbol(): rational_scalar(v.domain, rng) for v in variables if not v.is_matrix}
            for _ in range(count)]


def _domain_of(symbol: sympy.Symbol) -> Domain:
    """The domain a symbol's assumptions say (a positive symbol draws positive values)."""
    for kind in ("positive", "negative", "nonzero"):
        if getattr(symbol, f"is_{kind}"):
            return Domain.parse(kind)
    return Domain()


class Checker:
    """Decides equalities of expressions in the symbols that ``points`` give values to; the
    points are tried first for a witness, then more are drawn in the same domains."""

    def __init__(self, points: list[dict], seconds: float = STEP_SECONDS):
        self.points, self.seconds = list(points), seconds
        symbols = list(self.points[0]) if self.points else []
        domains = {s: _domain_of(s) for s in symbols}
        self.draw = lambda rng: {s: rational_scalar(d, rng) for s, d in domains.items()}

    def equal(self, a, b) -> tuple[str, str]:
        """(status, how): ``confirmed``/``wrong``/``unjustified`` and a short reason."""
        if not self.points:
            zero, _ = reduce_to_zero(a - b, self.seconds)
            return ("confirmed", "symbolic") if zero else ("unjustified",
                                                           "no point to evaluate at")
        eq = compare(a, b, self.draw, self.points, seed=SEED, symbolic_seconds=self.seconds)
        if eq.different:
            where = ", ".join(f"{k}={v}" for k, v in eq.witness.items())
            return "wrong", f"differs at {where}: {eq.values[0]} against {eq.values[1]}"
        return STATUS[eq.status], eq.method if eq.equal else eq.reason

"""When a disagreement between the code and its references is confirmed (issue 22's
promise): only past both sides' error bounds, and after three tests that each skip the point
with a reason instead (:meth:`Confirmation.verify`): the rounding of an ill-conditioned point,
a kink along the direction, and an independent second estimate that does not reproduce it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.code.directional import AUTOGRAD, COMPLEX, FORWARD, OWN_FORWARD, Directional
from workbench.code.estimate import EPS, EXACT_ULPS, FIRST_STEP, SAFETY, Estimate
from workbench.code.subject import COTANGENT

TIGHT = 1e-9
"""Richardson decides alone when its bound is below this share of the derivative (an error
of 1e-7 relative is then well outside it); otherwise the exact references are asked too."""
EXACT_EPS = EXACT_ULPS * EPS
INDEPENDENT = (AUTOGRAD, OWN_FORWARD, COMPLEX)
"""Exact references computed apart from the subject: agreeing with one settles a point.
Forward-mode autograd is not among them: torch derives many forward formulas from the
backward ones (hardsigmoid's float32 constant 1/6 is in both)."""
SMALLER = 2.0 ** -10
"""A disagreement Richardson found is reproduced by Richardson again, from steps this much
smaller (a staircase such as ``round(x, 3)`` looks like a line at the first steps only)."""
MOVE = 1e-6
"""Relative move of the point that reproduces a disagreement only exact references see."""
ILL_CONDITIONED = "ill-conditioned here (the code's gradient moves by more than the " \
                  "disagreement when the inputs move by a few ulps to 2^-14 relative: " \
                  "rounding, not a mistake, or a backward too unstable to tell)"
KINK = "not differentiable here (one-sided derivatives along a random direction differ: a " \
       "kink, a tie, a jump)"
UNSETTLED = "no reference settles here (differences do not converge: too large or too fast " \
            "a variation for float64 steps)"
DISAGREE = "references disagree with each other here (the code is not smooth or not " \
           "analytic at this point)"
ONE_SIDE = "a second estimate (smaller steps, or one side) does not reproduce the " \
           "disagreement (a staircase, a domain end or a nearby jump)"
SATURATED = "the forward rounds to a constant here (a saturated 1 + erf(x)) and the code's " \
            "slope is below an ulp of it: nothing float64 differences can measure"
STAIRCASE = "a staircase: the forward is constant at steps where the differences' slope " \
            "would show, or calls round, floor, sign... (stairs below any step the " \
            "differences take)"
UNWITNESSED = "only forward-mode autograd disagrees with the code (torch's own formulas, not " \
              "independent of a backward), while finite differences agree with it within " \
              "their bound (a degenerate point: repeated singular values, a subspace)"
ISOLATED = "the disagreement vanishes when the point moves slightly (an isolated point)"


class Skip(Exception):
    """The point cannot be decided here; ``reason`` is counted in the evidence."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Finding:
    """A confirmed disagreement: the input it is in (None: only all inputs together), the
    code's estimate and the reference's."""

    name: str | None
    code: Estimate
    reference: Estimate


@dataclass(frozen=True)
class Confirmation:
    """Decides disagreements; ``atol``/``rtol``: the user's extra allowance (``gradcheck``'s),
    a disagreement must also exceed ``atol |u|_1 |v|_1 + rtol sum |g_j v_j|``."""

    atol: float = 0.0
    rtol: float = 0.0

    def compare(self, at, v) -> Finding | None:
        """None when the code agrees at ``at`` along ``v`` (every differentiated input at
        once), a confirmed :class:`Finding`, or :class:`Skip` with the reason. An agreement
        with an independent exact reference (the complex step, or autograd of a hand
        gradient's forward: neither shares code with the subject) settles it in one
        evaluation; otherwise Richardson decides alone when its bound is tight, and the
        exact references join when it is not."""
        d = at.code(v)
        if at.tabled is not None and self._tight(at, v, d):
            return None     # settled by a batched evaluation, before any other
        for kind in INDEPENDENT:
            if at.refs.has(kind):
                try:
                    e = at.exact(kind, v)
                except Exception:    # noqa: BLE001 - not here: the full comparison decides
                    continue
                if e.usable and not self.differ(at, v, d, e):
                    return None
        if at.tabled is None and self._tight(at, v, d):
            return None
        if at.tabled is not None:
            try:
                if not self.deciding(at, v, d, at.references(v)):
                    return None
            except Skip:
                pass
            at.tabled = None    # a batched table only accepts: what skips or confirms is
        refs = at.references(v)  # evaluated here, point by point
        deciding = self.deciding(at, v, d, refs)
        if not deciding:
            return None
        if all(r.name == FORWARD for r in deciding) and \
                any(r.name == at.RICHARDSON for r in refs):
            raise Skip(UNWITNESSED)
        self.verify(at, v, d, refs, deciding)
        return self.localize(at, v, d, deciding[0])

    def _tight(self, at, v, d: Estimate) -> bool:
        """Richardson alone settles the agreement (its bound is TIGHT)."""
        first = at.richardson(v, floored=False)
        return first.usable and first.bound <= TIGHT * max(abs(first.value),
                                                           d.bound / EXACT_EPS) \
            and not self.differ(at, v, d, first)

    @staticmethod
    def tight_agreements(code: np.ndarray, code_bound: np.ndarray, richardson: np.ndarray,
                         bound: np.ndarray) -> np.ndarray:
        """:meth:`_tight` of many points at once, where it accepts before the floor is
        needed: Richardson's estimate is tight and the code's ``<g, v>`` within both bounds of
        it. Rows it rejects are not mismatches: :meth:`compare` decides them one by one."""
        with np.errstate(all="ignore"):
            finite = np.isfinite(code) & np.isfinite(code_bound) & np.isfinite(richardson) \
                & np.isfinite(bound)
            tight = bound <= TIGHT * np.maximum(np.abs(richardson), code_bound / EXACT_EPS)
            close = np.abs(code - richardson) <= SAFETY * (code_bound + bound)
        return finite & tight & close

    def differ(self, at, v, d: Estimate, ref: Estimate, slack: float = 0.0) -> bool:
        """``d`` disagrees with ``ref`` beyond both bounds (and ``slack``, and the rounding of
        the code's intermediates: a backward computing ``1 - tanh(x)**2`` near 1 is exact to
        ulps of 1, not of its result), and beyond the user's allowance, if any."""
        if not d.disagrees(ref, slack) or not d.disagrees(ref, slack + at.floor):
            return False
        s = self
        if not (s.atol or s.rtol):
            return True
        u = sum(float(t.abs().sum()) for k, t in at.point.items()
                if k.startswith(COTANGENT.format(""))) or 1.0
        size = sum(float(t.abs().sum()) for t in v.values())
        return d.gap(ref) > s.atol * u * size + s.rtol * d.bound / EXACT_EPS

    def deciding(self, at, v, d: Estimate, refs: list[Estimate]) -> list[Estimate]:
        """The references ``d`` disagrees with; :class:`Skip` when none settled or they
        disagree with each other."""
        if not refs:
            raise Skip(UNSETTLED)
        for i, a in enumerate(refs):
            if any(a.disagrees(b) for b in refs[i + 1:]):
                raise Skip(DISAGREE)
        return [r for r in refs if self.differ(at, v, d, r)]

    def verify(self, at, v, d: Estimate, refs, deciding) -> None:
        """Raise :class:`Skip` unless the disagreement of ``d`` with ``deciding`` is real:
        not the rounding of an ill-conditioned point, not at a kink along ``v``, and
        reproduced by an independent second estimate."""
        try:
            slack = max(d.gap(at.moved(Directional.ulps).code(v)), at.jitter(v))
        except Exception:    # noqa: BLE001 - the code failing a few ulps away
            raise Skip(ILL_CONDITIONED) from None
        if not any(self.differ(at, v, d, r, slack) for r in refs):
            raise Skip(ILL_CONDITIONED)
        plus, minus = at.one_sided(v)
        if plus.usable and minus.usable and plus.disagrees(minus):
            raise Skip(KINK)
        if any(r.name == at.RICHARDSON for r in deciding):
            flat, value = at.flat(v)
            if flat and abs(d.value) <= EPS * (1 + abs(value)):
                raise Skip(SATURATED)
            ridder = next(r for r in deciding if r.name == at.RICHARDSON)
            if at.stairs or at.flat_near(v, ridder.value):
                raise Skip(STAIRCASE)
            small = at.richardson(v, FIRST_STEP * SMALLER)
            second = [e for e in (plus, minus) if e.usable]
            if not small.usable or not second or \
                    not all(self.differ(at, v, d, e, slack) for e in [small, *second]):
                raise Skip(ONE_SIDE)
            return
        try:
            near = at.moved(Directional.nearby(MOVE))
        except Exception:    # noqa: BLE001
            raise Skip(ISOLATED) from None
        names = {x.name for x in deciding}
        exact = [r for r in near.references(v, richardson=False) if r.name in names]
        if not exact or not self.differ(near, v, near.code(v), exact[0], slack):
            raise Skip(ISOLATED)

    def localize(self, at, v, d: Estimate, ref: Estimate) -> Finding:
        """The first input whose own projection is confirmed wrong (None: only the
        projection on every input at once)."""
        for name in v:
            part = {name: v[name]}
            dk = at.code(part)
            try:
                refs = at.references(part)
                deciding = self.deciding(at, part, dk, refs)
                if deciding:
                    self.verify(at, part, dk, refs, deciding)
                    return Finding(name, dk, deciding[0])
            except Skip:
                continue
        return Finding(None, d, ref)


__all__ = ["Confirmation", "Finding", "Skip"]

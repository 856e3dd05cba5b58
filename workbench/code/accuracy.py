"""The error model of a low-precision backward: errors in ulp-equivalents, the allowance a
dtype gives at a point, and the verdict of a precision check, decided once from typed
evidence (:func:`decide_precision`).

An *ulp-equivalent* is the error of a gradient relative to its float64 truth, normwise
(``|g - g64|_2 / |g64|_2``), in units of the dtype's unit roundoff ``u`` (2^-24 for float32,
2^-11 for float16, 2^-8 for bfloat16): a backward rounded once per entry is about 1 ulp off.

The allowance at a point is the largest of the bounds each side carries:

- a floor of :data:`FLOOR` ulp-equivalents, and the *condition* of the gradient there: how far
  the float64 truth moves, in ulp-equivalents, when every input moves by about one ulp of the
  dtype (of its own magnitude, or of a sixteenth of its tensor's largest entry; what a backward-stable formula may lose), times :data:`COND_FACTOR`;
- the error of *autograd's own backward* of the same forward in the same dtype (where there is
  one: a custom ``autograd.Function`` or a hand gradient of torch code), times
  :data:`REF_FACTOR`;
- plus twice the subject's own run-to-run spread (a non-deterministic GPU backward).

A point whose error exceeds the allowance, at the point and again at a neighbouring point, is a
confirmed precision bug; one that does not reproduce is skipped with its reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

UNIT_ROUNDOFF = {"float64": 2.0 ** -53, "float32": 2.0 ** -24, "float16": 2.0 ** -11,
                 "bfloat16": 2.0 ** -8}
"""Unit roundoff (half the spacing of the floats just above 1) by dtype name."""
FLOOR = 16.0
"""Ulp-equivalents always allowed: reductions and a few chained roundings of a right backward
stay within it."""
COND_FACTOR = 4.0
"""Ulp-equivalents allowed per unit of the gradient's condition (a backward-stable formula's
error is about the condition times u)."""
ALONE_FLOOR = 64.0
"""The floor without a reference in the dtype: the rounding of intermediates (a normalised
``xhat`` stored in float16) is invisible to the sampled condition, and no other formula's
measured error bounds it."""
ALONE_COND_FACTOR = 16.0
"""The same without a reference in the dtype (the subject is autograd itself): the condition
is sampled (two directions), a lower bound that no measured error of another formula
corroborates, so a failure must exceed it by more."""
REF_FACTOR = 8.0
"""How many times autograd's own error in the same dtype a backward may show."""
MATH_FACTOR = 2.0 ** 32
"""A float64 backward farther than this many float64 ulp-equivalents (times the condition)
from autograd of the forward is wrong in float64 already: a math error, not precision."""
MIN_POINTS = 10
"""Points compared that a precision match needs."""


def unit_roundoff(dtype) -> float:
    """``u`` of a torch dtype or its name."""
    return UNIT_ROUNDOFF[str(dtype).removeprefix("torch.")]


def ulp_error(got, truth, u: float, tiny: float = 0.0) -> float:
    """``|got - truth|_2 / (u |truth|_2)`` for float64 tensors (inf when ``got`` is not
    finite; 0 when both are zero). ``tiny``: the dtype's smallest normal number; an
    absolute error of up to ``tiny`` per entry (``tiny sqrt(n)`` in the norm) is not counted:
    below it the dtype has no relative accuracy to keep (sigmoid'(-158) = 5e-69 is 0 in
    float32, an intermediate that underflows is flushed)."""
    import torch
    if not bool(torch.isfinite(got).all()):
        return float("inf")
    scale = float(torch.linalg.vector_norm(truth))
    diff = float(torch.linalg.vector_norm(got - truth))
    if tiny:
        diff = max(0.0, diff - tiny * math.sqrt(max(truth.numel(), 1)))
    if scale == 0.0:
        return 0.0 if diff == 0.0 else float("inf")
    return diff / (u * scale)


@dataclass(frozen=True)
class InputAccuracy:
    """One input's gradient at one point: the subject's error, autograd's own in the same
    dtype (None: no such reference), the condition, the spread of two runs, in
    ulp-equivalents."""

    name: str
    error: float
    reference: float | None
    condition: float
    spread: float = 0.0

    @property
    def allowance(self) -> float:
        factor = ALONE_COND_FACTOR if self.reference is None else COND_FACTOR
        bound = max(FLOOR if self.reference is not None else ALONE_FLOOR,
                    factor * self.condition)
        if self.reference is not None:
            bound = max(bound, REF_FACTOR * self.reference)
        return bound + 2.0 * self.spread

    @property
    def exceeds(self) -> bool:
        return self.error > self.allowance

    @property
    def ratio(self) -> float | None:
        """How many times autograd's own error (None without a reference)."""
        if self.reference is None:
            return None
        return self.error / max(self.reference, 1.0)


@dataclass
class PrecisionEvidence:
    """What a precision check saw: ``dtype``, ``reference`` (the name of autograd's own
    backward in that dtype, or empty), points compared, skip reasons counted, the worst
    agreeing input, the confirmed failure (with its diagnosis kind), a float64 (math)
    failure."""

    dtype: str
    reference: str = ""
    points: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    worst: InputAccuracy | None = None
    failure: InputAccuracy | None = None
    math: InputAccuracy | None = None
    over_budget: bool = False

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def agree(self, accuracies: list[InputAccuracy]) -> None:
        self.points += 1
        for a in accuracies:
            if self.worst is None or a.error / a.allowance > self.worst.error / self.worst.allowance:
                self.worst = a


@dataclass(frozen=True)
class PrecisionVerdict:
    outcome: str            # match, mismatch, undecided
    level: str              # sampled, confirmed, undecided
    how: str
    reasons: tuple = ()

    @property
    def exit_code(self) -> int:
        return {"match": 0, "mismatch": 1}.get(self.outcome, 4)


def _fmt(x: float) -> str:
    return "inf" if x == float("inf") else (f"{x:.1f}" if x < 100 else f"{x:,.0f}")


def describe(a: InputAccuracy, dtype: str, reference: str) -> str:
    """``d/dx: error 3.1 ulp-equivalents (autograd's own float32 backward 2.0; allowed 32)``."""
    own = f"; {reference} {_fmt(a.reference)}" if a.reference is not None else ""
    return f"d/d{a.name}: error {_fmt(a.error)} ulp-equivalents of {dtype}{own}; " \
           f"allowed {_fmt(a.allowance)} (condition {_fmt(a.condition)})"


def decide_precision(e: PrecisionEvidence, min_points: int = MIN_POINTS) -> PrecisionVerdict:
    """The verdict, from the evidence alone: a confirmed precision failure, else a float64
    (math) error seen, else a match on enough points, else undecided."""
    if e.failure is not None:
        f = e.failure
        if f.error == float("inf"):
            how = f"not finite in {e.dtype} at a point where the float64 truth is finite"
            if f.reference is not None:
                how += f" and so is {e.reference}"
        elif f.ratio is not None and f.ratio > 1:
            how = f"{f.ratio:.0f}x worse than {e.reference} at this point"
        else:
            how = f"beyond the accuracy {e.dtype} allows at this point"
        return PrecisionVerdict("mismatch", "confirmed", f"{how} ({describe(f, e.dtype, e.reference)})")
    if e.math is not None:
        return PrecisionVerdict(
            "mismatch", "confirmed",
            f"off in float64 too: d/d{e.math.name} is {_fmt(e.math.error)} float64 "
            f"ulp-equivalents from autograd of the forward in float64 at a point, beyond its "
            f"condition {_fmt(e.math.condition)} (a wrong formula, or one unstable in float64 "
            f"as well: check_gradient answers the math)")
    reasons = tuple(f"{n} point(s) skipped: {why}" for why, n in e.skipped.items())
    if e.points >= min_points:
        w = e.worst
        worst = f"; worst {describe(w, e.dtype, e.reference)}" if w is not None else ""
        return PrecisionVerdict("match", "sampled",
                                f"within the accuracy {e.dtype} allows on {e.points} points"
                                f"{worst}", reasons)
    return PrecisionVerdict("undecided", "undecided",
                            f"only {e.points} point(s) compared in {e.dtype} (at least "
                            f"{min_points} needed)", reasons)


__all__ = ["ALONE_COND_FACTOR", "ALONE_FLOOR", "COND_FACTOR", "FLOOR", "InputAccuracy", "MATH_FACTOR", "MIN_POINTS", "PrecisionEvidence",
           "PrecisionVerdict", "REF_FACTOR", "UNIT_ROUNDOFF", "decide_precision", "describe",
           "ulp_error", "unit_roundoff"]

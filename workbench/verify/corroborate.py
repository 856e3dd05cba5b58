"""Corroborating a proof without torch: the derived gradient against high-precision differences.

A proved verdict (the hand gradient equals the derived one exactly, or there is no hand and the
derived gradient is proved by its derivation) needs no search, only evidence that SymPy's
derivative is the function's. Here that evidence is gathered at seeded points of the sampling
plan (every magnitude, near the constant landmarks) in high precision: the derived closed form
and the hand are evaluated at the exact point and compared with central differences of the
function (:meth:`~workbench.verify.confirm.PreciseReference.by_differences`), which owe nothing
to symbolic differentiation. Where float64 overflows or cancels, mpmath still answers.

It applies to scalar variables in float64 on the CPU, without ``extra_funcs`` (torch
functions), and needs no torch: ``workbench verify`` of a scalar formula answers in about a
second. It gives up (returns None, and the torch corroboration runs instead) when fewer than
:data:`MIN_POINTS` points could be compared within :data:`SECONDS`.
"""

from __future__ import annotations

import time
from typing import Mapping

import numpy as np
import sympy

from workbench.derive.precise import DIGITS
from workbench.problem import Problem
from workbench.verify.confirm import PreciseReference, skip_reason
from workbench.verify.evidence import PointCheck, SampleEvidence
from workbench.verify.strategies import SamplingPlan

POINTS = 256
"""Points drawn (all of them compared unless the time budget runs out first), at the default
200 examples; more examples, proportionally more points and time."""
MIN_POINTS = 64
"""Fewer agreeing points than this, and the corroboration is left to autograd."""
SECONDS = 0.75
"""Time budget of the whole corroboration: past it, the points compared so far are enough once
:data:`MIN_POINTS` agree; before that, it goes on up to ``HARD_FACTOR`` times as long (a slow
machine still corroborates)."""
HARD_FACTOR = 4
SEED = 7919
REFERENCE = "high-precision differences"


def applies(problem: Problem, settings) -> bool:
    """True when a proof about ``problem`` can be corroborated here: scalar variables only,
    float64 on the CPU, no torch functions of the user's."""
    return (not any(v.is_matrix for v in problem.variables) and not problem.extra_funcs
            and settings.dtype_name == "float64" and str(settings.device) == "cpu")


def precisely(problem: Problem, hand: Mapping[str, sympy.Basic] | None, plan: SamplingPlan,
              reference: PreciseReference, seed: int | None = None,
              points: int = POINTS, seconds: float = SECONDS) -> SampleEvidence | None:
    """What ``points`` seeded points of ``plan`` say of the derived gradient (and of
    ``hand``, when given) against high-precision differences, as
    :class:`~workbench.verify.evidence.SampleEvidence` (a confirmed disagreement in ``engine``
    or ``failure``); None when too few points could be compared (see module docstring)."""
    d = problem.derivation
    if any(d.gradient.get(name) is None for name in problem.wrt):
        return None
    samples = SampleEvidence(examples=1, dtype=f"{DIGITS}-digit", reference=REFERENCE)
    rng = np.random.default_rng(SEED if seed is None else seed)
    arrays = plan.bulk({}, points, rng)
    start = time.perf_counter()
    deadline, hard = start + seconds, start + HARD_FACTOR * seconds
    for i in range(points):
        now = time.perf_counter()
        if now > hard or (now > deadline and samples.points >= MIN_POINTS):
            break
        point = {k: float(a[i]) for k, a in arrays.items()}
        values = reference.values(point, {})
        outcome = _at_point(problem, hand, reference, point, values, max(0.05, hard - now))
        if isinstance(outcome, PointCheck):
            if outcome.kind == "engine":
                samples.engine = outcome
            else:
                samples.failure = outcome
            return samples
        if outcome:
            samples.skip(outcome)
            continue
        samples.agree_at(point)
    return samples if samples.points >= MIN_POINTS else None


def _at_point(problem: Problem, hand, reference: PreciseReference, point: dict,
              values: dict, seconds: float) -> PointCheck | str:
    """A confirmed disagreement, the reason the point is skipped, or "" when it agrees
    (``seconds``: the budget of each high-precision evaluation)."""
    for name in problem.wrt:
        got = {"derived": problem.derivation.gradient[name]}
        if hand is not None and hand[name] != got["derived"]:     # the same tree: once
            got["hand"] = hand[name]
        found = reference.by_differences(name, values, got, seconds)
        for label, (outcome, value, true, why) in found.items():
            if outcome == "confirmed":
                return PointCheck.confirmed("engine" if label == "derived" else "hand", point,
                                            name, value, true, False, f"against {REFERENCE}")
            if outcome == "unconfirmed":
                return skip_reason(why)
    return ""


__all__ = ["MIN_POINTS", "POINTS", "REFERENCE", "applies", "precisely"]

"""A mismatch shown without torch: the shrunk counterexample and the diagnosis, in high precision.

When the exact side has shown a hand gradient of scalar variables to differ from the derived one,
the verdict is a confirmed mismatch; what remains is a simple counterexample and the mistake in
words. Here Hypothesis draws points of the sampling plan, one per example, and each is compared
in high precision (the hand against the derived closed form,
:meth:`~workbench.verify.confirm.PreciseReference.compare`), so that Hypothesis shrinks the first
disagreement to a simple point. That point is then checked once more against high-precision
differences of the function, which owe nothing to SymPy's derivative (a disagreement there is a
bug of ours, exit 3). The diagnosis reads typical points compared the same way, rounded to
float64 only at the end: no float tolerance hides a mistake below it.

Like :mod:`workbench.verify.corroborate`, it applies to scalar variables in float64 on the CPU
(:func:`~workbench.verify.corroborate.applies`) and loads no torch.
"""

from __future__ import annotations

import math
import time
from typing import Mapping

import numpy as np
import sympy
from hypothesis import strategies as st

from workbench.derive import precise
from workbench.derive.precise import DIGITS
from workbench.oracles.tolerances import tolerance_for
from workbench.problem import Problem
from workbench.verify import corroborate
from workbench.verify.confirm import FAILURES, PreciseReference, skip_reason
from workbench.verify.diagnose import Sample
from workbench.verify.evidence import PointCheck, SampleEvidence
from workbench.verify.strategies import SHRINK_PHASES, SamplingPlan, first_failure
from workbench.words import Note

REFERENCE = "the derived closed form"
DIAGNOSIS_POINTS = 64
SECONDS = 10.0
"""Budget of the search: points drawn after it are skipped (those met before keep their
outcome, so that shrinking ends on a point it has seen fail)."""
DIAGNOSIS_SECONDS = 3.0


class _Failure(Exception):
    def __init__(self, check: PointCheck):
        super().__init__(check.variable)
        self.check = check


class PreciseSearch:
    """The numeric evidence about a hand gradient of scalar variables that the exact side has
    shown wrong (see module docstring); ``settings``: a
    :class:`~workbench.verify.crosscheck.CheckSettings` (examples, seed)."""

    def __init__(self, problem: Problem, hand: Mapping[str, sympy.Basic], settings,
                 plan: SamplingPlan, reference: PreciseReference):
        self.problem, self.hand, self.settings = problem, dict(hand), settings
        self.plan, self.reference = plan, reference
        self.tolerance = tolerance_for("float64", "precise")
        self.samples = SampleEvidence(dtype=f"{DIGITS}-digit", reference=REFERENCE)

    def run(self) -> SampleEvidence:
        """Search (:attr:`settings.max_examples` Hypothesis examples at most); a confirmed
        disagreement, shrunk, lands in ``failure`` (or in ``engine`` when the derived gradient
        is the one the function's differences contradict)."""
        strategy = st.fixed_dictionaries({v.name: self.plan.elements(v)
                                          for v in self.problem.variables})
        failed: list[PointCheck] = []
        seen: dict[tuple, PointCheck | None] = {}
        deadline = time.perf_counter() + SECONDS

        def check(point):
            key = tuple(sorted(point.items()))
            if key not in seen:
                if time.perf_counter() > deadline:
                    self.samples.skip(Note("skip.budget"))
                    return
                if not failed:
                    self.samples.examples += 1
                seen[key] = self._compare(point, count=not failed)
            if seen[key] is not None:
                failed.append(seen[key])
                raise _Failure(seen[key])

        failure = first_failure(strategy, check, _Failure, examples=self.settings.max_examples,
                                seed=self.settings.seed, phases=SHRINK_PHASES)
        if failure is not None:
            check = failure.check
            self.samples.failure = check
            contradiction = self._derived_contradicted(check)
            if contradiction is not None:
                self.samples.failure, self.samples.engine = None, contradiction
        return self.samples

    def _compare(self, point: dict, count: bool) -> PointCheck | None:
        """The first confirmed disagreement at ``point``; else counts it as agreeing or
        skipped (when ``count``)."""
        try:
            values = self.reference.values(point, {})
        except FAILURES:
            return None
        skipped = ""
        for name in self.hand:
            outcome, got, true, why = self.reference.compare(name, values, "hand")
            if outcome == "confirmed":
                return PointCheck.confirmed("hand", point, name, got, true, True)
            if outcome == "unconfirmed":
                skipped = why
        if count:
            if skipped:
                self.samples.skip(skip_reason(skipped))
            else:
                self.samples.agree_at(point)
        return None

    def _derived_contradicted(self, check: PointCheck) -> PointCheck | None:
        """The engine's disagreement (derived value against high-precision differences of the
        function) when they contradict the derived gradient at the counterexample (then the
        mistake is ours, not the hand's); else None."""
        values = self.reference.values(check.point, {})
        derived = self.problem.derivation.gradient[check.variable]
        outcome, got, true, _ = self.reference.by_differences(
            check.variable, values, {"derived": derived})["derived"]
        if outcome != "confirmed":
            return None
        engine = PointCheck.confirmed("engine", check.point, check.variable, got, true,
                                      check.drawn_by_hypothesis)
        engine.reference = corroborate.REFERENCE
        return engine

    def diagnosis_samples(self) -> list[Sample]:
        """Hand and true gradients at typical points, each value computed in high precision
        (points where either has no value are left out)."""
        arrays = self.plan.bulk({}, DIAGNOSIS_POINTS, np.random.default_rng(1234), typical=True)
        rows = []
        deadline = time.perf_counter() + DIAGNOSIS_SECONDS
        for i in range(DIAGNOSIS_POINTS):
            if time.perf_counter() > deadline:
                break
            point = {k: float(a[i]) for k, a in arrays.items()}
            try:
                values = self.reference.values(point, {})
                pairs = {name: (float(precise.evaluate(self.hand[name], values)),
                                float(self.reference.true(name, values))) for name in self.hand}
            except FAILURES:
                continue
            if not all(math.isfinite(x) for pair in pairs.values() for x in pair):
                continue                   # beyond float64: a comparison of infinities
            rows.append((point, pairs))
        if not rows:
            return []
        names = list(self.hand)
        return [Sample({}, {k: np.array([p[k] for p, _ in rows]) for k in rows[0][0]},
                       {n: np.array([g[n][0] for _, g in rows]) for n in names},
                       {n: np.array([g[n][1] for _, g in rows]) for n in names})]


__all__ = ["PreciseSearch", "REFERENCE"]

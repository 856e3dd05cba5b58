"""Cross-check gradients: gather evidence (shapes, exact comparison, numeric evidence), then let
:func:`workbench.verify.verdict.decide` say what it means.

Numeric evidence comes from torch, or, for scalar variables, from high precision alone:

- :mod:`workbench.verify.search` (torch): a Hypothesis search of batches against autograd, every
  float disagreement re-examined in high precision; it corroborates proofs with seeded batches.
- With ``without_torch`` (the ``verify`` command), where the variables are scalars (float64, CPU)
  and the exact side has decided: a proof is corroborated at seeded points against
  high-precision differences of the function (:mod:`workbench.verify.corroborate`), and a
  difference is searched for, shrunk and diagnosed in high precision
  (:mod:`workbench.verify.precise_search`). A scalar verdict then answers in about a second.
  An exact side that could not decide still takes the torch search.

This module imports neither torch nor the search: both load only when a check needs them.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any, Mapping

import sympy

from workbench.derive.landmarks import find_landmarks, matrix_roles
from workbench.expr.functions import as_scalar, is_matrix
from workbench.expr.printing import plain
from workbench.problem import Problem
from workbench.verify import corroborate
from workbench.verify.confirm import FAILURES, PreciseReference
from workbench.verify.evidence import Evidence, SampleEvidence
from workbench.verify.exact import exact_evidence, shape_evidence
from workbench.verify.report import Report, explicit_text
from workbench.verify.strategies import BULK_SIZES, SamplingPlan
from workbench.verify.verdict import decide

DEFAULT_EXAMPLES = 200
CORROBORATE = 0.1
"""Share of the Hypothesis examples run when the verdict is already proved exactly (or there
is no hand gradient, and the derived one is proved by its derivation): the numeric search then
only corroborates, against autograd."""


@dataclass
class CheckSettings:
    """How hard to look: Hypothesis examples, batch sizes, dimension range, dtype (its name,
    ``float64`` or ``float32``, or the torch dtype), device, seed; ``require_proof``: anything
    short of a proof is undecided; ``without_torch``: where the exact side decided about scalar
    variables, gather the numeric evidence in high precision instead of torch (see module
    docstring)."""

    max_examples: int = DEFAULT_EXAMPLES
    max_dim: int = 4
    max_drawn: int = 4
    dtype: Any = "float64"
    device: str = "cpu"
    seed: int | None = None
    diagnosis_points: int = 64
    bulk_sizes: tuple[int, ...] = field(default=BULK_SIZES)
    require_proof: bool = False
    without_torch: bool = False

    @property
    def dtype_name(self) -> str:
        """``float64`` or ``float32``, however the dtype was given."""
        return str(self.dtype).removeprefix("torch.")


class CrossChecker:
    """Runs the checks of one problem against an optional hand gradient."""

    def __init__(self, problem: Problem, hand: Mapping[str, sympy.Basic] | None = None,
                 settings: CheckSettings | None = None,
                 hand_text: Mapping[str, str] | None = None, noun: str = "gradient"):
        self.problem, self.settings, self.noun = problem, settings or CheckSettings(), noun
        self.hand_text = dict(hand_text or {})
        self.hand = None if hand is None else {k: fit_scalar(problem, k, h)
                                               for k, h in hand.items()}
        self.search = None

    def run(self) -> Report:
        with ExitStack() as self.stack:      # torch's thread setting, while the search holds it
            return self._run()

    def _run(self) -> Report:
        p, s = self.problem, self.settings
        t0 = time.perf_counter()
        d = p.derivation
        report = Report("match", str(p.text or p.function), list(p.wrt),
                        {k: plain(v) if v is not None else explicit_text(d, k)
                         for k, v in d.gradient.items()}, dict(d.method), notes=list(d.notes),
                        dtype=s.dtype_name)
        if self.hand is not None:
            report.hand = {k: self.hand_text.get(k, plain(v)) for k, v in self.hand.items()}
        evidence = Evidence(self.hand is not None, tuple(p.wrt), require_proof=s.require_proof,
                            derivation_scope=_derivation_scope(d))
        roles = matrix_roles(d.function, d.variables)
        landmarks = find_landmarks([d.function, *d.gradient.values(),
                                    *(self.hand or {}).values()], d.variables)
        self._exact_side(evidence, landmarks, roles)
        t1 = time.perf_counter()
        if not evidence.shapes:
            evidence.samples = self._numeric_side(evidence, landmarks, roles)
        t2 = time.perf_counter()
        verdict = decide(evidence)
        report.set_verdict(verdict, evidence)
        if verdict.outcome == "mismatch" and self.hand is not None and not evidence.shapes:
            report.diagnosis += self._diagnosis(evidence)
        report.finish_diagnosis()
        report.time_s = {"sympy": round(t1 - t0, 3), "numeric": round(t2 - t1, 3),
                         "diagnosis": round(time.perf_counter() - t2, 3)}
        return report

    def _exact_side(self, evidence: Evidence, landmarks, roles) -> None:
        """Shapes, then the exact comparison of each hand gradient with the derived one."""
        if self.hand is None:
            return
        d = self.problem.derivation
        evidence.shapes = shape_evidence(d.variables, self.hand)
        if not evidence.shapes:
            evidence.exact = exact_evidence(d, self.hand, landmarks, roles)

    def _numeric_side(self, evidence: Evidence, landmarks, roles) -> SampleEvidence:
        """Without torch where it applies and was asked for (see module docstring), else the
        search in torch: a full one unless the verdict is already proved."""
        p, s, d = self.problem, self.settings, self.problem.derivation
        self.landmarks, self.roles = landmarks, roles
        self.reference = PreciseReference(d, self.hand)
        proved = len(evidence.exact) == len(p.wrt) and \
            all(x.equality.equal for x in evidence.exact.values())
        different = any(x.equality.different for x in evidence.exact.values())
        if s.without_torch and corroborate.applies(p, s) and \
                (proved or different or self.hand is None):
            plan = SamplingPlan.build(d.variables, roles, landmarks, relations=False)
            if different:
                from workbench.verify.precise_search import PreciseSearch
                self.search = PreciseSearch(p, self.hand, s, plan, self.reference)
                return self.search.run()
            more = max(1.0, s.max_examples / DEFAULT_EXAMPLES)    # --examples 2000: 10x
            samples = corroborate.precisely(p, self.hand, plan, self.reference, s.seed,
                                            round(corroborate.POINTS * more),
                                            corroborate.SECONDS * more)
            if samples is not None:
                return samples
        search = self._search()
        return search.run(proved, corroborating(s.max_examples) if proved or self.hand is None
                          else s.max_examples)

    def _search(self):
        """The torch search (loaded, with torch, only now), torch on one thread meanwhile."""
        if self.search is None:
            from workbench.verify.search import NumericSearch, OneThread
            self.stack.enter_context(OneThread())
            d = self.problem.derivation
            plan = SamplingPlan.build(d.variables, self.roles, self.landmarks)
            self.search = NumericSearch(self.problem, self.hand, self.settings, plan,
                                        self.reference)
        return self.search

    def _diagnosis(self, evidence: Evidence) -> list[str]:
        """The mistake in words, from samples at the probe sizes; an exact difference below
        float resolution is said as such."""
        from workbench.verify.diagnose import diagnose
        search = self.search or self._search()
        found = diagnose(search.diagnosis_samples(), self.problem.derivation.variables,
                         list(self.hand), search.tolerance, search.plan.marks,
                         self._really_right, self.noun)
        s = evidence.samples        # no float failure in a float search: below float tolerance
        tiny = s is None or (s.failure is None and s.reference == "autograd")
        for k, x in evidence.exact.items():
            if x.equality.difference and not x.equality.equal:
                found.append(f"d/d{k}: exactly, hand - true = {x.equality.difference}" + (
                    "; below float tolerance, so finite-difference checkers such as gradcheck "
                    "accept it" if tiny and x.equality.different else ""))
        return found


    def _really_right(self, name: str, point: dict, sizes: dict) -> bool | None:
        """Is the hand's d/d``name`` right at ``point``, in high precision? (None: cannot
        tell.)"""
        try:
            values = self.reference.values(point, sizes)
        except FAILURES:
            return None
        outcome = self.reference.compare(name, values, "hand")[0]
        return {"confirmed": False, "cleared": True}.get(outcome)


def corroborating(examples: int) -> int:
    """The examples of a corroboration: a tenth, at least 20 (all of them when fewer were
    asked for)."""
    return examples if examples <= 20 else max(20, round(examples * CORROBORATE))


def _derivation_scope(d) -> str:
    if any(m == "explicit" for m in d.method.values()) and d.dims:
        return "(elementwise at each size met)"
    return ""


def fit_scalar(problem: Problem, name: str, hand):
    """A 1x1 hand gradient of a scalar variable, read as its entry."""
    v = {x.name: x for x in problem.variables}.get(name)
    if v is not None and not v.is_matrix and is_matrix(hand) and hand.shape == (1, 1):
        return as_scalar(hand)
    return hand


def cross_check(problem: Problem, hand: Mapping[str, sympy.Basic] | None = None,
                settings: CheckSettings | None = None,
                hand_text: Mapping[str, str] | None = None, noun: str = "gradient") -> Report:
    """Check ``problem``'s derived gradient, and ``hand`` if given (``hand_text``: as the user
    typed it, for the report; ``noun``: what the diagnosis calls the true value, when the
    gradient checked stands for a Jacobian or a Hessian); see :class:`Report`."""
    return CrossChecker(problem, hand, settings, hand_text, noun).run()


__all__ = ["CheckSettings", "CrossChecker", "cross_check", "fit_scalar"]

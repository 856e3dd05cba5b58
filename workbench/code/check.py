"""Checking a gradient written as code: the search over inputs and the evidence it leaves.

Each point is a :class:`~workbench.code.inputs.Case`: the example first, then Hypothesis draws
(sizes, values across magnitudes, cotangents), shrunk to the smallest failing one. At each
point the gradient under check is compared with the best reference
(:mod:`workbench.code.references`); a disagreement is confirmed only when every other reference
agrees with the first and not with the code (otherwise the point is skipped: a kink, code that
is not smooth there). The verdict comes from :func:`workbench.verify.verdict.decide`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from workbench.code.diagnosis import diagnose_code
from workbench.code.inputs import Case, CodeError, cases, seeded_directions
from workbench.code.references import RICHARDSON_STEP, references, tolerance_kind
from workbench.code.result import CodeResult
from workbench.code.subject import COTANGENT, Code
from workbench.errors import UserError
from workbench.oracles.checked import compare_gradients
from workbench.oracles.tolerances import Tolerance, tolerance_for
from workbench.verify.evidence import Evidence, PointCheck, Range, SampleEvidence, ShapeEvidence
from workbench.verify.strategies import SHRINK_PHASES, first_failure
from workbench.verify.verdict import decide

DTYPE_DRIFT_KIND = "finite_difference"
"""The forward in the example's float32 and in float64 must agree to float32's
finite-difference tolerance, or the code is not one function in both precisions."""
KINK_STEPS = (1, 2, 10)
"""Richardson's step divided by these: the one-sided secants that tell a kink (where a
subgradient is as right as the central difference) from a wrong gradient."""
KINK_LINEARITY = 0.1
"""The secants' gap per unit step of a smooth function agrees across steps to this share."""
KINK_ENTRIES = 64
"""At most this many disagreeing entries are examined for kinks (beyond: confirmed)."""
"""Hypothesis's ``explain`` phase re-runs the shrunk case hundreds of times to say which parts
of it matter (seconds for a module); the diagnosis says that in our words instead."""


@dataclass(frozen=True)
class CodeSettings:
    """How hard to look: Hypothesis examples (after the example itself), seed (None:
    derandomized), torch device."""

    examples: int = 100
    seed: int | None = None
    device: str = "cpu"


class _Failure(Exception):
    def __init__(self, check: PointCheck | None, case: Case):
        super().__init__("gradient mismatch")
        self.check, self.case = check, case


class Checker:
    """One check of ``code``: :meth:`run` returns the :class:`CodeResult`."""

    def __init__(self, code: Code, settings: CodeSettings):
        self.code, self.settings = code, settings
        self.samples = SampleEvidence()
        self.shapes: list[ShapeEvidence] = []
        self.notes: list[str] = []
        self.missing: set[str] = set()

    # ------------------------------------------------------------ points
    def directions(self, sizes, values) -> dict | None:
        """Cotangent shapes at this case (none for a single-element output); None when the
        code cannot run there."""
        try:
            outs = self.code.call(self._tensors(values))
        except UserError:
            raise
        except Exception:
            return None
        if len(outs) == 1 and outs[0].numel() == 1:
            return {}
        return {COTANGENT.format(i): tuple(o.shape) for i, o in enumerate(outs)}

    def _tensors(self, values) -> dict[str, torch.Tensor]:
        return {k: torch.as_tensor(np.asarray(v), device=self.code.device)
                for k, v in values.items()}

    def point(self, case: Case) -> dict[str, torch.Tensor]:
        return self._tensors({**case.values, **case.directions})

    def seeded(self, sizes, rng: np.random.Generator) -> Case | None:
        case = self.code.plan.seeded_case(sizes, rng)
        shapes = self.directions(case.sizes, case.values)
        if shapes is None:
            return None
        return Case(case.sizes, case.values, seeded_directions(shapes, rng), False)

    def pair(self, case: Case):
        """The subject's and the first reference's gradients at ``case``, or a reason to skip."""
        point = self.point(case)
        try:
            got = self.code.subject(point)
        except UserError:
            raise
        except Exception as exc:
            return f"the gradient under check raised {type(exc).__name__}"
        try:
            true = self.refs[0](point).grad
        except Exception as exc:
            return f"the code raised {type(exc).__name__}"
        return point, got, true

    # ------------------------------------------------------------ one case
    def examine(self, case: Case) -> None:
        if case.directions is None:
            self.samples.skip("the code failed at these sizes")
            return
        pair = self.pair(case)
        if isinstance(pair, str):
            self.samples.skip(pair)
            return
        point, got, true = pair
        for k, g in got.items():
            if g is not None and tuple(g.shape) != tuple(point[k].shape):
                self.shapes.append(ShapeEvidence(k, tuple(point[k].shape) or None,
                                                 tuple(g.shape) or None))
                raise _Failure(None, case)
        self.missing |= {k for k, g in got.items() if g is None}
        got = {k: torch.zeros_like(point[k], dtype=torch.float64) if g is None else g
               for k, g in got.items()}
        if not all(bool(torch.isfinite(t).all()) for d in (got, true) for t in d.values()):
            self.samples.skip("non-finite values")
            return
        bad = scaled_compare(got, true, self.tolerance(0))
        if not bad:
            self._agree(case, point)
            return
        if not self._confirmed(point, got, true):
            self.samples.skip("references disagree with each other (a kink?)")
            return
        if self._kink(point, got, true):
            self.samples.skip("one-sided differences disagree (a kink)")
            return
        worst = max(bad, key=lambda d: d.rel_error)
        self.samples.failure = PointCheck(
            "hand", "confirmed", _shown(case.values), self._sizes(case), worst.variable,
            got=_list(got[worst.variable]), true=_list(true[worst.variable]),
            abs_error=worst.abs_error, rel_error=worst.rel_error, digits=16,
            drawn_by_hypothesis=case.drawn_by_hypothesis,
            reason="by " + ", ".join(r.name for r in self.refs) + ", in float64")
        raise _Failure(self.samples.failure, case)

    def tolerance(self, index: int):
        return tolerance_for(torch.float64, tolerance_kind(self.refs[index]))

    def _confirmed(self, point, got, true) -> bool:
        """Every other reference agrees with the first one (to the finite-difference
        tolerance), and none of the exact ones (autograd, complex step) agrees with the code:
        Richardson vouches for the first reference but cannot see an error of 1e-7."""
        loose = tolerance_for(torch.float64, "finite_difference")
        for i, ref in enumerate(self.refs[1:], start=1):
            try:
                other = ref(point).grad
            except Exception:
                return False
            if scaled_compare(other, true, loose):
                return False
            if tolerance_kind(ref) == "exact" and not scaled_compare(got, other,
                                                                     self.tolerance(i)):
                return False
        return True

    def _kink(self, point, got, true) -> bool:
        """Richardson, the only reference left, straddles a kink of the code's scalar at
        ``point`` in every entry where it disagrees with the code: along that entry's axis
        (Richardson's own direction) the gap between the one-sided secant slopes is not
        linear in the step (a smooth function's is: the second derivative times the step),
        and the code's entry lies among those secants (a subgradient, as ReLU's 0 at 0, or
        the right slope beside a kink that the central differences cross). Such a point is
        skipped, not confirmed. With an exact reference (autograd, complex step) a kink shows
        as references disagreeing instead."""
        if tolerance_kind(self.refs[0]) == "exact":
            return False
        tol = self.tolerance(0)
        entries = []
        for k, t in true.items():
            g = got[k].double()
            scale = max(float(t.abs().max()) if t.numel() else 0.0,
                        float(g.abs().max()) if g.numel() else 0.0)
            wide = Tolerance(tol.rtol, tol.atol + tol.rtol * scale)
            bad = ~wide.close(g, t.double())
            err = (g - t.double()).abs().reshape(-1)
            where = bad.reshape(-1).nonzero().flatten().tolist()
            entries += [(float(err[i]), k, i) for i in where]
        if not entries or len(entries) > KINK_ENTRIES:
            return False
        return all(self._kink_along(point, k, i, float(got[k].double().reshape(-1)[i]))
                   for _, k, i in sorted(entries, reverse=True))

    def _kink_along(self, point, name: str, index: int, code: float) -> bool:
        x = point[name]
        flat = x.reshape(-1)
        steps = [RICHARDSON_STEP * max(1.0, abs(float(flat[index]))) / m for m in KINK_STEPS]
        loose = tolerance_for(torch.float64, "finite_difference")

        def f(t: float) -> float:
            e = torch.zeros_like(flat)
            e[index] = t
            return float(self.code.scalar({**point, name: (flat + e).reshape(x.shape)}).real)

        try:
            f0 = f(0.0)
            secants = [((f(h) - f0) / h, (f0 - f(-h)) / h) for h in steps]
        except Exception:
            return False
        values = [v for pair in secants for v in pair]
        if not all(math.isfinite(v) for v in values) or not math.isfinite(code):
            return False
        slack = loose.atol + loose.rtol * max(abs(v) for v in (*values, code))
        # the gap per unit step: constant (the curvature) for a smooth function
        curvature = [(a - b) * steps[0] / h for (a, b), h in zip(secants, steps)]
        smooth = max(abs(c - curvature[0]) for c in curvature) <= \
            KINK_LINEARITY * abs(curvature[0]) + slack
        return not smooth and min(values) - slack <= code <= max(values) + slack

    def _agree(self, case: Case, point) -> None:
        s = self.samples
        s.points += 1
        for k in self.code.wrt:
            v = point[k].double()
            r = s.ranges.setdefault(k, Range())
            if v.numel():
                r.add(float(v.min()), float(v.max()), float(v.abs().min()))
        sizes = self._sizes(case)
        if sizes and sizes not in s.sizes:
            s.sizes.append(sizes)

    def _sizes(self, case: Case) -> dict[str, int]:
        return {g: case.sizes[g] for g in self.code.plan.varying}

    # ------------------------------------------------------------ the run
    def run(self) -> CodeResult:
        start = time.perf_counter()
        self._prepare()
        failure = None
        example = self.example()
        try:
            self.examine(example)
        except _Failure as f:
            failure = f
        if not self.shapes:
            failure = self._search() or failure
            if failure is not None and failure.check is not None:
                self.samples.failure = failure.check
        evidence = Evidence(has_hand=True, wrt=tuple(self.code.wrt), shapes=self.shapes[:1],
                            samples=self.samples)
        verdict = decide(evidence)
        diagnosis = []
        if verdict.outcome == "mismatch":
            diagnosis = diagnose_code(self, failure.case if failure else example)
        self.samples.examples = self.settings.examples
        return CodeResult.build(self.code, verdict, evidence, diagnosis,
                                failure.case if failure else None,
                                [r.name for r in self.refs], self.notes,
                                time.perf_counter() - start)

    def example(self) -> Case:
        """The example inputs, with seeded cotangents."""
        case = self.code.plan.example_case()
        shapes = self.directions(case.sizes, case.values)
        if shapes is None:
            raise CodeError("the code fails on its own example inputs; call it once by hand "
                            "to see why", "fn")
        rng = np.random.default_rng(0 if self.settings.seed is None else self.settings.seed)
        return Case(case.sizes, case.values, seeded_directions(shapes, rng), False)

    def _prepare(self) -> None:
        """Choose the references at the example, try other sizes, flag float32 drift."""
        example = self.example()
        point = self.point(example)
        try:
            self.code.subject(point)
        except UserError:
            raise
        except Exception as exc:
            raise CodeError(f"the gradient under check fails on the example inputs: "
                            f"{type(exc).__name__}: {str(exc)[:120]}", "grad") from None
        self.refs, notes = references(self.code.scalar, self.code.wrt, point,
                                      with_autograd=self.code.autograd_is_reference)
        self.notes.extend(notes)
        self._probe_sizes()
        self._dtype_drift(point)

    def _probe_sizes(self) -> None:
        """A dimension group varies only if the code runs when it changes."""
        plan = self.code.plan
        rng = np.random.default_rng(1)
        for g in list(plan.varying):
            sizes = plan.example_sizes()
            ok = True
            for n in {1, plan.groups[g].size + 1}:
                sizes[g] = n
                case = plan.seeded_case(sizes, rng)
                ok = ok and self.directions(case.sizes, case.values) is not None
            if not ok:
                plan.fix(g)

    def _dtype_drift(self, point) -> None:
        if not any(s.is_float and s.dtype != "float64" for s in self.code.plan.slots):
            return
        try:
            low = self.code.call(point, native=True)
            high = self.code.call(point)
        except Exception:
            return
        tol = tolerance_for(torch.float32, DTYPE_DRIFT_KIND)
        for a, b in zip(low, high):
            if a.shape == b.shape and not bool(tol.close(a.detach().double(),
                                                         b.detach().double()).all()):
                diff = float((a.double() - b.double()).abs().max())
                self.notes.append(f"the forward disagrees with itself between the example's "
                                  f"dtype and float64 (max difference {diff:.3g}): a hard-coded "
                                  f"dtype or constant?")
                return

    def _search(self) -> _Failure | None:
        s = self.settings
        strategy = cases(self.code.plan, self.directions)

        return first_failure(strategy, self.examine, _Failure, examples=s.examples,
                             seed=s.seed, phases=SHRINK_PHASES)


def scaled_compare(got, expected, tol: Tolerance) -> list:
    """:func:`~workbench.oracles.checked.compare_gradients` with the absolute tolerance raised
    by ``rtol`` times the largest entry of either gradient: references and hand formulas round
    relative to the size of the terms, so a small entry beside large ones is compared at their
    scale."""
    out = []
    for k, e in expected.items():
        scale = max(float(e.abs().max()) if e.numel() else 0.0,
                    float(got[k].abs().max()) if got[k].numel() else 0.0)
        scale = scale if math.isfinite(scale) else 0.0
        out += compare_gradients({k: got[k]}, {k: e},
                                 Tolerance(tol.rtol, tol.atol + tol.rtol * scale))
    return out


def _list(t: torch.Tensor):
    return t.detach().cpu().double().numpy().round(12).tolist()


def _shown(values) -> dict:
    return {k: np.asarray(v).round(12).tolist() for k, v in values.items()}


def check(code: Code, settings: CodeSettings | None = None) -> CodeResult:
    """Check ``code`` (see :func:`workbench.code.check_gradient`)."""
    return Checker(code, settings or CodeSettings()).run()


__all__ = ["Checker", "CodeSettings", "check"]

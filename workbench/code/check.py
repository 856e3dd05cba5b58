"""Checking a gradient written as code: the search over inputs and the evidence it leaves.

Each point is a :class:`~workbench.code.inputs.Case`: the example first, then Hypothesis draws
(near the example, and across sizes and magnitudes), shrunk to the smallest failing one. At
each point the code's gradient is projected on a random direction per input (``<g, v>``, what
``gradcheck``'s fast mode does) and compared with the references' directional derivatives,
each an :class:`~workbench.code.estimate.Estimate` with its own error bound
(:mod:`workbench.code.directional`). A disagreement is *confirmed* only when it exceeds both
sides' bounds and survives three tests (:meth:`Checker.verify`): it is not the rounding of an
ill-conditioned point, the code is differentiable there (one-sided derivatives agree), and an
independent second estimate reproduces it. Otherwise the point is skipped with its reason. The
contract of a backward (:mod:`workbench.code.contract`) is checked at the example. The verdict
comes from :func:`workbench.verify.verdict.decide`.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass

import numpy as np
import torch

from workbench.code.contract import breaches
from workbench.code.diagnosis import diagnose_code
from workbench.code.directional import Directional
from workbench.code.estimate import EPS, EXACT_ULPS, FIRST_STEP, Estimate
from workbench.code.inputs import Case, CodeError, cases, seeded_directions
from workbench.code.references import references, tolerance_kind
from workbench.code.result import CodeResult
from workbench.code.subject import COTANGENT, Code
from workbench.errors import UserError
from workbench.oracles.tolerances import tolerance_for
from workbench.verify.evidence import Evidence, PointCheck, Range, SampleEvidence, ShapeEvidence
from workbench.verify.strategies import SHRINK_PHASES, first_failure
from workbench.verify.verdict import decide

DTYPE_DRIFT_KIND = "finite_difference"
"""The forward in the example's float32 and in float64 must agree to float32's
finite-difference tolerance, or the code is not one function in both precisions."""
TIGHT = 1e-9
"""Richardson decides alone when its bound is below this share of the derivative (an error
of 1e-7 relative is then well outside it); otherwise the exact references are asked too."""
EXACT_EPS = EXACT_ULPS * EPS
LOCALIZE_ENTRIES = 256
"""A confirmed failure's reference gradient is estimated entry by entry up to this size."""
SMALLER = 2.0 ** -10
"""A disagreement Richardson found is reproduced by Richardson again, from steps this much
smaller (a staircase such as ``round(x, 3)`` looks like a line at the first steps only)."""
MOVE = 1e-6
"""Relative move of the point that reproduces a disagreement only exact references see."""
ILL_CONDITIONED = "ill-conditioned here (the code's gradient moves by more than the " \
                  "disagreement when the inputs move by a few ulps: rounding, not a mistake)"
KINK = "not differentiable here (one-sided derivatives along a random direction differ: a " \
       "kink, a tie, a jump)"
UNSETTLED = "no reference settles here (differences do not converge: too large or too fast " \
            "a variation for float64 steps)"
DISAGREE = "references disagree with each other here (the code is not smooth or not " \
           "analytic at this point)"
ONE_SIDE = "a second estimate (smaller steps, or one side) does not reproduce the " \
           "disagreement (a staircase, a domain end or a nearby jump)"
ISOLATED = "the disagreement vanishes when the point moves slightly (an isolated point)"
OVER_BUDGET = "search stopped at its time budget"


@dataclass(frozen=True)
class CodeSettings:
    """How hard to look: Hypothesis examples (after the example itself), seed (None:
    derandomized), torch device, a time budget in seconds for the search (points met before
    it keep their outcome), ``search``: False checks the example only (``gradcheck``),
    ``projections``: random directions (over every input at once) at each point,
    ``nondet_tol``: how far two runs of the backward may differ (None: rounding),
    ``min_agreeing``: agreeing points a match needs (None: the verdict's default)."""

    examples: int = 100
    seed: int | None = None
    device: str = "cpu"
    budget: float = 20.0
    search: bool = True
    projections: int = 1
    nondet_tol: float | None = None
    min_agreeing: int | None = None
    atol: float = 0.0
    rtol: float = 0.0
    """An extra allowance (``gradcheck``'s): a disagreement must also exceed
    ``atol |u|_1 |v|_1 + rtol sum |g_j v_j|`` for the projection ``u^T J v``."""


class _Failure(Exception):
    def __init__(self, check: PointCheck | None, case: Case):
        super().__init__("gradient mismatch")
        self.check, self.case = check, case


class _Skip(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Checker:
    """One check of ``code``: :meth:`run` returns the :class:`CodeResult`."""

    def __init__(self, code: Code, settings: CodeSettings):
        self.code, self.settings = code, settings
        self.samples = SampleEvidence()
        self.shapes: list[ShapeEvidence] = []
        self.breaches: list[str] = []
        self.notes: list[str] = []
        self.missing: set[str] = set()
        self.seen: dict[bytes, object] = {}
        self._full_refs = None
        self.directional: Directional | None = None
        self.started = time.perf_counter()

    # ------------------------------------------------------------ points
    def directions(self, sizes, values) -> dict | None:
        """Cotangent shapes at this case (none for a hand gradient of a single-element
        output); None when the code cannot run there."""
        try:
            outs = self.code.call(self._tensors(values))
        except UserError:
            raise
        except Exception:
            return None
        if not self.code.takes_cotangent(outs):
            return {}
        return {COTANGENT.format(i): tuple(outs[i].shape) for i in self.code.used(outs)}

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

    @property
    def refs(self):
        """Full-gradient references (autograd, complex step, Richardson entry by entry), for
        the diagnosis at typical points; built on first use."""
        if self._full_refs is None:
            point = self.point(self.example())
            self._full_refs, _ = references(self.code.scalar, self.code.wrt, point,
                                            with_autograd=self.code.autograd_is_reference)
        return self._full_refs

    def tolerance(self, index: int):
        return tolerance_for(torch.float64, tolerance_kind(self.refs[index]))

    def pair(self, case: Case):
        """The subject's and the first full reference's gradients at ``case`` (for the
        diagnosis), or a reason to skip."""
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
        """Compare at ``case``; raise :class:`_Failure` on a confirmed mismatch. Outcomes are
        remembered, so that Hypothesis replaying a case past the budget sees the same."""
        key = _key(case)
        if key in self.seen:
            if isinstance(self.seen[key], _Failure):
                raise self.seen[key]
            return
        if time.perf_counter() - self.started > self.settings.budget:
            self.samples.skip(OVER_BUDGET)
            return
        try:
            self._examine(case)
            self.seen[key] = None
        except _Skip as skip:
            self.seen[key] = None
            self.samples.skip(skip.reason)
        except _Failure as failure:
            self.seen[key] = failure
            raise

    def _examine(self, case: Case) -> None:
        if case.directions is None:
            raise _Skip("the code failed at these sizes")
        point = self.point(case)
        try:
            got = self.code.subject(point)
        except UserError:
            raise
        except Exception as exc:
            raise _Skip(f"the gradient under check raised {type(exc).__name__}") from None
        for k, g in got.items():
            if g is not None and tuple(g.shape) != tuple(point[k].shape):
                self.shapes.append(ShapeEvidence(k, tuple(point[k].shape) or None,
                                                 tuple(g.shape) or None))
                raise _Failure(None, case)
        self.missing |= {k for k, g in got.items() if g is None}
        got = {k: torch.zeros_like(point[k], dtype=torch.float64) if g is None else g
               for k, g in got.items()}
        if not all(bool(torch.isfinite(t).all()) for t in got.values()):
            raise _Skip("non-finite values")
        try:
            self.code.terms(point)
        except UserError:
            raise
        except Exception as exc:
            raise _Skip(f"the code raised {type(exc).__name__}") from None
        rng = np.random.default_rng(zlib.crc32(_key(case)))
        at = self.directional.at(point, got)
        for _ in range(self.settings.projections):
            self._compare(case, at, at.direction(self.code.wrt, rng))
        self._agree(case, point)

    def _compare(self, case: Case, at, v) -> None:
        """Agree, or raise :class:`_Skip` or :class:`_Failure`, for the projection on ``v``
        (every differentiated input at once: Richardson decides alone when its bound is
        tight; the exact references join otherwise)."""
        d = at.code(v)
        first = at.richardson(v)
        if first.usable and first.bound <= TIGHT * max(abs(first.value), d.bound / EXACT_EPS) \
                and not self._differ(at, v, d, first):
            return
        refs = at.references(v, first)
        deciding = self._deciding(at, v, d, refs)
        if not deciding:
            return
        self.verify(at, v, d, refs, deciding)
        self.samples.failure = self._localize(case, at, v, d, deciding[0])
        raise _Failure(self.samples.failure, case)

    def _differ(self, at, v, d: Estimate, ref: Estimate, slack: float = 0.0) -> bool:
        """``d`` disagrees with ``ref`` beyond both bounds (and ``slack``), and beyond the
        user's allowance, if any."""
        if not d.disagrees(ref, slack):
            return False
        s = self.settings
        if not (s.atol or s.rtol):
            return True
        u = sum(float(t.abs().sum()) for k, t in at.point.items()
                if k.startswith(COTANGENT.format(""))) or 1.0
        size = sum(float(t.abs().sum()) for t in v.values())
        return d.gap(ref) > s.atol * u * size + s.rtol * d.bound / EXACT_EPS

    def _deciding(self, at, v, d: Estimate, refs: list[Estimate]) -> list[Estimate]:
        """The references ``d`` disagrees with; :class:`_Skip` when none settled or they
        disagree with each other."""
        if not refs:
            raise _Skip(UNSETTLED)
        for i, a in enumerate(refs):
            if any(a.disagrees(b) for b in refs[i + 1:]):
                raise _Skip(DISAGREE)
        return [r for r in refs if self._differ(at, v, d, r)]

    def verify(self, at, v, d: Estimate, refs, deciding) -> None:
        """Raise :class:`_Skip` unless the disagreement of ``d`` with ``deciding`` is real:
        not the rounding of an ill-conditioned point, not at a kink along ``v``, and
        reproduced by an independent second estimate."""
        try:
            slack = max(d.gap(at.moved(self.directional.ulps).code(v)), at.jitter(v))
        except Exception:    # noqa: BLE001 - the code failing a few ulps away
            raise _Skip(ILL_CONDITIONED) from None
        if not any(self._differ(at, v, d, r, slack) for r in refs):
            raise _Skip(ILL_CONDITIONED)
        plus, minus = at.one_sided(v)
        if plus.usable and minus.usable and plus.disagrees(minus):
            raise _Skip(KINK)
        if any(r.name == at.RICHARDSON for r in deciding):
            small = at.richardson(v, FIRST_STEP * SMALLER)
            second = [e for e in (plus, minus) if e.usable]
            if not small.usable or not second or \
                    not all(self._differ(at, v, d, e, slack) for e in [small, *second]):
                raise _Skip(ONE_SIDE)
            return
        try:
            near = at.moved(self.directional.nearby(MOVE))
        except Exception:    # noqa: BLE001
            raise _Skip(ISOLATED) from None
        names = {x.name for x in deciding}
        exact = [r for r in near.references(v, richardson=False) if r.name in names]
        if not exact or not self._differ(near, v, near.code(v), exact[0], slack):
            raise _Skip(ISOLATED)

    def _localize(self, case: Case, at, v, d: Estimate, ref: Estimate) -> PointCheck:
        """The failure at ``case``: the first input whose own projection is confirmed wrong,
        with its reference gradient entry by entry when small enough."""
        for name in v:
            part = {name: v[name]}
            dk = at.code(part)
            try:
                refs = at.references(part)
                deciding = self._deciding(at, part, dk, refs)
                if deciding:
                    self.verify(at, part, dk, refs, deciding)
                    return self._failure_check(case, at, name, dk, deciding[0])
            except _Skip:
                continue
        return self._failure_check(case, at, None, d, ref)

    def _failure_check(self, case: Case, at, name: str | None, d: Estimate, ref: Estimate
                       ) -> PointCheck:
        gap = d.gap(ref)
        rel = gap / max(abs(d.value), abs(ref.value), 1e-300)
        reason = f"by {ref.name} (error bound {ref.bound:.2g}; the code's {d.bound:.2g}), " \
                 f"in float64"
        common = dict(abs_error=gap, rel_error=rel, digits=16,
                      drawn_by_hypothesis=case.drawn_by_hypothesis, reason=reason)
        got = at.grad[name] if name is not None else None
        if got is None or got.numel() > LOCALIZE_ENTRIES:
            label = "the inputs" if name is None else name
            return PointCheck("hand", "confirmed", _shown(case.values), self._sizes(case),
                              f"{label} (along a random direction)", got=d.value,
                              true=ref.value, **common)
        return PointCheck("hand", "confirmed", _shown(case.values), self._sizes(case), name,
                          got=_list(got), true=_list(at.entrywise(name)), **common)

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
        self._prepare()
        failure = None
        example = self.example()
        if self.shapes:
            return self._result(None, example)
        try:
            self.examine(example)
        except _Failure as f:
            failure = f
        if not self.shapes and self.settings.search:
            failure = self._search() or failure
            if failure is not None and failure.check is not None:
                self.samples.failure = failure.check
        if not self.shapes:
            self.breaches = breaches(self, example)
        return self._result(failure, example)

    def _result(self, failure: _Failure | None, example: Case) -> CodeResult:
        evidence = Evidence(has_hand=True, wrt=tuple(self.code.wrt), shapes=self.shapes[:1],
                            samples=self.samples, contract=self.breaches)
        verdict = decide(evidence, min_agreeing=self.settings.min_agreeing)
        diagnosis = list(self.breaches)
        if verdict.outcome == "mismatch" and not self.breaches:
            diagnosis = diagnose_code(self, failure.case if failure else example)
        self.samples.examples = self.settings.examples
        names = self.directional.names if self.directional is not None else []
        return CodeResult.build(self.code, verdict, evidence, diagnosis,
                                failure.case if failure else None, names, self.notes,
                                time.perf_counter() - self.started)

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
        """Find the outputs torch differentiates, choose the references at the example, try
        other sizes, flag float32 drift."""
        plain = self.point(self.code.plan.example_case())
        try:
            left_out = self.code.find_outputs(plain)
        except UserError:
            raise
        except Exception as exc:
            raise CodeError(f"the code fails on its own example inputs: {type(exc).__name__}: "
                            f"{str(exc)[:120]}", "fn") from None
        if left_out:
            self.notes.append(f"output(s) {', '.join(map(str, left_out))} not checked: torch "
                              f"does not differentiate them (as gradcheck)")
        point = self.point(self.example())
        try:
            got = self.code.subject(point)
        except UserError:
            raise
        except Exception as exc:
            if self._wrong_shapes(point):
                return
            raise CodeError(f"the gradient under check fails on the example inputs: "
                            f"{type(exc).__name__}: {str(exc)[:120]}", "grad") from None
        self.directional = Directional(self.code, point, got)
        self.notes.extend(self.directional.notes)
        if self.settings.search:
            self._probe_sizes()
        self._dtype_drift(point)

    def _wrong_shapes(self, point) -> bool:
        """An ``autograd.Function`` whose backward returns a gradient of the wrong shape (which
        autograd refuses with an error): recorded as shape evidence."""
        if self.code.kind != "function":
            return False
        try:
            shapes = self.code.raw_shapes(point)
        except Exception:    # noqa: BLE001 - then it is the failure the caller reports
            return False
        for k, got in shapes.items():
            if got is not None and got != tuple(point[k].shape):
                self.shapes.append(ShapeEvidence(k, tuple(point[k].shape) or None, got or None))
        return bool(self.shapes)

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


def _key(case: Case) -> bytes:
    parts = [repr(sorted(case.sizes.items())).encode()]
    for group in (case.values, case.directions or {}):
        for k in sorted(group):
            a = np.ascontiguousarray(group[k])
            parts += [k.encode(), str(a.dtype).encode(), repr(a.shape).encode(), a.tobytes()]
    return b"|".join(parts)


def _list(t: torch.Tensor):
    return t.detach().cpu().double().numpy().round(12).tolist()


def _shown(values) -> dict:
    return {k: np.asarray(v).round(12).tolist() for k, v in values.items()}


def check(code: Code, settings: CodeSettings | None = None) -> CodeResult:
    """Check ``code`` (see :func:`workbench.code.check_gradient`)."""
    return Checker(code, settings or CodeSettings()).run()


__all__ = ["Checker", "CodeSettings", "check"]

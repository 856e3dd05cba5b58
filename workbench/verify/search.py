"""The numeric search, in torch: Hypothesis batches against autograd.

The search draws batches with Hypothesis (:mod:`workbench.verify.strategies`). At every point
the reference is torch autograd of the compiled function; a point is compared in float when
autograd is finite, central differences agree with it and no one-sided difference shows a kink.
Every float disagreement is re-examined in high precision before it counts
(:mod:`workbench.verify.confirm`): confirmed, it fails the Hypothesis example, which is then
shrunk; shown to be rounding, the point counts as agreeing. Some of the points float64 cannot
compare (overflow, lost digits) are compared in high precision instead of being skipped.

A proved verdict needs no search, only corroboration: a few seeded batches against autograd
(:meth:`NumericSearch.run` with ``proved``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np
import sympy
import torch

from workbench.derive.explicit import probe_sizes
from workbench.errors import ResourceLimit
from workbench.oracles.tolerances import tolerance_for
from workbench.problem import Problem
from workbench.verify.confirm import PreciseReference
from workbench.verify.diagnose import Sample
from workbench.verify.evidence import PointCheck, Range, SampleEvidence
from workbench.verify.strategies import (SEARCH_PHASES, SHRINK_PHASES, Case, SamplingPlan,
                                         cases, first_failure)
from workbench.words import Note

MAX_EXPLICIT_DIM = 3
RESCUE_POINTS = 24
"""Points float64 could not compare that are compared in high precision instead, per check;
a point of more than :data:`RESCUE_POINT_SIZE` numbers counts as several (a 60 x 50 matrix
point costs seconds in 60-digit arithmetic)."""
RESCUE_POINT_SIZE = 64
QUICK_REL = 1e-3
"""A float disagreement this large (relative) fails a Hypothesis example at once, so that
shrinking costs no high-precision work; the shrunk point is then confirmed in high precision,
and if it is not, the search runs again re-examining every disagreement."""
CORROBORATION_POINTS = 4096
CONFIRMATIONS = 256
"""High-precision re-examinations of float disagreements, per check (then: unconfirmed). Each
point's outcome is remembered, so that Hypothesis replaying a point sees the same answer."""


class _Failure(Exception):
    def __init__(self, check: PointCheck, case: Case, index: int, batch=None):
        super().__init__(check.kind)
        self.check, self.case, self.index, self.batch = check, case, index, batch


@dataclass
class _Batch:
    point: dict
    arrays: dict
    truth: dict
    hand: dict | None
    valid: torch.Tensor
    hand_bad: torch.Tensor
    engine_bad: torch.Tensor


class NumericSearch:
    """The numeric evidence about one problem (and an optional hand gradient, already fitted
    to the variables' shapes), gathered in torch with ``settings``
    (:class:`~workbench.verify.crosscheck.CheckSettings`) at points of ``plan``."""

    def __init__(self, problem: Problem, hand: Mapping[str, sympy.Basic] | None, settings,
                 plan: SamplingPlan, reference: PreciseReference):
        self.problem, self.hand, self.settings = problem, hand, settings
        self.plan, self.reference = plan, reference
        self.dtype = getattr(torch, settings.dtype_name)
        self.exact_tol = self.tolerance = tolerance_for(self.dtype, "exact")
        self.fd_tol = tolerance_for(torch.float64, "finite_difference")
        self.samples = SampleEvidence(dtype=settings.dtype_name)
        self.budget = {"rescue": RESCUE_POINTS, "confirm": CONFIRMATIONS}
        self.seen: dict[tuple, PointCheck] = {}
        self.strict = False
        p, d = problem, problem.derivation
        self.oracles = {"symbolic": p.oracle("symbolic"), "autograd": p.oracle("autograd"),
                        "finite-difference": p.oracle("finite-difference")}
        if hand is not None:
            self.oracles["hand"] = p.hand_oracle(hand)
        # The derived gradient against autograd: the subject without a hand gradient; with
        # one, only where it is a closed form (elementwise differentiation at every size met
        # costs SymPy seconds, and the hand is compared with autograd anyway).
        self.engine = hand is None or all(g is not None for g in d.gradient.values())

    def run(self, proved: bool, examples: int) -> SampleEvidence:
        """A search of ``examples`` Hypothesis examples for a hand gradient not proved; else
        (``proved``, or no hand gradient) a corroboration of ``examples`` seeded batches'
        worth (see :meth:`_corroborate`)."""
        if self.hand is not None and not proved:
            self.examples = examples
            failure = self._search()
        else:
            failure = self._corroborate(examples)
        if failure is not None:
            if failure.check.kind == "engine":
                self.samples.engine = failure.check
            else:
                self.samples.failure = failure.check
        return self.samples

    # ------------------------------------------------------------------ one batch

    def _evaluate(self, case: Case, budgeted: bool = True) -> _Batch:
        p, s = self.problem, self.settings
        arrays = case.arrays(self.plan)
        point = {k: torch.as_tensor(a, dtype=self.dtype, device=s.device) for k, a in arrays.items()}
        truth = self.oracles["autograd"](point, batched=True)
        n = truth.value.shape[0]
        finite = torch.isfinite(truth.value)
        for g in truth.grad.values():
            finite &= torch.isfinite(g.reshape(n, -1)).all(1)
        p64 = {k: v.double() for k, v in point.items()}
        fd, kinks = self.oracles["finite-difference"].with_kinks(p64)
        t64 = truth.grad if self.dtype == torch.float64 else \
            self.oracles["autograd"](p64, batched=True).grad
        fd_ok = torch.ones_like(finite)
        for k in p.wrt:
            fd_ok &= _per_point(self.fd_tol.close(fd.grad[k], t64[k]))
        kinks, fd_ok = kinks.to(finite.device), fd_ok.to(finite.device)
        valid = finite & ~kinks & fd_ok
        engine_bad = torch.zeros_like(valid)
        if self.engine:
            try:
                sym = self.oracles["symbolic"](point, batched=True)
                for k in p.wrt:
                    engine_bad |= valid & ~_per_point(self.exact_tol.close(sym.grad[k],
                                                                            truth.grad[k]))
            except ResourceLimit:
                pass           # explicit sizes over budget: autograd and the hand still compare
        hand, hand_bad = None, torch.zeros_like(valid)
        if "hand" in self.oracles:
            hand = self.oracles["hand"](point, batched=True).grad
            for k in hand:
                hand_bad |= valid & ~_per_point(self.exact_tol.close(hand[k], truth.grad[k]))
        batch = _Batch(point, arrays, truth.grad, hand, valid, hand_bad, engine_bad)
        if budgeted:
            self._account(batch, case, finite, kinks, fd_ok)
        return batch

    def _account(self, b: _Batch, case: Case, finite, kinks, fd_ok) -> None:
        """Count what was compared and skipped; re-examine disagreements and rescue skipped
        points in high precision. Raises :class:`_Failure` on a confirmed mismatch."""
        s = self.samples
        s.examples += 1
        if dict(case.sizes) not in s.sizes:
            s.sizes.append(dict(case.sizes))
        agree = b.valid & ~b.hand_bad & ~b.engine_bad
        for i in b.engine_bad.nonzero().flatten().tolist()[:1]:
            check = self._confirm(b, case, i, "engine")
            if check.outcome == "confirmed":
                raise _Failure(check, case, i, b)
            if check.outcome == "cleared":
                agree[i] = True
        for i in b.hand_bad.nonzero().flatten().tolist()[:2]:
            if b.engine_bad[i]:
                continue
            if not self.strict and self._float_error(b, i) > QUICK_REL:
                name = next(k for k in self.hand if not bool(self.exact_tol.close(
                    b.hand[k][i], b.truth[k][i]).all()))
                check = self._check("hand", b, case, i, name, "float", None, None, "")
                raise _Failure(check, case, i, b)
            check = self._confirm(b, case, i, "hand")
            if check.outcome == "confirmed":
                raise _Failure(check, case, i, b)
            if check.outcome == "cleared":
                agree[i] = True
                s.cleared += 1
            elif len(s.unconfirmed) < 8:
                s.unconfirmed.append(check)
        s.points += int(agree.sum())
        self._ranges(b, agree)
        largest = _largest_entry(b.point)
        s.skip(Note("skip.not-finite", dtype=s.dtype), int((~finite).sum()))
        for reason, mask in ((Note("skip.kink" if self.reference.kinks else "skip.steep"),
                              finite & kinks), (Note("skip.fd"), finite & ~kinks & ~fd_ok)):
            s.skip(reason, int(mask.sum()), largest[mask.cpu()].tolist())
        s.scale_of_compared(largest[agree.cpu()].tolist())
        if self.hand is not None:
            self._rescue(b, case)

    def _float_error(self, b: _Batch, i: int) -> float:
        """The largest relative disagreement of hand and autograd at point ``i`` (float)."""
        worst = 0.0
        for k in self.hand:
            h, t = b.hand[k][i].double(), b.truth[k][i].double()
            scale = float(torch.maximum(h.abs().max(), t.abs().max()))
            if scale > 0:
                worst = max(worst, float((h - t).abs().max()) / scale)
        return worst

    def _rescue(self, b: _Batch, case: Case) -> None:
        """Compare a few points that float could not in high precision (two per batch)."""
        numbers = sum(math.prod(a.shape[1:]) for a in b.arrays.values()) or 1
        cost = -(-numbers // RESCUE_POINT_SIZE)
        for i in (~b.valid).nonzero().flatten().tolist()[:2]:
            if self._key(b, case, i, "hand") not in self.seen:
                if self.budget["rescue"] <= 0:
                    return
                self.budget["rescue"] -= cost
            check = self._confirm(b, case, i, "hand")
            if check.outcome == "confirmed":
                raise _Failure(check, case, i, b)
            if check.outcome == "cleared":
                self.samples.rescued += 1
                self._ranges(b, torch.arange(len(b.valid)) == i)

    @staticmethod
    def _key(b: _Batch, case: Case, i: int, kind: str) -> tuple:
        return (kind, tuple(sorted(case.sizes.items())),
                *(b.arrays[k][i].tobytes() for k in sorted(b.arrays)))

    def _confirm(self, b: _Batch, case: Case, i: int, kind: str) -> PointCheck:
        key = self._key(b, case, i, kind)
        if key not in self.seen:
            self.seen[key] = self._examine(b, case, i, kind)
        check = self.seen[key]
        check.drawn_by_hypothesis = i < case.n_drawn
        return check

    def _examine(self, b: _Batch, case: Case, i: int, kind: str) -> PointCheck:
        names = list(self.hand) if kind == "hand" else list(self.problem.wrt)
        if self.budget["confirm"] <= 0:
            return self._check(kind, b, case, i, names[0], "unconfirmed", None, None,
                               "high-precision budget spent")
        self.budget["confirm"] -= 1
        values = self.reference.values({k: a[i] for k, a in b.arrays.items()}, case.sizes)
        worst = None
        for name in names:
            if kind == "engine":
                outcome, got, true, why = self._engine_outcome(name, values)
            else:
                outcome, got, true, why = self.reference.compare(name, values)
            check = self._check(kind, b, case, i, name, outcome, got, true, why)
            rank = {"confirmed": 2, "unconfirmed": 1, "cleared": 0}[outcome]
            if worst is None or rank > worst[0]:
                worst = (rank, check)
        return worst[1]

    def _engine_outcome(self, name: str, values: dict):
        """The derived closed form against high-precision differences of the function: only a
        confirmed difference counts (a bug of ours); anything else clears the point."""
        closed = self.problem.derivation.gradient.get(name)
        if closed is None:
            return "unconfirmed", None, None, "no closed form"
        outcome, got, true, why = self.reference.by_differences(
            name, values, {"derived": closed})["derived"]
        return ("confirmed" if outcome == "confirmed" else "cleared"), got, true, why

    def _check(self, kind, b: _Batch, case: Case, i: int, name: str, outcome: str, got, true,
               why: str) -> PointCheck:
        source = b.hand if kind == "hand" else None
        got_f = source[name][i].double().tolist() if source is not None else None
        true_f = b.truth[name][i].double().tolist()
        abs_err = rel_err = math.nan
        if got is not None and true is not None:
            gap = float(_magnitude(got.value - true.value))
            scale = max(float(_magnitude(got.value)), float(_magnitude(true.value)), 1e-300)
            abs_err, rel_err = gap, gap / scale
        return PointCheck(kind, outcome, {k: _tolist(a[i]) for k, a in b.arrays.items()},
                          dict(case.sizes), name, got_f, true_f,
                          str(got) if got is not None else None,
                          str(true) if true is not None else None, abs_err, rel_err,
                          got.digits if got is not None else 0, i < case.n_drawn, why)

    def _ranges(self, b: _Batch, rows: torch.Tensor) -> None:
        rows = rows.cpu().numpy()
        if not rows.any():
            return
        for v in self.problem.variables:
            values = b.arrays[v.name][rows]
            r = self.samples.ranges.setdefault(v.name, Range())
            magnitudes = np.abs(values[values != 0])
            r.add(float(values.min()), float(values.max()),
                  float(magnitudes.min()) if magnitudes.size else math.inf)

    # ------------------------------------------------------------------ the search

    def _corroborate(self, examples: int) -> _Failure | None:
        """A proof needs no search, only corroboration: a few seeded batches (a quarter of the
        ``examples``, 4,096 points each, sizes 1, 2, ... in turn) against autograd, without
        Hypothesis. A disagreement there is still re-examined in high precision."""
        max_dim = self._max_dim()
        dims = self.problem.derivation.dims
        for k in range(max(2, examples // 4)):
            sizes = {d: 1 + (k + i) % max_dim for i, d in enumerate(dims)}
            empty = {v.name: np.zeros((0, *v.concrete_shape(sizes)))
                     for v in self.problem.variables}
            try:
                self._evaluate(Case(sizes, empty, CORROBORATION_POINTS, seed=7919 * (k + 1)))
            except _Failure as failure:
                if failure.check.outcome == "float":     # no shrinking here: confirm it now
                    failure.check = self._confirm(failure.batch, failure.case, failure.index,
                                                  "hand")
                    if failure.check.outcome != "confirmed":
                        continue
                return failure
        return None

    def _max_dim(self) -> int:
        if any(g is None for g in self.problem.derivation.gradient.values()):
            return min(self.settings.max_dim, MAX_EXPLICIT_DIM)  # explicit sizes cost SymPy
        return self.settings.max_dim

    def _search(self) -> _Failure | None:
        """Search; a failure found on float evidence alone is confirmed in high precision at
        the shrunk point, and if it is not, the search runs again in strict mode."""
        failure = self._shrunk_search()
        if failure is None or failure.check.outcome != "float":
            return failure
        check = self._confirm(failure.batch, failure.case, failure.index, "hand")
        if check.outcome == "confirmed":
            failure.check = check
            return failure
        self.strict = True
        self.samples = SampleEvidence(dtype=self.samples.dtype)
        return self._shrunk_search()

    def _shrunk_search(self) -> _Failure | None:
        """Search with bulk points, without shrinking; on a failure, search again with
        Hypothesis-drawn points alone, shrinking, so that the reported point is one Hypothesis
        shrank (the unshrunk failure stands when the drawn points alone find nothing)."""
        failure = self._search_with(self.settings.bulk_sizes, shrink=False)
        if failure is not None:
            return self._search_with((0,)) or failure
        return failure

    def _search_with(self, bulk_sizes, shrink: bool = True) -> _Failure | None:
        s = self.settings
        max_dim = self._max_dim()
        # one drawn matrix point: shrinking dozens of entries per extra point costs seconds
        drawn = 1 if self.problem.derivation.has_matrices else s.max_drawn
        strategy = cases(self.plan, max_dim, drawn, tuple(bulk_sizes))
        last: list[_Failure] = []

        phases = SHRINK_PHASES if shrink else SEARCH_PHASES

        def check(case):
            try:
                self._evaluate(case)
            except _Failure as failure:
                last.append(failure)
                raise

        return first_failure(strategy, check, _Failure, examples=self.examples, seed=s.seed,
                             phases=phases)

    def diagnosis_samples(self) -> list[Sample]:
        out = []
        dims = tuple(self.problem.derivation.dims)
        for k, sizes in enumerate(probe_sizes(dims) if dims else ({},)):
            empty = {v.name: np.zeros((0, *v.concrete_shape(sizes)))
                     for v in self.problem.variables}
            case = Case(sizes, empty, self.settings.diagnosis_points, 1234 + k, typical=True)
            b = self._evaluate(case, budgeted=False)
            keep = b.valid
            out.append(Sample(sizes, {n: _numpy(t[keep]) for n, t in b.point.items()},
                              {n: _numpy(g[keep]) for n, g in b.hand.items()},
                              {n: _numpy(g[keep]) for n, g in b.truth.items()}))
        return out


def _magnitude(v):
    if hasattr(v, "rows"):
        return max(abs(v[i, j]) for i in range(v.rows) for j in range(v.cols))
    return abs(v)


def _tolist(a):
    return a.tolist() if hasattr(a, "tolist") else a


def _numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().double().numpy()


def _largest_entry(point: dict) -> torch.Tensor:
    """``(B,)`` float64 on the CPU: the largest |entry| of each point of a batch, over every
    variable (the scale where central differences lose their digits)."""
    n = next(iter(point.values())).shape[0]
    return torch.stack([v.detach().double().abs().reshape(n, -1).amax(1).cpu()
                        for v in point.values()]).amax(0)


def _per_point(ok: torch.Tensor) -> torch.Tensor:
    return ok.reshape(ok.shape[0], -1).all(1)


class OneThread:
    """Checking evaluates many tiny tensors: one torch thread is faster than several, and
    much faster when the machine is busy."""

    def __enter__(self):
        self.saved = torch.get_num_threads()
        torch.set_num_threads(1)

    def __exit__(self, *exc):
        torch.set_num_threads(self.saved)


__all__ = ["NumericSearch", "OneThread"]

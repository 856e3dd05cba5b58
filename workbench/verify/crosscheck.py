"""Cross-check gradients: symbolic first, then numerically on Hypothesis-drawn batches.

At every drawn batch of points the true gradient comes from torch autograd over the compiled
function; points where it is not finite, huge, or disagrees with central finite differences
(a kink or a singularity) are skipped. The derived gradient must match autograd (else the
engine itself is wrong), and the hand gradient, if any, must match too. Hypothesis shrinks a
failing batch; the failing point is then isolated and the mistake diagnosed on a fixed sample.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import sympy
import torch
from hypothesis import HealthCheck, Verbosity, given, seed as hseed, settings as hsettings

from workbench.derive.explicit import probe_sizes
from workbench.derive.gradient import Derivation
from workbench.expr.functions import as_scalar, is_matrix
from workbench.oracles.base import Evaluation
from workbench.oracles.tolerances import tolerance_for
from workbench.oracles.symbolic import SymbolicOracle
from workbench.problem import Problem
from workbench.verify.diagnose import Sample, diagnose
from workbench.verify.equivalence import compare_symbolic, format_sizes
from workbench.verify.report import Report
from workbench.verify.strategies import BULK_SIZES, Case, cases

HUGE = 1e8
MAX_EXPLICIT_DIM = 3


@dataclass
class CheckSettings:
    """How hard to look: Hypothesis examples, batch sizes, dimension range, dtype, seed."""

    max_examples: int = 200
    max_dim: int = 4
    max_drawn: int = 4
    dtype: torch.dtype = torch.float64
    device: str = "cpu"
    seed: int | None = None
    diagnosis_points: int = 64
    bulk_sizes: tuple[int, ...] = field(default=BULK_SIZES)


class _Failure(Exception):
    def __init__(self, kind: str, case: Case, batch: "_Batch"):
        super().__init__(kind)
        self.kind, self.case, self.batch = kind, case, batch


@dataclass
class _Batch:
    point: dict
    truth: Evaluation
    hand: Evaluation | None
    valid: torch.Tensor
    engine_bad: torch.Tensor
    hand_bad: torch.Tensor


class CrossChecker:
    """Runs the checks of one problem against an optional hand gradient."""

    def __init__(self, problem: Problem, hand: Mapping[str, sympy.Basic] | None = None,
                 settings: CheckSettings | None = None,
                 hand_text: Mapping[str, str] | None = None):
        self.problem, self.settings = problem, settings or CheckSettings()
        self.hand_text = dict(hand_text or {})
        self.hand = None if hand is None else {k: _fit_scalar(problem, k, h)
                                               for k, h in hand.items()}
        self.exact = tolerance_for(self.settings.dtype, "exact")
        self.fd_tol = tolerance_for(torch.float64, "finite_difference")
        self.examples = self.points = self.skipped = 0

    def run(self) -> Report:
        p, s = self.problem, self.settings
        t0 = time.perf_counter()
        d = p.derivation
        report = Report("match", str(p.text or p.function), list(p.wrt),
                        {k: str(v) if v is not None else _explicit_text(d, k)
                         for k, v in d.gradient.items()}, dict(d.method), notes=list(d.notes),
                        dtype=str(s.dtype).removeprefix("torch."))
        verdict = None
        if self.hand is not None:
            report.hand = {k: self.hand_text.get(k, str(v)) for k, v in self.hand.items()}
            verdict = compare_symbolic(d, self.hand)
            report.symbolic, report.difference = verdict.status, dict(verdict.difference)
            for k, status in verdict.per_variable.items():
                if status == "equal" and d.gradient.get(k) is None:
                    report.gradient[k] = (f"{self.hand[k]}  (your closed form, equal to "
                                          f"elementwise differentiation at explicit sizes)")
            report.notes += verdict.notes
        t1 = time.perf_counter()
        self.oracles = {"symbolic": p.oracle("symbolic"), "autograd": p.oracle("autograd"),
                        "finite-difference": p.oracle("finite-difference")}
        shape_wrong = verdict is not None and any(
            w.startswith("the hand gradient has shape") for w in verdict.witness.values())
        if self.hand is not None and not shape_wrong:
            hand_d = Derivation(d.function, d.variables, tuple(self.hand), dict(self.hand),
                                {k: "hand" for k in self.hand})
            self.oracles["hand"] = SymbolicOracle(hand_d, p.extra_funcs)
        failure = self._search()
        t2 = time.perf_counter()
        report.examples, report.points, report.skipped_points = (self.examples, self.points,
                                                                 self.skipped)
        if failure is not None:
            report.verdict = "mismatch"
            report.counterexample = self._counterexample(failure)
            if failure.kind == "engine":
                report.diagnosis.append("the derived gradient disagrees with autograd: a bug in "
                                        "the workbench or SymPy, not in your derivation")
            elif verdict is not None and verdict.status == "equal" and not d.uses_matrices:
                report.verdict = "match"
                report.notes.append("symbolically equal, but the hand formula loses precision "
                                    "at the counterexample")
        if shape_wrong:
            report.verdict = "mismatch"
            report.diagnosis += [f"d/d{k}: wrong shape: {w}" + _transpose_hint(w)
                                 for k, w in verdict.witness.items()
                                 if w.startswith("the hand gradient has shape")]
        elif report.verdict == "mismatch" and failure.kind == "hand":
            report.diagnosis += diagnose(self._samples(), d.variables, list(self.hand),
                                         self.exact)
        if verdict is not None and verdict.status == "different" and not shape_wrong:
            report.verdict = "mismatch"
            for k, diff in verdict.difference.items():
                if failure is None:
                    report.diagnosis.append(
                        f"d/d{k}: exactly different: hand - true = {diff}; below float "
                        f"tolerance, so finite-difference checkers such as gradcheck accept it")
                    report.counterexample = {"symbolic": verdict.witness.get(k)}
                else:
                    report.diagnosis.append(f"d/d{k}: exactly, hand - true = {diff}")
        if report.verdict == "mismatch":
            report.diagnosis.append("correct gradient: " + "; ".join(
                f"d/d{k} = {report.gradient[k]}" for k in (self.hand or {})))
        report.seconds = {"sympy": round(t1 - t0, 3), "numeric": round(t2 - t1, 3),
                          "diagnosis": round(time.perf_counter() - t2, 3)}
        return report

    def _evaluate(self, case: Case) -> _Batch:
        p, s = self.problem, self.settings
        point = case.point(p.variables, s.dtype, s.device)
        truth = self.oracles["autograd"](point, batched=True)
        n = truth.value.shape[0]
        valid = torch.isfinite(truth.value)
        for g in truth.grad.values():
            flat = g.reshape(n, -1)
            valid &= torch.isfinite(flat).all(1) & (flat.abs() < HUGE).all(1)
        p64 = {k: v.double() for k, v in point.items()}
        fd, kinks = self.oracles["finite-difference"].with_kinks(p64)
        valid &= ~kinks
        t64 = truth.grad if s.dtype == torch.float64 else \
            self.oracles["autograd"](p64, batched=True).grad
        for k in p.wrt:
            valid &= _per_point(self.fd_tol.close(fd.grad[k], t64[k]))
        sym = self.oracles["symbolic"](point, batched=True)
        engine_bad = ~valid & False
        for k in p.wrt:
            engine_bad |= valid & ~_per_point(self.exact.close(sym.grad[k], truth.grad[k]))
        hand, hand_bad = None, torch.zeros_like(valid)
        if "hand" in self.oracles:
            hand = self.oracles["hand"](point, batched=True)
            for k in hand.grad:
                hand_bad |= valid & ~_per_point(self.exact.close(hand.grad[k], truth.grad[k]))
        self.examples += 1
        self.points += int(valid.sum())
        self.skipped += int((~valid).sum())
        return _Batch(point, truth, hand, valid, engine_bad, hand_bad)

    def _search(self) -> _Failure | None:
        """Search with bulk points; if only a bulk point fails, search again with Hypothesis-
        drawn points alone, so that the reported point is one Hypothesis shrank."""
        failure = self._search_with(self.settings.bulk_sizes)
        if failure is not None and not self._failing_index(failure) < failure.case.n_drawn:
            return self._search_with((0,)) or failure
        return failure

    def _failing_index(self, f: _Failure) -> int:
        bad = f.batch.engine_bad if f.kind == "engine" else f.batch.hand_bad
        return int(bad.nonzero()[0, 0])

    def _search_with(self, bulk_sizes) -> _Failure | None:
        s = self.settings
        max_dim = s.max_dim
        if any(g is None for g in self.problem.derivation.gradient.values()):
            max_dim = min(max_dim, MAX_EXPLICIT_DIM)  # explicit sizes cost SymPy time per size
        strategy = cases(self.problem.variables, max_dim, s.max_drawn, tuple(bulk_sizes))

        @hsettings(max_examples=s.max_examples, database=None, deadline=None,
                   derandomize=s.seed is None, verbosity=Verbosity.quiet,
                   report_multiple_bugs=False, suppress_health_check=list(HealthCheck))
        @given(strategy)
        def prop(case):
            batch = self._evaluate(case)
            if bool(batch.engine_bad.any()):
                raise _Failure("engine", case, batch)
            if bool(batch.hand_bad.any()):
                raise _Failure("hand", case, batch)

        if s.seed is not None:
            prop = hseed(s.seed)(prop)
        try:
            prop()
        except _Failure as failure:
            return failure
        return None

    def _counterexample(self, f: _Failure) -> dict:
        i = self._failing_index(f)
        got = f.batch.hand if f.kind == "hand" else self.oracles["symbolic"](f.batch.point,
                                                                           batched=True)
        grads = {}
        for k in got.grad:
            h, t = got.grad[k][i].double(), f.batch.truth.grad[k][i].double()
            err = (h - t).abs()
            j = int(torch.argmax(err.reshape(-1)))
            hv, tv = float(h.reshape(-1)[j]), float(t.reshape(-1)[j])
            grads[k] = {"hand": h.tolist(), "true": t.tolist(), "abs_error": float(err.max()),
                        "rel_error": abs(hv - tv) / max(abs(hv), abs(tv), 1e-300),
                        "rtol": self.exact.rtol, "atol": self.exact.atol,
                        "shape": list(h.shape),
                        "worst_index": [int(x) for x in torch.unravel_index(
                            torch.tensor(j), h.shape)] if h.dim() else []}
        return {"kind": f.kind, "sizes": dict(f.case.sizes),
                "point": {k: v[i].double().tolist() for k, v in f.batch.point.items()},
                "gradients": grads, "drawn_by_hypothesis": i < f.case.n_drawn}

    def _samples(self) -> list[Sample]:
        out = []
        dims = tuple(d for d in self.problem.derivation.dims)
        for k, sizes in enumerate(probe_sizes(dims)):
            case = Case(sizes, {v.name: _empty(v, sizes) for v in self.problem.variables},
                        self.settings.diagnosis_points, seed=1234 + k)
            b = self._evaluate(case)
            keep = b.valid
            out.append(Sample(sizes, {n: t[keep] for n, t in b.point.items()},
                              {n: g[keep] for n, g in b.hand.grad.items()},
                              {n: g[keep] for n, g in b.truth.grad.items()}))
            if not dims:
                break
        return out


def _empty(v, sizes) -> np.ndarray:
    return np.zeros((0, *v.concrete_shape(sizes)))


def _explicit_text(d: Derivation, name: str, limit: int = 240) -> str:
    """The explicit-size gradient at the first probe sizes, as text (shortened)."""
    sizes = probe_sizes(d.dims)[0]
    text = str(d.explicit(sizes)[name].tolist()) if is_matrix(d.explicit(sizes)[name]) \
        else str(d.explicit(sizes)[name])
    text = text if len(text) <= limit else text[:limit] + " ..."
    return f"(no closed form; at {format_sizes(sizes)}: {text})"


def _per_point(ok: torch.Tensor) -> torch.Tensor:
    return ok.reshape(ok.shape[0], -1).all(1)


def _fit_scalar(problem: Problem, name: str, hand):
    v = {x.name: x for x in problem.variables}.get(name)
    if v is not None and not v.is_matrix and is_matrix(hand) and hand.shape == (1, 1):
        return as_scalar(hand)
    return hand


def _transpose_hint(witness: str) -> str:
    return " (a transpose?)" if "(1, " in witness or ", 1)" in witness else ""


class _OneThread:
    """Checking evaluates many tiny tensors: one torch thread is faster than several, and
    much faster when the machine is busy."""

    def __enter__(self):
        self.saved = torch.get_num_threads()
        torch.set_num_threads(1)

    def __exit__(self, *exc):
        torch.set_num_threads(self.saved)


def cross_check(problem: Problem, hand: Mapping[str, sympy.Basic] | None = None,
                settings: CheckSettings | None = None,
                hand_text: Mapping[str, str] | None = None) -> Report:
    """Check ``problem``'s derived gradient, and ``hand`` if given (``hand_text``: as the user
    typed it, for the report); see :class:`Report`."""
    with _OneThread():
        return CrossChecker(problem, hand, settings, hand_text).run()


__all__ = ["CheckSettings", "CrossChecker", "cross_check", "format_sizes"]

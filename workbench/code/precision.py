"""Is a backward, in the precision and on the device it runs in, as accurate as that precision
allows? (:func:`check_precision`; ``check_gradient(..., precision="native")``.)

At each point Hypothesis draws (:func:`~workbench.code.inputs.batches`, at the example's sizes)
the inputs and cotangents are rounded to the dtype; then, in ulp-equivalents of that dtype
(:mod:`workbench.code.accuracy`):

- the **subject** (the backward under check) runs in the dtype on the device;
- the **reference**, autograd's own backward of the same forward, runs in the same dtype and
  device (an ``autograd.Function``'s forward run outside it; a hand gradient's torch forward);
- the **truth** is the float64 gradient on the CPU at the rounded point: autograd of the same
  forward where there is one (so a backward wrong in float64 is reported as a math error),
  else the code's own float64 gradient;
- the **condition**: the truth again at the inputs moved by about one ulp of the dtype.

Every point is also taken *shifted* (each real input plus or minus a multiple of its largest
entry, u^(-1/2) / 16 to 4 u^(-1/2) of it): data far from 0 relative to its spread is where
cancellations (E[x^2] - E[x]^2) show. A point whose error exceeds its allowance at the point
and again at a neighbouring point is a confirmed precision bug, its unstable step named by
:mod:`workbench.code.unstable`.
"""

from __future__ import annotations

import copy
import math
import time
import zlib
from dataclasses import replace

import numpy as np
import torch

from workbench.code.accuracy import (MATH_FACTOR, MIN_POINTS, InputAccuracy, PrecisionEvidence,
                                     decide_precision, ulp_error, unit_roundoff)
from workbench.code.check import Checker, CodeSettings
from workbench.code.confirm import Skip
from workbench.code.function import own_forward
from workbench.code.inputs import TOP_UP_TRIES, Case, CodeError, batches, near_example
from workbench.code.precision_result import PrecisionResult
from workbench.code.subject import Code, build
from workbench.code.unstable import name_unstable
from workbench.errors import UserError
from workbench.verify.strategies import SHRINK_PHASES, first_failure

DTYPES = ("float32", "float16", "bfloat16")
SHIFTS = (0.0625, 0.25, 1.0, 4.0)
"""Shifts of the shifted points, in units of u^(-1/2) times the input's largest entry: a mean
far above the spread, where E[x^2] - E[x]^2 loses every digit."""


def moderate_shift(u: float) -> float | None:
    """A shift in units of the largest entry where every entry has one sign and a moderate
    size, ``ln(1/u) / 2`` (8.3 for float32): where ``exp(-|x|)`` falls below the dtype's
    unit roundoff while float64 still resolves it (softplus' ``1 - q`` loses every digit
    near x = -24 in float32). Only for a dtype whose shifts above all lie far beyond it
    (float32's smallest is 256); for float16 and bfloat16 they start at 2.8 and 1 already,
    and a moderate one there lands where float64's truth loses digits too."""
    m = 0.5 * math.log(1 / u)
    return m if SHIFTS[0] * u ** -0.5 > 4 * m else None
NEIGHBOUR_ULPS = 4.0
MIXED = 1 / 16
"""Entries below this fraction of their tensor's largest move by that fraction's ulp."""
EPS64 = 2.0 ** -53
OVER_BUDGET = "search stopped at its time budget"


class _Failure(Exception):
    def __init__(self, accuracy: InputAccuracy, point, diagnosis: list[str]):
        super().__init__("precision mismatch")
        self.accuracy, self.point, self.diagnosis = accuracy, point, diagnosis


def resolve_dtype(dtype, code: Code) -> torch.dtype:
    """The dtype to check in: ``dtype`` (a name or torch dtype), else the lowest precision
    among the float inputs' examples (float64 examples are refused: give ``dtype``)."""
    if dtype is None:
        names = [s.dtype for s in code.plan.slots if s.is_float and s.dtype in DTYPES]
        if not names:
            raise CodeError("the example inputs are float64; precision='native' checks a lower "
                            "precision: pass dtype='float32', 'float16' or 'bfloat16'", "dtype")
        return getattr(torch, max(names, key=unit_roundoff))
    name = str(dtype).removeprefix("torch.")
    if name not in DTYPES:
        raise CodeError(f"unknown dtype {dtype!r}; expected one of {', '.join(DTYPES)}",
                        "dtype")
    if name == "bfloat16" and any(s.backend == "numpy" for s in code.plan.slots):
        raise CodeError("numpy has no bfloat16; check numpy code in float32 or float16",
                        "dtype")
    return getattr(torch, name)


def _on(code: Code | None, device: torch.device) -> Code | None:
    if code is None or code.module is None:
        return None if code is None else replace(code, device=device)
    module = copy.deepcopy(code.module).to(device)
    return replace(code, fn=module, module=module, device=device)


def _reference(code: Code) -> Code | None:
    """Autograd of the same forward, independent of the backward under check."""
    if code.kind == "function":
        return own_forward(code)
    if code.autograd_is_reference and any(s.backend == "torch" for s in code.plan.slots):
        return replace(code, kind="module", grad=None, title="autograd of the forward")
    return None


class PrecisionChecker:
    """One precision check of ``code`` in ``dtype`` on ``device``: :meth:`run`."""

    def __init__(self, code: Code, dtype: torch.dtype, device: torch.device,
                 settings: CodeSettings, judge_autograd: bool = False):
        self.code, self.dtype, self.device, self.settings = code, dtype, device, settings
        self.name = str(dtype).removeprefix("torch.")
        self.u = unit_roundoff(dtype)
        ref = _reference(code)
        self.low, self.ref_low = _on(code, device), _on(ref, device)
        self.truth = ref if ref is not None else code
        self.ref_name = f"autograd's own {self.name} backward" if ref is not None else ""
        if code.kind == "module" and judge_autograd:
            # autograd's own backward judged with the allowance of code without a reference
            self.ref_low, self.ref_name = None, ""
        elif code.kind == "module":
            # the subject is autograd's own backward: its own reference, measured, not failed
            self.ref_low = self.low
            self.ref_name = f"autograd's own {self.name} backward (the subject itself)"
        self.evidence = PrecisionEvidence(self.name, self.ref_name)
        self.spread: dict[str, float] = {}
        self.seen: dict[bytes, _Failure | None] = {}
        self.notes: list[str] = []
        if code.kind == "module" and not judge_autograd:
            self.notes.append(f"the subject is autograd's own {self.name} backward, which is "
                              f"the reference: its error is measured, not failed (the "
                              f"precision check is for custom backwards and hand gradients)")
        self.shapes = Checker(code, settings)   # the cotangents' shapes per sizes
        self.started = time.perf_counter()

    # ------------------------------------------------------------ points
    def _full(self, case: Case) -> dict[str, torch.Tensor]:
        values = {s.name: s.example for s in self.code.plan.slots}
        values.update(case.values)
        values.update(case.directions or {})
        return {k: torch.as_tensor(np.asarray(v)) for k, v in values.items()}

    def _round(self, point) -> tuple[dict, dict]:
        """The point in the dtype on the device, and the same values in float64 on the CPU."""
        low, high = {}, {}
        for k, t in point.items():
            if t.is_floating_point():
                low[k] = t.to(self.dtype)
                high[k] = low[k].double()
                low[k] = low[k].to(self.device)
            else:
                low[k], high[k] = t.to(self.device), t
        return low, high

    def _moved(self, high, rel: float, seed: int, cotangents: bool = False) -> dict:
        """The float inputs moved by ``rel`` of their own magnitude or of MIXED times their
        tensor's largest entry, whichever is larger, random signs (so zeros move too: a
        gradient that cancels exactly at them is ill-conditioned); ``cotangents``: those too,
        by ``rel`` of their own magnitude (a backward sums cotangents times the Jacobian: a
        sum that cancels, as a broadcast's reduction, loses what their rounding moves it by)."""
        rng = np.random.default_rng(seed)
        out = dict(high)
        if cotangents:
            for k, x in high.items():
                if k.startswith("cotangent") and x.is_floating_point():
                    signs = torch.as_tensor(rng.choice([-1.0, 1.0], tuple(x.shape)))
                    out[k] = x * (1 + rel * signs)
        for s in self.code.plan.slots:
            if s.is_float and s.name in high:
                x = high[s.name]
                signs = torch.as_tensor(rng.choice([-1.0, 1.0], tuple(x.shape)))
                top = float(x.abs().max()) if x.numel() else 0.0
                out[s.name] = x + rel * signs * torch.clamp(x.abs(), min=MIXED * top)
        return out

    def _shifted(self, point, key: bytes) -> dict | None:
        h = zlib.crc32(key)
        moderate = moderate_shift(self.u)
        shifts = (*(() if moderate is None else (moderate,)),
                  *(s * self.u ** -0.5 for s in SHIFTS))
        c = shifts[h % len(shifts)] * (1 if h // len(shifts) % 2 else -1)
        out, moved = dict(point), False
        for s in self.code.plan.slots:
            if s.is_float and s.domain.kind == "real" and s.name in point:
                x = point[s.name]
                top = float(x.abs().max()) if x.numel() else 0.0
                if top > 0:
                    out[s.name], moved = x + c * top, True
        return out if moved else None

    # ------------------------------------------------------------ one point
    def _grad(self, code: Code, point) -> dict[str, torch.Tensor]:
        got = code.subject(point)
        return {k: (torch.zeros(point[k].shape, dtype=torch.float64) if g is None
                    else g.detach().double().cpu()) for k, g in got.items()}

    def measure(self, point) -> list[InputAccuracy]:
        """Every differentiated input's accuracy at ``point`` (float64, CPU); raises
        :class:`Skip` where the dtype cannot compare."""
        low, high = self._round(point)
        if not all(bool(torch.isfinite(t).all()) for t in low.values() if t.is_floating_point()):
            raise Skip(f"inputs beyond {self.name}'s range")
        try:
            with torch.no_grad():
                outs = self.low.call(low)
        except UserError:
            raise
        except Exception as exc:
            raise Skip(f"the code raised {type(exc).__name__} in {self.name}") from None
        if not all(bool(torch.isfinite(o).all()) for o in outs if o.is_floating_point()):
            raise Skip(self._not_finite(high))
        truth = self._grad(self.truth, high)
        if not all(bool(torch.isfinite(t).all()) for t in truth.values()):
            raise Skip("the float64 truth is not finite here")
        if max((float(t.abs().max()) for t in truth.values() if t.numel()), default=0.0) \
                > torch.finfo(self.dtype).max:
            raise Skip(f"the true gradient is beyond {self.name}'s range")
        self._float64(high, truth)
        try:
            got = self._grad(self.low, low)
        except UserError:
            raise
        except Exception as exc:
            raise Skip(f"the backward raised {type(exc).__name__} in {self.name}") from None
        ref = None
        if self.ref_low is not None:
            ref = self._grad(self.ref_low, low)
            if not all(bool(torch.isfinite(t).all()) for t in ref.values()):
                raise Skip(f"{self.ref_name} is not finite here")
        cond = {k: 0.0 for k in truth}
        for seed in (1, 2):
            _, moved = self._round(self._moved(high, 2 * self.u, seed, cotangents=True))
            again = self._grad(self.truth, moved)
            for k in cond:
                cond[k] = max(cond[k], ulp_error(again[k], truth[k], self.u))
        tiny = torch.finfo(self.dtype).tiny
        return [InputAccuracy(k, ulp_error(got[k], truth[k], self.u, tiny),
                              None if ref is None else ulp_error(ref[k], truth[k], self.u,
                                                                 tiny),
                              cond[k], self.spread.get(k, 0.0))
                for k in truth if truth[k].numel() and (float(truth[k].abs().max()) > 0 or
                                                        float(got[k].abs().max()) > 0)]

    def _not_finite(self, high) -> str:
        """Why the forward is not finite in the dtype: outside the code's domain (not finite
        in float64 either), or beyond the dtype's range."""
        try:
            with torch.no_grad():
                outs = self.truth.call(high)
            wide = all(bool(torch.isfinite(o).all()) for o in outs if o.is_floating_point())
        except Exception:
            wide = False
        if not wide:
            return "outside the code's domain (the forward is not finite in float64 either)"
        return f"the forward is not finite in {self.name} here (beyond its range)"

    def _float64(self, high, truth) -> None:
        """Skip a point where the code's own float64 gradient is not finite, or is far from
        the independent truth (recorded: a backward wrong in float64 is a math error)."""
        if self.truth is self.code:
            return
        mine = self._grad(self.code, high)
        for k in truth:
            e64 = ulp_error(mine[k], truth[k], EPS64)
            if e64 == float("inf"):
                raise Skip("the code's own float64 gradient is not finite here")
            if e64 <= MATH_FACTOR:
                continue
            cond = max(ulp_error(self._grad(self.truth, self._moved(high, 2 * EPS64, seed))[k],
                                 truth[k], EPS64) for seed in (1, 2))
            if e64 > MATH_FACTOR * max(1.0, cond):
                if self.evidence.math is None:
                    self.evidence.math = InputAccuracy(k, e64, None, cond)
                raise Skip("the code's own float64 gradient is far from autograd of the "
                           "forward here")

    def judge(self, point, key: bytes) -> None:
        """Agree, skip or fail at ``point``."""
        accs = self.measure(point)
        bad = [a for a in accs if a.exceeds]
        if not bad:
            self.evidence.agree(accs)
            return
        seed = zlib.crc32(key)
        try:
            again = self.measure(self._moved(point, NEIGHBOUR_ULPS * self.u, seed))
        except Skip:
            raise Skip("exceeds its allowance, but the neighbouring point cannot be "
                       "compared") from None
        still = {a.name for a in again if a.exceeds}
        worst = max((a for a in bad if a.name in still), default=None,
                    key=lambda a: a.error / a.allowance)
        if worst is None:
            raise Skip("exceeds its allowance at the point but not at a neighbouring one "
                       "(an isolated rounding accident)")
        low, high = self._round(point)
        named = name_unstable(self.low, low, self.code, high, self.u, self.name)
        raise _Failure(worst, low, [named] if named else [self._plain(worst)])

    def _plain(self, a: InputAccuracy) -> str:
        if a.error == float("inf"):
            return f"d/d{a.name} is not finite in {self.name} where the float64 truth is " \
                   f"finite: an intermediate leaves {self.name}'s range"
        return f"d/d{a.name} loses accuracy in {self.name}: {a.error:,.0f} ulp-equivalents, " \
               f"beyond the rounding its inputs allow"

    def examine_batch(self, batch: list[Case]) -> None:
        """Judge each case of ``batch`` (and its shifted twin); outcomes are remembered, so
        that Hypothesis replaying a case (past the budget too) sees the same."""
        for case in batch:
            if case.key in self.seen:
                if self.seen[case.key] is not None:
                    raise self.seen[case.key]
                continue
            try:
                self._examine(case)
                self.seen[case.key] = None
            except _Failure as failure:
                self.seen[case.key] = failure
                raise

    def _examine(self, case: Case, shifted: bool = True) -> None:
        if case.directions is None:
            self.evidence.skip("the code failed at these sizes")
            return
        point = self._full(case)
        for p in (point, self._shifted(point, case.key) if shifted else None):
            if p is None:
                continue
            if time.perf_counter() - self.started > self.settings.budget:
                self.evidence.skip(OVER_BUDGET)
                continue
            try:
                self.judge(p, case.key)
            except Skip as skip:
                self.evidence.skip(skip.reason)

    # ------------------------------------------------------------ the run
    def _prepare(self) -> None:
        for g in list(self.code.plan.varying):      # at the example's sizes
            self.code.plan.fix(g)
        example = self.shapes.example()
        low, _ = self._round(self._full(example))
        try:
            first, second = self._grad(self.low, low), self._grad(self.low, low)
        except UserError:
            raise
        except Exception as exc:
            raise CodeError(f"the gradient under check fails in {self.name} on "
                            f"{self.device}: {type(exc).__name__}: {str(exc)[:120]}",
                            "dtype") from None
        for k in first:
            scale = max(float(torch.linalg.vector_norm(first[k])), 1e-300)
            spread = float(torch.linalg.vector_norm(first[k] - second[k])) / (self.u * scale)
            if spread > 0:
                self.spread[k] = spread
        if self.spread:
            worst = max(self.spread.values())
            self.notes.append(f"non-deterministic: two runs of the {self.name} backward differ "
                              f"by up to {worst:.2g} ulp-equivalents (atomics?); measured and "
                              f"added to every allowance, not failed")
        if any(s.backend == "python" and s.is_float for s in self.code.plan.slots):
            self.notes.append("Python numbers are float64: only tensor and array inputs run "
                              f"in {self.name}")

    def run(self) -> PrecisionResult:
        self._prepare()
        failure = None
        example = self.shapes.example()
        try:
            self.examine_batch([example])
        except _Failure as f:
            failure = f
        if failure is None and self.settings.search:
            strategy = batches(self.code.plan, self.shapes.shapes_at)
            failure = first_failure(strategy, self.examine_batch, _Failure,
                                    examples=-(-self.settings.examples // 10),
                                    seed=self.settings.seed, phases=SHRINK_PHASES)
        if failure is None and self.settings.search:
            failure = self._top_up(example)
        return self._result(failure)

    def _top_up(self, example: Case) -> _Failure | None:
        """Too few points compared (most of the search left the code's domain or the dtype's
        range): points like the example (:func:`~.inputs.near_example`, unshifted) until
        enough compare, within the budget."""
        need = self.settings.min_agreeing or MIN_POINTS
        rng = np.random.default_rng(0 if self.settings.seed is None else self.settings.seed)
        points = near_example(self.code.plan, example.sizes, self.shapes.shapes_at, rng)
        for _, case in zip(range(TOP_UP_TRIES * need), points):
            if self.evidence.points >= need or \
                    time.perf_counter() - self.started > self.settings.budget:
                break
            try:
                self._examine(case, shifted=False)
            except _Failure as f:
                return f
        return None

    def _result(self, failure: _Failure | None) -> PrecisionResult:
        e = self.evidence
        if failure is not None:
            e.failure = failure.accuracy
        verdict = decide_precision(e, self.settings.min_agreeing or 10)
        ce = None
        if failure is not None:
            ce = {"inputs": {k: v.double().cpu().numpy().round(6).tolist()
                             for k, v in failure.point.items() if not k.startswith("cotangent")},
                  "cotangents": {k: v.double().cpu().numpy().round(6).tolist()
                                 for k, v in failure.point.items() if k.startswith("cotangent")}}
        truth = f"{'autograd of the forward' if self.truth is not self.code else 'the code itself'}" \
                f" in float64 on the CPU"
        worst = None if e.worst is None else {**e.worst.__dict__,
                                              "allowance": e.worst.allowance}
        return PrecisionResult(self.code.label, self.name, str(self.device), verdict.outcome,
                               verdict.level, verdict.how, self.ref_name, truth,
                               list(verdict.reasons), failure.diagnosis if failure else [],
                               ce, self.notes, e.points, dict(e.skipped), worst,
                               round(time.perf_counter() - self.started, 3), verdict.exit_code)


def check_precision(fn, inputs, grad=None, domain=None, *, dtype=None, device: str = "cpu",
                    wrt=None, examples: int = 50, seed: int | None = None,
                    budget: float = 20.0, judge_autograd: bool = False) -> PrecisionResult:
    """Check that a backward is as accurate as its precision allows (see the module).

    ``fn``, ``inputs``, ``grad``, ``domain``, ``wrt`` as :func:`check_gradient`. ``dtype``:
    float32, float16 or bfloat16 (default: the lowest precision among the examples').
    ``device``: where the subject and its same-dtype reference run (cpu, cuda, cuda:N, auto);
    the truth is float64 on the CPU. ``examples``: points Hypothesis draws after the example
    (each also shifted); ``budget``: seconds of search. Returns a :class:`PrecisionResult`:
    ``bool(r)`` is True exactly when the backward is within its dtype's accuracy.
    ``judge_autograd``: code without a custom backward (autograd's own backward is the
    subject) is by default its own reference, measured and never failed; True judges it with
    the allowance of code that has no reference in the dtype (the floor and condition factor
    of :mod:`workbench.code.accuracy`), so that an unstable *forward* (a variance as
    E[x^2] - E[x]^2 written in plain torch) can be confirmed."""
    if not isinstance(examples, int) or not 1 <= examples <= 100_000:
        raise CodeError(f"must be an integer between 1 and 100000, got {examples!r}", "examples")
    from workbench.devices import parse_device
    where = parse_device(device, "device")
    code = build(fn, inputs, grad, domain, wrt, "cpu")
    settings = CodeSettings(examples=examples, seed=seed, budget=budget, vary_sizes=False)
    return PrecisionChecker(code, resolve_dtype(dtype, code), where, settings,
                            judge_autograd=judge_autograd).run()


__all__ = ["DTYPES", "PrecisionChecker", "check_precision", "resolve_dtype"]

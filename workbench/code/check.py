"""Checking a gradient written as code: the search over inputs and the evidence it leaves.

Each point is a :class:`~workbench.code.inputs.Case`: the example first, then the screen
(:func:`~workbench.code.inputs.screen`) and Hypothesis draws (near the example, and across
sizes and magnitudes), shrunk to the smallest failing one. At each point the code's gradient
is projected on a random direction per input (``<g, v>``, what ``gradcheck``'s fast mode does)
and compared with the references' directional derivatives, each an
:class:`~workbench.code.estimate.Estimate` with its own error bound
(:mod:`workbench.code.directional`). A disagreement is *confirmed* only when it exceeds both
sides' bounds and survives three tests (:mod:`workbench.code.confirm`): it is not the rounding
of an ill-conditioned point, the code is differentiable there (one-sided derivatives agree), and
an independent second estimate reproduces it. Otherwise the point is skipped with its reason. The
contract of a backward (:mod:`workbench.code.contract`) is checked at the example. The verdict
comes from :func:`workbench.verify.verdict.decide`.
"""

from __future__ import annotations

import threading
import time
import zlib
from dataclasses import dataclass

import numpy as np
import torch

from workbench.code.contract import breaches
from workbench.code.diagnosis import diagnose_code
from workbench.code.confirm import EXACT_EPS, Confirmation, Finding, Skip
from workbench.code.directional import TABLED_STEPS, Directional
from workbench.code.estimate import EPS, direction, ridders_rows
from workbench.code.inputs import (BATCH, SCREENED, TOP_UP_TRIES, Case, CodeError, batches,
                                   near_example, screen, seeded_directions)
from workbench.code.references import references, tolerance_kind
from workbench.code.result import CodeResult
from workbench.code.subject import COTANGENT, Code
from workbench.errors import UserError
from workbench.oracles.tolerances import tolerance_for
from workbench.verify.evidence import Evidence, PointCheck, Range, SampleEvidence, ShapeEvidence
from workbench.verify.strategies import SHRINK_PHASES, first_failure
from workbench.verify.verdict import MIN_AGREEING, decide

DTYPE_DRIFT_KIND = "finite_difference"
"""The forward in the example's float32 and in float64 must agree to float32's
finite-difference tolerance, or the code is not one function in both precisions."""
LOCALIZE_ENTRIES = 256
"""A confirmed failure's reference gradient is estimated entry by entry up to this size."""
OVER_BUDGET = "search stopped at its time budget"
EVALUATIONS = 40
"""About how many evaluations of the code one comparison takes (Ridders' steps, its noise)."""
SLOW = "the code is too slow here for the references within the time budget (one evaluation " \
       "costs more than the budget left for the ~40 a comparison takes)"
WATCH_AFTER = 0.05
"""Once one evaluation of the gradient under check takes this many seconds, later ones run on a
watched thread: the cost of some code grows with the values (polygamma's recurrence at -3e8 takes
46 s for 25 entries where it took 0.1 s at -4e6), and a call into torch cannot be interrupted."""
RUNAWAY = "one evaluation of the gradient under check was still running at the time budget " \
          "(values up to {:.3g}): the search stopped there, and that evaluation runs on in a " \
          "background thread until it ends"
TABLE_ENTRIES = 4_000_000
"""The most input entries one batched evaluation of a batch's points may take (beyond, the
points are evaluated one by one)."""


@dataclass(frozen=True)
class CodeSettings:
    """How hard to look: points checked after the example itself (drawn BATCH per
    Hypothesis case), seed (None: derandomized), torch device, a time budget in seconds for
    the search (points met before it keep their outcome), ``search``: False checks the
    example only (``gradcheck``),
    ``projections``: random directions (over every input at once) at each point,
    ``nondet_tol``: how far two runs of the backward may differ (None: rounding),
    ``min_agreeing``: agreeing points a match needs (None: the verdict's default),
    ``vary_sizes``: False keeps the example's sizes (code closed over lengths or indices that
    must match the data's sizes, which torch does not always check)."""

    examples: int = 100
    """Points drawn after the example: the first SCREENED in the screen (the points of
    Hypothesis' first case, made directly: :func:`~.inputs.screen`), the rest BATCH per
    Hypothesis case."""
    seed: int | None = None
    device: str = "cpu"
    budget: float = 20.0
    search: bool = True
    projections: int = 1
    nondet_tol: float | None = None
    min_agreeing: int | None = None
    vary_sizes: bool = True
    atol: float = 0.0
    rtol: float = 0.0
    """An extra allowance (``gradcheck``'s): a disagreement must also exceed
    ``atol |u|_1 |v|_1 + rtol sum |g_j v_j|`` for the projection ``u^T J v``."""


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
        self.breaches: list[str] = []
        self.notes: list[str] = []
        self.missing: set[str] = set()
        self.seen: dict[bytes, object] = {}
        self.tables: dict[bytes, tuple] = {}
        self.ready: dict[bytes, tuple] = {}
        """Points of a batch whose subject was evaluated first: (point, gradient, seconds)."""
        self.batched: bool | None = None
        """Whether the code runs under ``torch.func.vmap`` (None: not tried yet)."""
        self._shapes: dict[tuple, dict] = {}
        self._full_refs = None
        self.directional: Directional | None = None
        self.confirmation = Confirmation(settings.atol, settings.rtol)
        self.started = time.perf_counter()
        self.watch = False
        """Whether the subject runs on a watched thread (see :data:`WATCH_AFTER`)."""
        self.overrun = False
        """Whether a watched evaluation outlived the budget (then the search is over)."""
        self._example: Case | None = None
        self.example_grad: dict | None = None
        """The subject's gradient at the example, as :meth:`_prepare` computed it (the example's
        comparison and the contract's first run take it)."""

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

    def shapes_at(self, sizes, values) -> dict | None:
        """:meth:`directions`, remembered per sizes once the code has run there (the
        cotangents' shapes follow from the sizes)."""
        key = tuple(sorted(sizes.items()))
        if key not in self._shapes:
            shapes = self.directions(sizes, values)
            if shapes is None:
                return None
            self._shapes[key] = shapes
        return self._shapes[key]

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

    def _subject(self, point):
        """The code's gradient at ``point``; :class:`Skip` when it raises there, or when it
        is still running at the budget (watched, once the code has shown itself slow)."""
        try:
            if self.watch:
                return self._watched(point)
            start = time.perf_counter()
            got = self.code.subject(point)
            self.watch = time.perf_counter() - start > WATCH_AFTER
            return got
        except (UserError, Skip):
            raise
        except Exception as exc:
            raise Skip(f"the gradient under check raised {type(exc).__name__}") from None

    def _watched(self, point):
        """``code.subject(point)`` on a daemon thread, waited for until the budget ends; past
        it the search stops (:data:`RUNAWAY`) and the thread is left to finish alone."""
        box: dict = {}
        grad = torch.is_grad_enabled()

        def work():
            try:
                with torch.set_grad_enabled(grad):
                    box["got"] = self.code.subject(point)
            except BaseException as exc:     # noqa: BLE001 - re-raised in the caller
                box["error"] = exc

        thread = threading.Thread(target=work, name="workbench-watched-call", daemon=True)
        thread.start()
        thread.join(max(self._left(), 0.0))
        if thread.is_alive():
            self.overrun = True
            top = max((float(t.detach().abs().max()) for t in point.values()
                       if t.numel() and t.is_floating_point()), default=0.0)
            self.notes.append(RUNAWAY.format(top))
            raise Skip(OVER_BUDGET)
        if "error" in box:
            raise box["error"]
        return box["got"]

    def pair(self, case: Case):
        """The subject's and the first full reference's gradients at ``case`` (for the
        diagnosis), or a reason to skip."""
        point = self.point(case)
        try:
            got = self._subject(point)
        except Skip as skip:
            return skip.reason
        try:
            true = self.refs[0](point).grad
        except Exception as exc:
            return f"the code raised {type(exc).__name__}"
        return point, got, true

    # ------------------------------------------------------------ one case
    def examine_batch(self, batch: list[Case]) -> None:
        """:meth:`examine` each case of ``batch``, after one batched evaluation of the scalar
        along each new case's first direction at every step Ridders may take, per sizes
        the batch holds (where the code runs under vmap)."""
        if len(batch) > 1 and self.batched is not False:
            self._ready(batch)
            groups: dict[tuple, list[Case]] = {}    # one batched evaluation per sizes
            for c in batch:
                groups.setdefault(tuple(sorted(c.sizes.items())), []).append(c)
            for group in groups.values():
                if len(group) > 1 and self.batched is not False:
                    self._tabulate(group)
                    self._settle(group)
        for case in batch:
            self.examine(case)

    def _left(self) -> float:
        if self.overrun:
            return 0.0
        return self.settings.budget - (time.perf_counter() - self.started)

    def _ready(self, batch: list[Case]) -> None:
        """The subject's gradient at each new point of ``batch``, timed: what one evaluation
        of the code costs there (some code is far slower at some values: polygamma at -1e4)."""
        for case in batch:
            key = case.key
            if key in self.seen or key in self.ready or case.directions is None:
                continue
            if self._left() <= 0:
                return
            point = self.point(case)
            start = time.perf_counter()
            try:
                got = self._subject(point)
            except Exception:   # noqa: BLE001 - examined alone, where it is decided
                if self.overrun:
                    return
                continue
            self.ready[key] = (point, got, time.perf_counter() - start)

    def _tabulate(self, batch: list[Case]) -> None:
        """One batched evaluation of the new cases of ``batch`` (cases of one sizes)."""
        new = [c for c in batch if c.key in self.ready and c.key not in self.tables
               and c.sizes == batch[-1].sizes]
        # the batched call cannot stop at the budget: it takes the points it surely affords
        # (a subject's evaluation costs more than a forward), cheapest first
        new.sort(key=lambda c: self.ready[c.key][2])
        afford, cost = self._left() / 4, 0.0
        for i, c in enumerate(new):
            cost += self.ready[c.key][2] * len(TABLED_STEPS)
            if cost > afford:
                new = new[:i]
                break
        if len(new) < 2:
            return
        entries = sum(np.size(a) for a in (*new[0].values.values(),
                                           *new[0].directions.values()))
        if len(new) * len(TABLED_STEPS) * entries > TABLE_ENTRIES:
            return
        points = [self.ready[case.key][0] for case in new]
        keys = [case.key for case in new]
        # each point's first direction as :meth:`_examine` takes it untabulated: the same
        # whatever the batch, the order or the machine's load
        drawn = [self._tangent(case) or self._keyed(case.key, p) for case, p in zip(new, points)]
        n, steps = len(new), torch.tensor(TABLED_STEPS, dtype=torch.float64)
        rows, directions = {}, {}
        for k in points[0]:
            x = torch.stack([p[k] for p in points])
            if k in self.code.wrt:
                d = torch.as_tensor(np.stack([v[k] for v in drawn]), device=x.device)
                directions[k] = d
                t = steps.to(x.device).reshape(1, -1, *([1] * (x.dim() - 1)))
                x = x[:, None] + t * d[:, None]
            else:
                x = x[:, None].expand(n, len(steps), *x.shape[1:])
            rows[k] = x.reshape(n * len(steps), *x.shape[2:])
        todo = [(key, point, {k: d[i] for k, d in directions.items()})
                for i, (key, point) in enumerate(zip(keys, points))]
        try:
            values, mags = self.code.batched_terms(rows)
            values = values.reshape(n, len(steps)).cpu().numpy()
            mags = mags.reshape(n, len(steps)).cpu().numpy()
        except UserError:
            raise
        except Exception:    # noqa: BLE001 - code vmap cannot run: points one by one
            self.batched = False
            return
        self.batched = True
        first = ridders_rows(values, mags)      # Ridders of every point at once
        for (key, point, v), vs, ms, r in zip(todo, values.tolist(), mags.tolist(), first):
            self.tables[key] = (point, v, dict(zip(TABLED_STEPS, zip(vs, ms))), r)

    def _settle(self, batch: list[Case]) -> None:
        """The tabulated points of ``batch`` that agree at once, decided together: the code's
        ``<g, v>`` of every point in one product per input, against the tabulated Richardson
        estimates (:meth:`~.confirm.Confirmation.tight_agreements`, what :meth:`examine`
        accepts first). Every other point is examined one by one."""
        if self.settings.projections != 1 or self._left() <= 0:
            return
        rows, taken = [], set()
        for case in batch:
            key = case.key
            table, ready = self.tables.get(key), self.ready.get(key)
            if table is None or ready is None or table[3] is None or key in self.seen \
                    or key in taken:        # a case drawn twice is examined once
                continue
            point, got, _ = ready
            if all(got.get(k) is not None and got[k].shape == point[k].shape
                   for k in self.code.wrt):
                rows.append((case, point, got, table))
                taken.add(key)
        if len(rows) < 2:
            return
        n, value, mag = len(rows), 0.0, 0.0
        for k in self.code.wrt:
            g = torch.stack([r[2][k] for r in rows]).double()
            terms = (g * torch.stack([r[3][1][k] for r in rows]).to(g.device)).reshape(n, -1)
            value, mag = value + terms.sum(1), mag + terms.abs().sum(1)
        value, mag = np.asarray(torch.as_tensor(value).cpu()), np.asarray(
            torch.as_tensor(mag).cpu())
        scale = np.array([r[3][2][0.0][1] for r in rows])
        bound = EXACT_EPS * np.maximum(mag, np.abs(value)) + EPS * scale     # At.code's
        ref = np.array([r[3][3].value for r in rows])
        ref_bound = np.array([r[3][3].bound for r in rows])
        agreed = Confirmation.tight_agreements(value, bound, ref, ref_bound)
        done = [(case, point) for (case, point, _, _), ok in zip(rows, agreed.tolist()) if ok]
        for case, _ in done:
            self.tables.pop(case.key), self.ready.pop(case.key)
            self.seen[case.key] = None
        if done:
            self._agree_all(done)

    def examine(self, case: Case) -> None:
        """Compare at ``case``; raise :class:`_Failure` on a confirmed mismatch. Outcomes are
        remembered, so that Hypothesis replaying a case past the budget sees the same."""
        key = case.key
        if key in self.seen:
            if isinstance(self.seen[key], _Failure):
                raise self.seen[key]
            return
        if self._left() <= 0:
            self.samples.skip(OVER_BUDGET)
            return
        try:
            self._examine(case)
            self.seen[key] = None
        except Skip as skip:
            self.seen[key] = None
            self.samples.skip(skip.reason)
        except _Failure as failure:
            self.seen[key] = failure
            raise

    def _examine(self, case: Case) -> None:
        if case.directions is None:
            raise Skip("the code failed at these sizes")
        key = case.key
        table, ready = self.tables.pop(key, None), self.ready.pop(key, None)
        if ready is not None:
            point, got, seconds = ready
        else:
            point = self.point(case)
            start = time.perf_counter()
            got = self._subject(point)
            seconds = time.perf_counter() - start
        if table is None and seconds * EVALUATIONS > self._left():
            raise Skip(SLOW)
        for k, g in got.items():
            if g is not None and tuple(g.shape) != tuple(point[k].shape):
                self.shapes.append(ShapeEvidence(k, tuple(point[k].shape) or None,
                                                 tuple(g.shape) or None))
                raise _Failure(None, case)
        self.missing |= {k for k, g in got.items() if g is None}
        got = {k: torch.zeros_like(point[k], dtype=torch.float64) if g is None else g
               for k, g in got.items()}
        if not all(bool(torch.isfinite(t).all()) for t in got.values()):
            raise Skip("non-finite values")
        at = self.directional.at(point, got)
        if table is None:       # the scale of the scalar here, and whether the code runs
            try:
                at.scale = self.code.terms(point)[1]
            except UserError:
                raise
            except Exception as exc:
                raise Skip(f"the code raised {type(exc).__name__}") from None
        tangent, rng = self._tangent(case), None
        for i in range(self.settings.projections):
            if i == 0 and table is not None:    # the first direction, tabulated
                v = table[1]
                at.tabled = (v, table[2], table[3])
            elif i == 0 and tangent is not None:
                v = {k: torch.as_tensor(t, device=point[k].device) for k, t in tangent.items()}
            else:
                if rng is None:
                    rng = np.random.default_rng(zlib.crc32(key))
                    if i > 0 and tangent is None:   # the first draw was the first direction
                        at.direction(self.code.wrt, rng)
                v = at.direction(self.code.wrt, rng)
            self._compare(case, at, v)
        self._agree(case, point)

    def _tangent(self, case: Case) -> dict[str, np.ndarray] | None:
        """The first direction a seeded case was drawn with, over the inputs checked."""
        t = case.tangent
        if t is None or any(k not in t for k in self.code.wrt):
            return None
        return {k: t[k] for k in self.code.wrt}

    def _keyed(self, key: bytes, point) -> dict[str, np.ndarray]:
        """The first direction of a case drawn without one (entry by entry, the example),
        from its key, as :meth:`_examine` draws it."""
        rng = np.random.default_rng(zlib.crc32(key))
        return {k: direction(point[k].detach().cpu().double().numpy(), rng)
                for k in self.code.wrt}

    def _compare(self, case: Case, at, v) -> None:
        """Agree, or raise :class:`Skip` or :class:`_Failure`, for the projection on ``v``."""
        found = self.confirmation.compare(at, v)
        if found is not None:
            self.samples.failure = self._failure_check(case, at, found)
            raise _Failure(self.samples.failure, case)

    def _failure_check(self, case: Case, at, found: Finding) -> PointCheck:
        name, d, ref = found.name, found.code, found.reference
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
        self._agree_all([(case, point)])

    def _agree_all(self, agreed: list[tuple[Case, dict]]) -> None:
        """Record points that agreed: their count, the range of each input, their sizes."""
        s = self.samples
        s.points += len(agreed)
        for k in self.code.wrt:
            v = np.concatenate([np.ravel(case.values[k]) if k in case.values else
                                point[k].detach().cpu().double().numpy().ravel()
                                for case, point in agreed])
            r = s.ranges.setdefault(k, Range())
            if v.size:
                r.add(float(v.min()), float(v.max()), float(np.abs(v).min()))
        for case, _ in agreed:
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
            if failure is None:
                failure = self._top_up(example)
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
        notes = self.notes + (self.directional.notes if self.directional is not None else [])
        return CodeResult.build(self.code, verdict, evidence, diagnosis,
                                failure.case if failure else None, names, notes,
                                time.perf_counter() - self.started)

    def example(self) -> Case:
        """The example inputs, with seeded cotangents (made once)."""
        if self._example is None:
            self._example = self._make_example()
        return self._example

    def _make_example(self) -> Case:
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
        example = self.example()
        point = self.point(example)
        try:
            start = time.perf_counter()
            got = self.code.subject(point)
            self.ready[example.key] = (point, got, time.perf_counter() - start)
            self.example_grad = got
        except UserError:
            raise
        except Exception as exc:
            if self._wrong_shapes(point):
                return
            raise CodeError(f"the gradient under check fails on the example inputs: "
                            f"{type(exc).__name__}: {str(exc)[:120]}", "grad") from None
        first = {k: torch.as_tensor(d, device=point[k].device)
                 for k, d in self._keyed(example.key, point).items()}
        self.directional = Directional(self.code, point, got, first)
        if self.directional.first_table is not None and self.batched is not False:
            self.tables[example.key] = (point, first, *self.directional.first_table)
        if self.settings.search and self.settings.vary_sizes:
            self._probe_sizes()
        else:
            for g in list(self.code.plan.varying):
                self.code.plan.fix(g)
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
                ok = ok and self.shapes_at(case.sizes, case.values) is not None
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

    def _top_up(self, example: Case) -> _Failure | None:
        """Too few points agreed (most drawn points left the code's domain: asin, logit,
        erfinv near the ends): points like the example (:func:`~.inputs.near_example`) until
        enough agree, within the budget."""
        need = MIN_AGREEING if self.settings.min_agreeing is None else self.settings.min_agreeing
        if self.samples.agreeing >= need:
            return None
        rng = np.random.default_rng(0 if self.settings.seed is None else self.settings.seed)
        points = near_example(self.code.plan, example.sizes, self.shapes_at, rng)
        for _, case in zip(range(TOP_UP_TRIES * need), points):
            if self.samples.agreeing >= need or self._left() <= 0:
                break
            try:
                self.examine(case)
            except _Failure as f:
                return f
        return None

    def _search(self) -> _Failure | None:
        """The screen (:func:`~.inputs.screen`: the points of Hypothesis' first case of
        :func:`~.inputs.batches` with a second group, made directly), then, past SCREENED
        points or when the screen fails, the search: a case per BATCH points, shrinking what
        fails (the screen's failure stands when the search does not reproduce it)."""
        s = self.settings
        screened = min(s.examples, SCREENED)
        mix = zlib.crc32(repr(("screen", s.seed)).encode())
        try:
            self.examine_batch(screen(self.code.plan, self.shapes_at,
                                      second=screened - BATCH, mix=mix))
            found = None
        except _Failure as failure:
            found = failure
        if found is None and s.examples <= screened:
            return None
        if found is not None or self._left() > 0:
            cases = -(-(s.examples if found is not None else s.examples - screened) // BATCH)
            found = first_failure(batches(self.code.plan, self.shapes_at), self.examine_batch,
                                  _Failure, examples=cases, seed=s.seed,
                                  phases=SHRINK_PHASES) or found
        return found


def _list(t: torch.Tensor):
    return t.detach().cpu().double().numpy().round(12).tolist()


def _shown(values) -> dict:
    return {k: np.asarray(v).round(12).tolist() for k, v in values.items()}


def check(code: Code, settings: CodeSettings | None = None) -> CodeResult:
    """Check ``code`` (see :func:`workbench.code.check_gradient`)."""
    return Checker(code, settings or CodeSettings()).run()


__all__ = ["Checker", "CodeSettings", "check"]

"""Directional derivatives of the code's scalar ``<u, f(x)>`` at one point, from every
reference that works for this code, each with its error bound (:mod:`workbench.code.estimate`).

References, best first:

- ``autograd float64``: reverse-mode autograd of the user's forward (a hand gradient of torch
  code only: for an ``autograd.Function`` or a module it is the subject itself);
- ``forward-mode autograd``: torch's forward mode (dual numbers) through the code (modules and
  plain torch code; it never runs the backward under check);
- ``complex step``: ``Im <u, f(x + i h v)> / h``, one evaluation, exact to rounding where the
  code is real-analytic and carries complex numbers;
- ``Richardson``: Ridders' extrapolated differences, always available, with a bound from its
  tableau and the measured noise of the function.

An exact reference is used only if it agrees with Richardson at the example, input by input
(:class:`Directional`); a disagreement among references at a point skips the point.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch
import torch.autograd.forward_ad as fwAD

from workbench.code.estimate import (EPS, EXACT_ULPS, FIRST_STEP, MAX_LEVELS, NOISE_STEP,
                                     Estimate, direction, exact, one_sided, ridders,
                                     ridders_rows)
from workbench.code.function import own_forward
from workbench.code.references import COMPLEX_STEP, CodeAutogradOracle, first_line
from workbench.code.subject import COTANGENT, Code
from workbench.errors import UserError

TINY = float(np.finfo(np.float64).smallest_subnormal)
VISIBLE = 64
"""Ulps of change that a slope must show at a small step (:meth:`At.flat_near`)."""
RICHARDSON = "Richardson"
AUTOGRAD, FORWARD, COMPLEX = "autograd float64", "forward-mode autograd", "complex step"
OWN_FORWARD = "autograd of the Function's forward"
"""An ``autograd.Function``'s forward run outside it, differentiated by torch: independent of
the backward under check (:func:`~workbench.code.function.own_forward`)."""
ULPS = 4
"""The conditioning test moves the inputs by this many ulps."""
Direction = dict  # input name -> tensor of its shape
STEPS = (0.0, NOISE_STEP, -NOISE_STEP) + tuple(
    s * FIRST_STEP / 2.0 ** j for j in range(MAX_LEVELS + 3) for s in (1.0, -1.0))
"""Every step ``t`` at which Ridders (and its noise measure, and the one-sided differences)
may evaluate ``phi`` from the first step."""
TABLED_LEVELS = 8
TABLED_STEPS = STEPS[:3 + 2 * TABLED_LEVELS]
"""What a batched evaluation tabulates (:attr:`At.tabled`): the noise steps and the first
TABLED_LEVELS halvings. Ridders settles within them at 99 % of the points of op_db (91 % at
the first five, the fewest it takes); a point that needs more evaluates the other steps
directly. A third of STEPS: the batched evaluation of heavier code costs a third."""
STAIRS = frozenset({"round", "floor", "ceil", "trunc", "fix", "sign", "sgn", "signbit",
                    "round_", "floor_", "ceil_", "trunc_", "sign_", "heaviside"})
"""Torch functions that are piecewise constant (derivative 0 between stairs): with one in the
forward, stairs may sit below every step differences take, and even at ulps (``round(x, 3)``
at 3e12, stairs of two ulps, is numerically the identity), so differences cannot confirm."""
JITTERS = (2.0 ** -30, 2.0 ** -22, 2.0 ** -14)
"""Relative steps at which the code's own rounding noise is measured (:meth:`At.jitter`)."""


class Directional:
    """The references available for ``code``, decided at the example ``point`` (where the
    subject's gradient is ``grad``); :meth:`at` evaluates them elsewhere.

    Autograd of the user's forward (a hand gradient's, or a ``Function``'s own forward) is
    decided at once; forward-mode autograd and the complex step only when a point first asks
    for them (:meth:`has`, :attr:`kinds`): a check whose points all settle by the batched
    differences never pays for their trials (their evaluations at the example)."""

    RICHARDSON = RICHARDSON
    LAZY = (FORWARD, COMPLEX)

    def __init__(self, code: Code, point, grad, first: Direction | None = None):
        """``first``: the direction the example itself is examined along first, tabulated in
        the same batched call as the trials (:attr:`first_table`)."""
        self.code = code
        self.exact: list[str] = []
        """The exact references decided usable so far, best first (:attr:`kinds`: all)."""
        self.notes: list[str] = []
        self.first_table: tuple[dict, Estimate | None] | None = None
        """``({t: phi(t)}, Ridders)`` along ``first`` at :data:`TABLED_STEPS` (as
        :attr:`At.tabled` takes them), or None where the code does not run under vmap."""
        candidates = [COMPLEX]
        self.own = own_forward(code)
        if code.autograd_is_reference:
            candidates.insert(0, AUTOGRAD)
        elif self.own is not None:
            candidates.insert(0, OWN_FORWARD)
        elif code.kind == "module":
            candidates.insert(0, FORWARD)
        self._order = candidates
        at = self.at(point, _zeros_for_none(grad, point))
        rng = np.random.default_rng(0)
        trials = [at.direction([k], rng) for k in code.wrt]
        values, mags = self._tabled(at, trials + ([first] if first is not None else []))
        n = len(trials)
        if values is not None and first is not None:    # as a batch tabulates: not floored
            self.first_table = (dict(zip(TABLED_STEPS, zip(values[n].tolist(),
                                                           mags[n].tolist()))),
                                ridders_rows(values[n:], mags[n:])[0])
        self._trial = (at, trials, None if values is None else (values[:n], mags[:n]))
        self._base: list[Estimate] | None = None
        self._pending = [k for k in candidates if k in self.LAZY]
        for kind in candidates:
            if kind not in self.LAZY:
                self._decide(kind)

    def _decide(self, kind: str) -> None:
        """Try ``kind`` at the example, input by input, against Richardson there."""
        at, trials, table = self._trial
        if self._base is None:      # Richardson of the trials: floored, made once
            base = [None] * len(trials)
            if table is not None:
                base = ridders_rows(*table, floor=at.floor)
            self._base = [r if r is not None else at.richardson(v)
                          for v, r in zip(trials, base)]
        base = self._base
        try:
            ests = [at.exact(kind, v) for v in trials]
        except Exception as exc:      # the user's code refusing complex numbers or duals
            self.notes.append(f"{kind} unavailable: {first_line(exc)}")
            return
        if all(r.usable and e.usable and not e.disagrees(r) for e, r in zip(ests, base)):
            self.exact.append(kind)
            self.exact.sort(key=self._order.index)
        else:
            self.notes.append(f"{kind} unavailable: it disagrees with finite differences "
                              f"at the example (code not analytic, or a custom backward "
                              f"inside)")

    def has(self, kind: str) -> bool:
        """Whether ``kind`` is a usable reference here (decided now if it was not yet)."""
        if kind in self._pending:
            self._pending.remove(kind)
            self._decide(kind)
        return kind in self.exact

    @property
    def kinds(self) -> list[str]:
        """Every usable exact reference, best first (the pending ones decided now)."""
        for kind in list(self._pending):
            self.has(kind)
        return self.exact

    def _tabled(self, at: "At", trials: list[Direction]
                ) -> tuple[np.ndarray, np.ndarray] | tuple[None, None]:
        """The scalar and its magnitude along each of ``trials`` (a row each) at every step
        of :data:`TABLED_STEPS`, from one batched evaluation (None where the code does not
        run under vmap)."""
        point, n = at.point, len(trials)
        steps = torch.tensor(TABLED_STEPS, dtype=torch.float64)
        rows = {}
        for k, x in point.items():
            x = x.expand(n * len(steps), *x.shape)
            if any(k in v for v in trials):
                d = torch.stack([v[k] if k in v else
                                 torch.zeros(x.shape[1:], dtype=torch.float64, device=x.device)
                                 for v in trials])
                t = steps.to(d.device).reshape(1, -1, *([1] * d[0].dim()))
                x = (point[k][None, None] + t * d[:, None]).reshape(n * len(steps),
                                                                      *point[k].shape)
            rows[k] = x
        try:
            values, mags = self.code.batched_terms(rows)
        except UserError:
            raise
        except Exception:   # noqa: BLE001 - code vmap cannot run: point by point
            return None, None
        return (values.reshape(n, len(steps)).cpu().numpy(),
                mags.reshape(n, len(steps)).cpu().numpy())

    @property
    def names(self) -> list[str]:
        """The references used so far, best first (one never asked for is not listed)."""
        return self.exact + [RICHARDSON]

    def at(self, point, grad) -> "At":
        return At(self, point, grad)

    @staticmethod
    def ulps(x: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
        """``x`` moved by a few ulps, entry by entry (zeros stay)."""
        r = torch.as_tensor(rng.uniform(-1, 1, tuple(x.shape)), device=x.device)
        return x * (1 + ULPS * EPS * r)

    @staticmethod
    def nearby(rel: float):
        def move(x: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
            r = torch.as_tensor(rng.uniform(-1, 1, tuple(x.shape)), device=x.device)
            return x * (1 + rel * r) + (x == 0) * rel * r
        return move


class At:
    """The references at one point, where the subject's gradient is ``grad``."""

    RICHARDSON = RICHARDSON

    def __init__(self, refs: Directional, point, grad):
        self.refs = refs
        self.point, self.grad = dict(point), grad
        self._autograd = None
        self._scale = None
        self._floor = None
        self._stairs = False
        self.tabled: tuple[Direction, dict, Estimate | None] | None = None
        """(v, {t: phi(t)}, Ridders): ``phi`` along ``v`` evaluated beforehand at :data:`TABLED_STEPS`
        (one batched call for several points), and Ridders' estimate from those values where
        it was computed with them (:func:`~.estimate.ridders_rows`); other steps and
        directions are evaluated here."""

    def direction(self, names, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        """A random direction in the inputs ``names`` (see :func:`~.estimate.direction`)."""
        out = {}
        for name in names:
            x = self.point[name]
            out[name] = torch.as_tensor(direction(x.detach().cpu().double().numpy(), rng),
                                        device=x.device)
        return out

    def code(self, v: Direction) -> Estimate:
        """The code's own ``<g, v>``, with the rounding of the sum, and at least one ulp of
        the function's own scale (a backward works with quantities of that size: ``1 - s``
        of a sigmoid ``s`` rounds to 0 at x = 100, where the true 4e-44 is below an ulp of
        1; the directions are relative, so the scales compare)."""
        terms = [self.grad[k].double() * d for k, d in v.items()]
        e = exact(float(sum(t.sum() for t in terms)),
                  float(sum(t.abs().sum() for t in terms)), "code")
        return Estimate(e.value, e.bound + EPS * self.scale, e.name)

    @property
    def scale(self) -> float:
        """The sum of |terms| of the scalar at this point."""
        if self._scale is None:
            known = self.tabled[1].get(0.0) if self.tabled is not None else None
            self._scale = known[1] if known is not None else self.source.terms(self.point)[1]
        return self._scale

    @scale.setter
    def scale(self, value: float) -> None:
        self._scale = value

    def phi(self, v: Direction):
        """``phi(t)``: the scalar at the point moved by ``t v`` (NaN where the code raises:
        a step out of its domain, as a probability above 1)."""
        table = self.tabled[1] if self.tabled is not None and self.tabled[0] is v else {}

        def f(t: float) -> tuple[float, float]:
            if t in table:
                return table[t]
            try:
                return self.source.terms({**self.point,
                                          **{k: self.point[k] + t * d for k, d in v.items()}})
            except UserError:
                raise
            except Exception:   # noqa: BLE001 - the user's code refusing the moved point
                return math.nan, math.nan
        return f

    @property
    def source(self) -> Code:
        return self.refs.code

    def richardson(self, v: Direction, first: float = FIRST_STEP, floored: bool = True
                   ) -> Estimate:
        """Ridders along ``v``; ``floored``: with the rounding of the intermediates in its
        bound (an extra evaluation, once per point), as every estimate that can confirm."""
        known = self.tabled
        if not floored and first == FIRST_STEP and known is not None and known[0] is v \
                and known[2] is not None:
            return known[2]
        return ridders(self.phi(v), first, name=RICHARDSON,
                       floor=self.floor if floored else 0.0)

    @property
    def floor(self) -> float:
        """The rounding of the scalar's intermediates: ``eps`` times the largest value torch
        code computes on the way (times the largest cotangent). An output can be far smaller
        than what it was computed from (``1 + erf(x)`` is 0 at x = -19, from values of 1), and
        its error is of the size of those; differences see no noise in a saturated value."""
        if self._floor is None:
            self._floor = 0.0
            if any(s.backend == "torch" for s in self.source.plan.slots):
                scale = _Intermediates()
                try:
                    with scale:
                        self.source.terms(self.point)
                except Exception:   # noqa: BLE001 - the measurement is optional
                    scale.biggest = 0.0
                self._stairs = bool(scale.names & STAIRS)
                u = max((float(t.abs().max()) for k, t in self.point.items()
                         if k.startswith(COTANGENT.format("")) and t.numel()), default=1.0)
                self._floor = EPS * scale.biggest * u
        return self._floor

    @property
    def stairs(self) -> bool:
        """Whether the forward calls a piecewise-constant torch function (:data:`STAIRS`)."""
        return self.floor is not None and self._stairs

    def references(self, v: Direction, richardson: Estimate | None | bool = True
                   ) -> list[Estimate]:
        """Every available reference's estimate of ``<g, v>`` (those that fail here left
        out; non-finite estimates too); ``richardson``: an estimate already made, or False
        for the exact references only."""
        out = []
        for kind in self.refs.kinds:
            try:
                e = self.exact(kind, v)
            except Exception:       # noqa: BLE001 - a reference that cannot answer here
                continue
            if e.usable:
                out.append(e)
        if richardson is not False:
            e = self.richardson(v) if richardson is True else richardson
            if e.usable:
                out.append(e)
        return out

    def exact(self, kind: str, v: Direction) -> Estimate:
        if kind in (AUTOGRAD, OWN_FORWARD):
            if self._autograd is None:
                scalar = (self.refs.own if kind == OWN_FORWARD else self.source).scalar
                oracle = CodeAutogradOracle(scalar, self.source.wrt)
                self._autograd = oracle(self.point).grad
            terms = [self._autograd[k].double() * d for k, d in v.items()]
            return exact(float(sum(t.sum() for t in terms)),
                         float(sum(t.abs().sum() for t in terms)), kind)
        if kind == FORWARD:
            return self._forward(v)
        return self._complex(v)

    @staticmethod
    def _weighted(parts) -> tuple[float, float]:
        value = sum(p.sum() for p in parts)
        return float(value), float(sum(p.abs().sum() for p in parts))

    def _forward(self, v: Direction) -> Estimate:
        with torch.no_grad(), fwAD.dual_level(), warnings.catch_warnings():
            warnings.filterwarnings("ignore", "`torch.jit.script` is deprecated", FutureWarning)
            duals = {k: fwAD.make_dual(self.point[k], d.to(self.point[k].dtype))
                     for k, d in v.items()}
            outs = self.source.call({**self.point, **duals})
            parts = []
            for i in self._used(outs):
                t = fwAD.unpack_dual(outs[i]).tangent
                if t is None:
                    t = torch.zeros_like(outs[i])
                parts.append((self._weight(i, outs) * t).double())
        value, mag = self._weighted(parts)
        return exact(value, mag, FORWARD)

    def _complex(self, v: Direction) -> Estimate:
        base = {k: t.to(torch.complex128) if t.is_floating_point() and
                not k.startswith(COTANGENT.format("")) else t for k, t in self.point.items()}
        for k, d in v.items():
            base[k] = base[k] + 1j * COMPLEX_STEP * d
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            outs = self.source.call(base)
            parts = []
            for i in self._used(outs):
                if not outs[i].is_complex():
                    raise TypeError("the code does not carry complex values through")
                parts.append((self._weight(i, outs) * outs[i].imag).double() / COMPLEX_STEP)
        value, mag = self._weighted(parts)
        e = exact(value, mag, COMPLEX)
        # imaginary parts near the underflow keep absolute, not relative, precision
        return Estimate(e.value, e.bound + EXACT_ULPS * TINY / COMPLEX_STEP, COMPLEX)

    def _used(self, outs) -> list[int]:
        if COTANGENT.format(0) not in self.point:
            return [0]
        return self.source.used(outs)

    def _weight(self, i: int, outs) -> torch.Tensor:
        key = COTANGENT.format(i)
        if key not in self.point:
            return torch.ones((), dtype=torch.float64, device=outs[i].device)
        return self.point[key].double()

    def flat(self, v: Direction) -> tuple[bool, float]:
        """Whether the scalar is bitwise the same at every one of Ridders' first steps along
        ``v`` (a forward rounded to a constant: a saturated ``1 + erf(x)``), and its value."""
        phi = self.phi(v)
        f0 = phi(0.0)[0]
        steps = (FIRST_STEP, FIRST_STEP / 2, FIRST_STEP / 64)
        return all(phi(s * t)[0] == f0 for t in steps for s in (1.0, -1.0)), f0

    def flat_near(self, v: Direction, slope: float) -> bool:
        """Whether the scalar is bitwise constant over steps at which ``slope`` would move it
        by VISIBLE ulps (a staircase: ``round(x, 3)`` at 5e6 has stairs far below Ridders'
        steps, which see its average slope 1)."""
        if slope == 0 or not math.isfinite(slope):
            return False
        phi = self.phi(v)
        f0 = phi(0.0)[0]
        # at least VISIBLE ulps of every input entry too: a step below them leaves the inputs
        # unchanged, and any function is flat there (sin at x = 2296: ulps of 4.5e-13)
        moved = max((float(torch.where(d != 0, self.point[k].abs() / d.abs(), 0.0).max())
                     for k, d in v.items() if d.numel()), default=0.0)
        step = min(FIRST_STEP, max(VISIBLE * EPS * max(abs(f0), self.scale) / abs(slope),
                                   VISIBLE * EPS * moved))
        return phi(step)[0] == f0 == phi(-step)[0]

    def one_sided(self, v: Direction) -> tuple[Estimate, Estimate]:
        phi = self.phi(v)
        return one_sided(phi, 1.0, floor=self.floor), one_sided(phi, -1.0, floor=self.floor)

    def moved(self, move) -> "At":
        """The references at the point moved by ``move(x, rng)`` (every differentiated
        input), with the subject's gradient there."""
        rng = np.random.default_rng(7)
        point = dict(self.point)
        for k in self.source.wrt:
            point[k] = move(point[k], rng)
        grad = _zeros_for_none(self.source.subject(point), point)
        return At(self.refs, point, grad)

    def jitter(self, v: Direction) -> float:
        """The rounding noise of the code's ``<g, v>`` near this point: the largest third
        difference of ``<g(x + t v), v>`` over steps t of each of JITTERS (relative). A smooth
        gradient's third differences are tiny; what is left is rounding in the backward, such
        as the cancellation in ``1 - sigmoid(x)`` near 1, which moving by a few ulps cannot
        show (the intermediate does not move until the input moves by much more)."""
        worst = 0.0
        for step in JITTERS:
            values = []
            for j in range(-2, 2):
                point = {**self.point,
                         **{k: self.point[k] + j * step * d for k, d in v.items()}}
                grad = _zeros_for_none(self.source.subject(point), point)
                values.append(float(sum((grad[k].double() * d).sum() for k, d in v.items())))
            third = values[3] - 3 * values[2] + 3 * values[1] - values[0]
            worst = max(worst, abs(third))
        return worst

    def entrywise(self, name: str) -> torch.Tensor:
        """The reference gradient of ``name`` entry by entry (Richardson along each axis)."""
        x = self.point[name]
        flat = x.reshape(-1)
        out = torch.empty(flat.shape, dtype=torch.float64)
        for j in range(flat.numel()):
            scale = abs(float(flat[j])) or 1.0
            e = torch.zeros_like(flat)
            e[j] = scale
            out[j] = ridders(self.phi({name: e.reshape(x.shape)})).value / scale
        return out.reshape(x.shape)


class _Intermediates(torch.overrides.TorchFunctionMode):
    """Records the largest finite magnitude among the floating tensors torch functions return
    (the mode is off while its handler runs, so measuring does not recurse)."""

    def __init__(self):
        super().__init__()
        self.biggest = 0.0
        self.names: set[str] = set()

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        self.names.add(getattr(func, "__name__", ""))
        for t in out if isinstance(out, (tuple, list)) else (out,):
            if isinstance(t, torch.Tensor) and t.is_floating_point() and t.numel() \
                    and t.layout == torch.strided:
                with torch.no_grad():
                    top = float(t.abs().max())     # NaN if any entry is, inf if any is
                    if not math.isfinite(top):
                        a = t.abs()
                        a = a[torch.isfinite(a)]
                        top = float(a.max()) if a.numel() else 0.0
                self.biggest = max(self.biggest, top)
        return out


def _zeros_for_none(grad, point) -> dict[str, torch.Tensor]:
    return {k: torch.zeros_like(point[k], dtype=torch.float64) if g is None else g
            for k, g in grad.items()}


__all__ = ["AUTOGRAD", "COMPLEX", "FORWARD", "OWN_FORWARD", "RICHARDSON", "STEPS", "At", "Directional"]

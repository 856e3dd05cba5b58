"""Directional derivatives with error bounds: what a gradient written as code is compared with.

Every reference returns an :class:`Estimate`, a value and a bound on its own error, so that a
disagreement is called confirmed only when it exceeds the bounds of both sides (by
:data:`SAFETY`), never when it is the reference's own rounding or truncation.

The derivative is taken of ``phi(t) = <u, f(x + t v)>`` at ``t = 0``: ``u`` the cotangent, ``v``
a random direction scaled entrywise to the point (:func:`direction`: ``|x_j|``, or 1 at 0), so
that a step ``t`` moves every entry by the same relative amount and never across 0.

- :func:`ridders`: central differences at shrinking steps, extrapolated by Ridders' tableau
  (Numerical Recipes' ``dfridr``), whose error estimate is the change between extrapolation
  orders; plus rounding: the noise of ``phi`` (the larger of ``eps`` times the magnitude of the
  terms summed, and ``phi``'s measured change under steps of a few ulps) divided by the step;
- :func:`one_sided`: the same from one side only; two one-sided estimates that disagree are a
  kink along ``v`` (a tie, ``|x|`` at 0), where no gradient is "the" gradient;
- the complex step, forward-mode autograd and reverse-mode autograd (the last two in float64)
  are exact up to rounding; their bound is :data:`EXACT_ULPS` ulps of the terms they sum.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

EPS = float(np.finfo(np.float64).eps)
SAFETY = 4.0
"""A disagreement counts when it exceeds this many times the sum of both sides' bounds."""
EXACT_ULPS = 64
"""The rounding of an exact method (autograd, complex step) in ulps of the terms it sums."""
FIRST_STEP = 2.0 ** -6
"""Ridders' first step (relative to each entry: see :func:`direction`)."""
SHRINK = 2.0
LEVELS = 5
"""Differences extrapolated at most, from the first settled one."""
MAX_LEVELS = 28
"""Steps FIRST_STEP / SHRINK**k, k < MAX_LEVELS: 1.6e-2 down to 1.2e-10 relative."""
GROWTH = 2.0
"""Ridders stops when the error grows by this factor (higher orders no longer help)."""
ROUNDING_GAIN = 8.0
"""The extrapolation's amplification of the noise of each difference."""
NOISE_STEP = 8 * EPS
"""Steps of a few ulps, to measure the noise of ``phi`` (its change there is rounding)."""

Phi = Callable[[float], tuple[float, float]]
"""``phi(t)`` -> (value, magnitude): the scalar at ``x + t v`` and the sum of the absolute
values of the terms it adds up (the scale its rounding is relative to)."""


@dataclass(frozen=True)
class Estimate:
    """A directional derivative: ``value``, a bound on its error, and who computed it."""

    value: float
    bound: float
    name: str

    @property
    def usable(self) -> bool:
        return math.isfinite(self.value) and math.isfinite(self.bound)

    def gap(self, other: "Estimate") -> float:
        return abs(self.value - other.value)

    def allowed(self, other: "Estimate", slack: float = 0.0) -> float:
        """The largest gap to ``other`` that both bounds (and ``slack``) explain."""
        return SAFETY * (self.bound + other.bound + slack)

    def disagrees(self, other: "Estimate", slack: float = 0.0) -> bool:
        return self.gap(other) > self.allowed(other, slack)


def exact(value: float, magnitude: float, name: str) -> Estimate:
    """An exact method's result: ``magnitude`` is the sum of |terms| it added up."""
    return Estimate(value, EXACT_ULPS * EPS * max(magnitude, abs(value)), name)


def direction(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random direction at ``x``: entries ``±U(0.5, 1)`` times ``|x_j|`` (1 where x_j = 0)."""
    scale = np.where(x != 0, np.abs(x), 1.0)
    signs = np.where(rng.random(x.shape) < 0.5, -1.0, 1.0)
    return signs * rng.uniform(0.5, 1.0, x.shape) * scale


def noise(phi: Phi) -> tuple[float, float, float]:
    """(phi(0), its magnitude, the noise of phi): the largest change of ``phi`` over steps of
    a few ulps, where a smooth function barely moves and what is left is rounding."""
    f0, m0 = phi(0.0)
    moves = [abs(phi(t)[0] - f0) for t in (NOISE_STEP, -NOISE_STEP)]
    return f0, m0, max(moves)


def ridders(phi: Phi, first: float = FIRST_STEP, name: str = "Richardson",
            floor: float = 0.0) -> Estimate:
    """Ridders' extrapolated central differences of ``phi`` at 0, with an error bound;
    ``floor``: a noise of ``phi`` known from elsewhere (the rounding of its intermediates)."""
    return _tableau(phi, first, lambda h: _central(phi, h), 2, name, floor)


def one_sided(phi: Phi, side: float, first: float = FIRST_STEP, floor: float = 0.0
              ) -> Estimate:
    """The derivative from one side (``side`` +1 or -1) only: differences
    ``(phi(side h) - phi(0)) / (side h)`` extrapolated (error terms in h, h^2, ...)."""
    f0 = phi(0.0)

    def diff(h):
        f, m = phi(side * h)
        return (f - f0[0]) / (side * h), max(m, f0[1])

    return _tableau(phi, first, diff, 1, "one-sided" + ("+" if side > 0 else "-"), floor)


def _central(phi: Phi, h: float) -> tuple[float, float]:
    (fp, mp), (fm, mm) = phi(h), phi(-h)
    return (fp - fm) / (2 * h), max(mp, mm)


def _tableau(phi: Phi, first: float, diff, order: int, name: str, floor: float = 0.0
             ) -> Estimate:
    """Ridders' tableau over steps ``first / SHRINK**i``, started where the differences have
    settled (their changes shrink as ``SHRINK**order`` per halving, or sit at the noise: a
    function that varies faster than the first steps is not differenced across its wiggles),
    then the entry with the smallest extrapolation error, plus rounding (the noise of ``phi``
    over the step)."""
    _, m0, measured = noise(phi)
    measured = max(measured, floor)
    column = _settled(diff, first, order, lambda h, m: _rounding(m, measured, h))
    if column is None:
        return Estimate(math.nan, math.inf, name)
    (h, d, mag), rest = column[0], column[1:]
    table = [[d]]
    best, err, h_best, biggest = d, math.inf, h, max(mag, m0)
    for i, (h, d, mag) in enumerate(rest, start=1):
        biggest = max(biggest, mag)
        row = [d]
        fac = SHRINK ** order
        for j in range(1, i + 1):
            row.append((row[j - 1] * fac - table[i - 1][j - 1]) / (fac - 1))
            fac *= SHRINK ** order
            e = max(abs(row[j] - row[j - 1]), abs(row[j] - table[i - 1][j - 1]))
            if e <= err:
                best, err, h_best = row[j], e, h
        table.append(row)
        if abs(row[i] - table[i - 1][i - 1]) >= GROWTH * err:
            break
    return Estimate(best, err + _rounding(biggest, measured, h_best), name)


def ridders_rows(values: np.ndarray, mags: np.ndarray, first: float = FIRST_STEP,
                 name: str = "Richardson", floor: float = 0.0) -> list[Estimate | None]:
    """:func:`ridders` of many ``phi`` at once, from tabulated values: row ``r`` of
    ``values``/``mags`` holds ``phi_r`` at ``0, NOISE_STEP, -NOISE_STEP`` then ``+-first /
    SHRINK**j`` (``j = 0, 1, ...``, ``+`` first), as :data:`workbench.code.directional.STEPS`,
    up to as many levels as the rows hold (:data:`~workbench.code.directional.TABLED_STEPS`).
    The same arithmetic in the same order, vectorized over the rows (a batch's points), so the
    estimates are bitwise :func:`ridders`'; None for a row it does not cover (a value that is
    not finite, a tableau that settles only after the levels it holds): evaluate that one
    directly (the steps it holds still serve)."""
    values, mags = np.asarray(values, dtype=np.float64), np.asarray(mags, dtype=np.float64)
    n, levels = values.shape[0], min((values.shape[1] - 3) // 2, MAX_LEVELS)
    if n == 0 or levels < LEVELS:
        return [None] * n
    if n < FEW_ROWS:
        return [_ridders_row(v, m, first, name, floor)
                for v, m in zip(values.tolist(), mags.tolist())]
    with np.errstate(all="ignore"):
        ok = np.isfinite(values).all(axis=1) & np.isfinite(mags).all(axis=1)
        f0, m0 = values[:, 0], mags[:, 0]
        measured = np.maximum(np.maximum(np.abs(values[:, 1] - f0), np.abs(values[:, 2] - f0)),
                              floor)
        hs = first / SHRINK ** np.arange(levels)
        plus, minus = values[:, 3:3 + 2 * levels:2], values[:, 4:4 + 2 * levels:2]
        d = (plus - minus) / (2 * hs)
        mag = np.maximum(mags[:, 3:3 + 2 * levels:2], mags[:, 4:4 + 2 * levels:2])
        ok &= np.isfinite(d).all(axis=1)
        # _settled: the first window of four regular differences
        windows = levels - 3
        m4 = np.maximum(np.maximum(mag[:, :windows], mag[:, 1:windows + 1]),
                        np.maximum(mag[:, 2:windows + 2], mag[:, 3:windows + 3]))
        noise_level = ROUNDING_GAIN * np.maximum(4 * EPS * m4, measured[:, None]) \
            / hs[3:windows + 3]
        c = [d[:, k:windows + k] - d[:, k + 1:windows + k + 1] for k in range(3)]
        flat = (np.abs(c[0]) <= noise_level) & (np.abs(c[1]) <= noise_level) & \
            (np.abs(c[2]) <= noise_level)
        expected = SHRINK ** 2
        shrink = np.ones_like(flat)
        for a, b in ((c[0], c[1]), (c[1], c[2])):
            shrink &= np.abs(a - expected * b) <= 0.3 * expected * np.abs(b) + \
                2 * noise_level * (1 + expected)
        regular = flat | shrink
        found = regular.any(axis=1)
        start = np.argmax(regular, axis=1)
        ok &= found & (start + LEVELS <= levels)
        rows = np.nonzero(ok)[0]
        if rows.size == 0:
            return [None] * n
        cols = start[rows][:, None] + np.arange(LEVELS)
        col_d, col_h, col_m = d[rows[:, None], cols], hs[cols], mag[rows[:, None], cols]
        best, err, h_best, biggest = _tableau_rows(col_d, col_h, col_m, m0[rows])
        meas = measured[rows]
        bound = err + ROUNDING_GAIN * np.maximum(4 * EPS * biggest, meas) / h_best
    out: list[Estimate | None] = [None] * n
    for r, b, e in zip(rows.tolist(), best.tolist(), bound.tolist()):
        out[r] = Estimate(b, e, name)
    return out


def _tableau_rows(col_d: np.ndarray, col_h: np.ndarray, col_m: np.ndarray, m0: np.ndarray):
    """:func:`_tableau`'s extrapolation of many rows of LEVELS settled differences at once:
    ``(best, err, h_best, biggest)`` per row. The tableau is built a column at a time (entry
    ``(i, j)`` from ``(i, j-1)`` and ``(i-1, j-1)`` with the same factor whatever ``i``: the
    same arithmetic as the scalar loop), then walked in the scalar loop's order: an entry is
    taken when its error is at most the smallest so far, and rows after the one where the
    diagonal grows past GROWTH times that error are left out."""
    n, levels = col_d.shape
    order, rows_of, ends = _walk(levels)
    prev, fac, errs, values = col_d, SHRINK ** 2, [], []
    for _ in range(1, levels):       # column j holds the entries (i, j), i = j .. levels-1
        col = (prev[:, 1:] * fac - prev[:, :-1]) / (fac - 1)
        fac *= SHRINK ** 2
        errs.append(np.maximum(np.abs(col - prev[:, 1:]), np.abs(col - prev[:, :-1])))
        values.append(col)
        prev = col
    e = np.concatenate(errs, axis=1)[:, order]          # in the scalar loop's order
    t = np.concatenate(values, axis=1)[:, order]
    # the smallest error before each entry (inf at first; an error that is NaN never counts)
    low = np.fmin.accumulate(np.concatenate([np.full((n, 1), np.inf), e], axis=1), axis=1)
    diag = np.concatenate([col_d[:, :1], t[:, ends - 1]], axis=1)
    grows = np.abs(diag[:, 1:] - diag[:, :-1]) >= GROWTH * low[:, ends]
    grows[:, -1] = True
    last = 1 + np.argmax(grows, axis=1)          # the last row the loop takes
    taken = (e <= low[:, :-1]) & (rows_of[None, :] <= last[:, None])
    pick = np.where(taken.any(axis=1),
                    e.shape[1] - 1 - np.argmax(taken[:, ::-1], axis=1), -1)
    r = np.arange(n)
    found = pick >= 0
    best = np.where(found, t[r, pick], col_d[:, 0])
    err = low[r, ends[last - 1]]
    h_best = np.where(found, col_h[r, rows_of[pick]], col_h[:, 0])
    biggest = np.maximum(np.where(np.arange(levels)[None, :] <= last[:, None], col_m,
                                  -np.inf).max(axis=1), m0)
    return best, err, h_best, biggest


@functools.lru_cache(maxsize=None)
def _walk(levels: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For :func:`_tableau_rows`: where entry ``(i, j)`` of the tableau (``i`` = 1 ..
    levels-1, ``j`` = 1 .. i, the scalar loop's order) sits among the columns laid side by
    side (column j: ``i`` = j .., from offset ``sum of the widths before``), each entry's
    ``i``, and one past the position of each row's last entry ``(i, i)``."""
    offsets = np.cumsum([0] + [levels - j for j in range(1, levels)])
    order = [(i, j) for i in range(1, levels) for j in range(1, i + 1)]
    where = np.array([offsets[j - 1] + i - j for i, j in order])
    rows_of = np.array([i for i, _ in order])
    ends = np.array([order.index((i, i)) + 1 for i in range(1, levels)])
    return where, rows_of, ends


FEW_ROWS = 6
"""Below this many rows, :func:`ridders_rows` runs :func:`ridders` on each (numpy's cost per
call outweighs the arithmetic)."""


class _Missing(Exception):
    pass


def _ridders_row(values: list, mags: list, first: float, name: str, floor: float
                 ) -> Estimate | None:
    steps = [0.0, NOISE_STEP, -NOISE_STEP]
    for j in range((len(values) - 3) // 2):
        steps += [first / SHRINK ** j, -first / SHRINK ** j]
    table = dict(zip(steps, zip(values, mags)))

    def phi(t: float) -> tuple[float, float]:
        if t not in table:
            raise _Missing
        return table[t]
    try:
        return ridders(phi, first, name, floor)
    except _Missing:
        return None


def _rounding(magnitude: float, measured: float, h: float) -> float:
    return ROUNDING_GAIN * max(4 * EPS * magnitude, measured) / h


def _settled(diff, first: float, order: int, rounding) -> list | None:
    """The differences ``(h, D(h), magnitude)`` from the first step at which four in a row
    have settled, LEVELS of them at most after it; None when none settle before
    MAX_LEVELS (or the differences stop being finite)."""
    h, column = first, []
    for _ in range(8):                 # a first step that reaches non-finite values shrinks
        d, mag = diff(h)
        if math.isfinite(d):
            break
        h /= 8
    else:
        return None
    column.append((h, d, mag))
    start = None
    while len(column) < MAX_LEVELS and (start is None or len(column) - start < LEVELS):
        h /= SHRINK
        d, mag = diff(h)
        if not math.isfinite(d):
            break
        column.append((h, d, mag))
        if start is None and len(column) >= 4 and _regular(column[-4:], order, rounding):
            start = len(column) - 4
    return None if start is None else column[start:]


def _regular(four, order: int, rounding) -> bool:
    """Four differences at halving steps behave as truncation error: each change is about
    SHRINK**order times the next, or all are rounding."""
    h, m = four[-1][0], max(x[2] for x in four)
    noise_level = rounding(h, m)
    changes = [a[1] - b[1] for a, b in zip(four, four[1:])]
    if all(abs(c) <= noise_level for c in changes):
        return True
    expected = SHRINK ** order
    return all(abs(a - expected * b) <= 0.3 * expected * abs(b) + 2 * noise_level * (1 + expected)
               for a, b in zip(changes, changes[1:]))


__all__ = ["EPS", "EXACT_ULPS", "Estimate", "Phi", "SAFETY", "direction", "exact", "noise",
           "one_sided", "ridders", "ridders_rows"]

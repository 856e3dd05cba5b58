"""Where to look: values of declared variables, drawn where mistakes hide.

One module owns sampling, for every caller (the numeric search, the exact identity tests, the
pages' tables and figures). A real scalar is drawn across magnitudes, not in a small box:

- ``typical``: uniform in the typical range (``(-4, 4)`` for ``real``, see :func:`typical_range`),
  where formulas are read and figures drawn;
- ``magnitude``: ``±10**u`` with ``u`` uniform, so 1e-6 and 1e9 are as likely as 1 (a kink at
  x = 5 or x = 1e4 is on both sides of some draws);
- ``simple``: 0, ±1, ±2, ±1/2 (a power rule wrong only at 0 shows there);
- landmarks of the expression (kinks, poles, saturation; see :mod:`workbench.expr.landmarks`)
  are added by the caller on top of these.

Matrices have a role: ``plain`` (entries as a scalar's, one magnitude per matrix), ``invertible``
(for ``inv``/``det``: well conditioned, singular values within a factor 100), ``positive-det``
(for ``logdet``) and ``spd`` (declared). Draws come from a seeded :class:`numpy.random.Generator`
(float) or :class:`random.Random` (exact rationals), so every run is reproducible.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import sympy

from workbench.expr.spaces import Domain, Variable

TYPICAL = 4.0
"""Half-width of the typical range of an unbounded real variable."""
SMALLEST_EXPONENT, LARGEST_EXPONENT = -6, 9
"""Magnitudes drawn: ``10**u`` for ``u`` uniform in this range (both signs where allowed)."""
SIMPLE = (0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5)
MIX = {"typical": 0.35, "magnitude": 0.5, "simple": 0.15}
ROLES = ("plain", "invertible", "positive-det", "spd")


def typical_range(domain: Domain) -> tuple[float, float]:
    """The finite range where the variable's typical values lie (figures are drawn on it)."""
    if domain.kind == "interval":
        return domain.low, domain.high
    if domain.kind == "positive":
        return 0.05, TYPICAL
    if domain.kind == "negative":
        return -TYPICAL, -0.05
    if domain.kind == "spd":
        return -1.0, 1.0
    return -TYPICAL, TYPICAL


def describe_mix(domain: Domain) -> str:
    """What :func:`draw_scalars` draws, in words (for reports and the README)."""
    if domain.kind == "interval":
        return (f"uniform in ({domain.low:g}, {domain.high:g}) and down to 1e-9 from either "
                f"end")
    lo, hi = typical_range(domain)
    signs = {"positive": "", "negative": "-", "nonzero": "±"}.get(domain.kind, "±")
    return (f"uniform in ({lo:g}, {hi:g}), {signs}10^u for u uniform in "
            f"[{SMALLEST_EXPONENT}, {LARGEST_EXPONENT}], and simple values")


# ---------------------------------------------------------------- float draws

def draw_scalars(domain: Domain, shape: tuple[int, ...], rng: np.random.Generator,
                 typical: bool = False) -> np.ndarray:
    """Float64 values in ``domain`` (open), mixed as described in the module docstring
    (``typical``: from the typical range only, as a diagnosis or a figure wants)."""
    n = int(np.prod(shape, dtype=np.int64))
    if domain.kind == "interval":
        return _interval(domain, n, rng).reshape(shape)
    mix = [1.0, 0.0, 0.0] if typical else [MIX["typical"], MIX["magnitude"], MIX["simple"]]
    kind = rng.choice(3, size=n, p=mix)
    lo, hi = typical_range(domain)
    typical = rng.uniform(lo, hi, n)
    magnitude = 10.0 ** rng.uniform(SMALLEST_EXPONENT, LARGEST_EXPONENT, n)
    simple = rng.choice(np.array(SIMPLE), n)
    out = np.where(kind == 0, typical, np.where(kind == 1, magnitude, simple))
    sign = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    if domain.kind == "positive":
        out = np.abs(out)
    elif domain.kind == "negative":
        out = -np.abs(out)
    else:
        out = np.where(kind == 1, sign * out, out)
    if domain.kind in ("positive", "negative", "nonzero"):
        zero = out == 0
        out[zero] = (1.0 if domain.kind != "negative" else -1.0) * 10.0 ** rng.uniform(
            SMALLEST_EXPONENT, 0, int(zero.sum()))
    return out.reshape(shape)


def _interval(domain: Domain, n: int, rng: np.random.Generator) -> np.ndarray:
    """Uniform inside, plus draws 1e-9 .. 1e-1 of the width from either end."""
    a, b = domain.low, domain.high
    width = b - a
    near = width * 10.0 ** rng.uniform(-9, -1, n)
    out = np.where(rng.random(n) < 0.6, rng.uniform(a, b, n),
                   np.where(rng.random(n) < 0.5, a + near, b - near))
    return np.clip(out, np.nextafter(a, b), np.nextafter(b, a))


def draw_matrices(domain: Domain, role: str, count: int, rows: int, cols: int,
                  rng: np.random.Generator, typical: bool = False) -> np.ndarray:
    """``(count, rows, cols)`` float64 matrices for ``role`` (see module docstring);
    ``typical``: entries of one ordinary magnitude."""
    if role == "spd" or domain.kind == "spd":
        m = rng.normal(size=(count, rows, rows))
        scale = 10.0 ** rng.uniform(-2, 2, (count, 1, 1))
        return scale * (m @ m.transpose(0, 2, 1) / rows + 0.5 * np.eye(rows))
    if role in ("invertible", "positive-det"):
        q1, _ = np.linalg.qr(rng.normal(size=(count, rows, rows)))
        q2, _ = np.linalg.qr(rng.normal(size=(count, rows, rows)))
        s = 10.0 ** rng.uniform(-1, 1, (count, rows))
        scale = 10.0 ** rng.uniform(-2, 2, (count, 1, 1))
        m = scale * (q1 * s[:, None, :]) @ q2
        if role == "positive-det":
            flip = np.linalg.det(m) < 0
            m[flip, :, 0] *= -1
        return m
    entries = draw_scalars(domain, (count, rows, cols), rng, typical)
    if domain.kind in ("real", "nonzero") and not typical:
        # one magnitude per matrix: mixing 1e-6 and 1e9 in one matrix mostly tests rounding
        typical = rng.uniform(-TYPICAL, TYPICAL, (count, rows, cols))
        scale = np.where(rng.random((count, 1, 1)) < 0.5, 1.0,
                         10.0 ** rng.uniform(-3, 3, (count, 1, 1)))
        entries = np.where(rng.random((count, 1, 1)) < 0.8, typical * scale, entries)
        if domain.kind == "nonzero":
            entries[entries == 0] = 1.0
    return entries


def condition(raw: np.ndarray, role: str) -> np.ndarray:
    """Map raw draws (Hypothesis shrinks them towards 0) to valid ones for ``role``:
    ``spd``: ``M Mᵀ/r + I/2``; ``invertible``/``positive-det``: ``M + (1 + max row sum) I``,
    strictly diagonally dominant with a positive diagonal, hence invertible with det > 0."""
    if role == "plain":
        return raw
    r = raw.shape[-1]
    eye = np.eye(r)
    if role == "spd":
        return raw @ np.swapaxes(raw, -1, -2) / r + 0.5 * eye
    shift = 1.0 + np.abs(raw).sum(-1).max(-1)
    return raw + shift[..., None, None] * eye


# ---------------------------------------------------------------- exact draws

def rational_scalar(domain: Domain, rng: random.Random) -> sympy.Rational:
    """An exact rational in ``domain``: the same mix as :func:`draw_scalars` (never 0)."""
    if domain.kind == "interval":
        a, b = sympy.Rational(domain.low), sympy.Rational(domain.high)
        t = sympy.Rational(rng.randint(1, 10**6 - 1), 10**6)
        return a + (b - a) * t
    lo, hi = typical_range(domain)
    pick = rng.random()
    if pick < MIX["typical"]:
        value = sympy.Rational(round(rng.uniform(lo, hi) * 9973), 9973)
    else:
        exponent = rng.randint(SMALLEST_EXPONENT, LARGEST_EXPONENT)
        mantissa = sympy.Rational(rng.randint(1000, 9999), 1000)
        value = mantissa * sympy.Rational(10) ** exponent
        if domain.kind in ("real", "nonzero", "spd") and rng.random() < 0.5:
            value = -value
        if domain.kind == "negative":
            value = -value
    if value == 0:
        value = sympy.Rational(1, 7) if domain.kind != "negative" else sympy.Rational(-1, 7)
    return value


def rational_matrix(domain: Domain, role: str, rows: int, cols: int,
                    rng: random.Random) -> sympy.ImmutableMatrix:
    """An exact rational matrix valid for ``role`` (invertible ones checked exactly)."""
    def entry(i, j):
        return sympy.Rational(rng.randint(-99, 99), rng.randint(1, 9))
    if domain.kind not in ("real", "spd", "nonzero") and role == "plain":
        return sympy.ImmutableMatrix(rows, cols, lambda i, j: rational_scalar(domain, rng))
    m = sympy.ImmutableMatrix(rows, cols, entry)
    if role == "spd" or domain.kind == "spd":
        return sympy.ImmutableMatrix(m * m.T / rows + sympy.eye(rows) / 2)
    if role in ("invertible", "positive-det"):
        shift = 1 + max(sum(abs(x) for x in m.row(i)) for i in range(rows))
        return sympy.ImmutableMatrix(m + shift * sympy.eye(rows))
    if domain.kind == "nonzero":
        m = m.applyfunc(lambda x: x if x != 0 else sympy.Integer(1))
    return m


@dataclass(frozen=True)
class ExactPoint:
    """Exact values: a Rational per scalar, an ImmutableMatrix of Rationals per matrix."""

    values: Mapping[str, object]
    sizes: Mapping[str, int]


def rational_point(variables: Sequence[Variable], sizes: Mapping[str, int],
                   roles: Mapping[str, str], rng: random.Random) -> ExactPoint:
    """One exact point for ``variables`` at ``sizes`` (matrices by their role)."""
    values = {}
    for v in variables:
        if v.is_matrix:
            rows, cols = v.concrete_shape(dict(sizes))
            values[v.name] = rational_matrix(v.domain, roles.get(v.name, "plain"), rows, cols,
                                             rng)
        else:
            values[v.name] = rational_scalar(v.domain, rng)
    return ExactPoint(values, dict(sizes))


def in_domain(domain: Domain, x):
    """True where ``x`` (a float or an array) lies in ``domain`` (open bounds; ``nonzero``
    excludes 0)."""
    x = np.asarray(x, dtype=np.float64)
    ok = np.isfinite(x) & (domain.low < x) & (x < domain.high)
    if domain.kind == "nonzero":
        ok &= x != 0
    return bool(ok) if ok.ndim == 0 else ok


__all__ = ["ExactPoint", "ROLES", "TYPICAL", "condition", "describe_mix", "draw_matrices",
           "draw_scalars", "in_domain", "rational_matrix", "rational_point", "rational_scalar",
           "typical_range"]

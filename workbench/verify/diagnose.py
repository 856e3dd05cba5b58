"""What is wrong with a hand gradient: sign, constant factor (a missing 1/n?), transpose or
shape, which component, or only part of the domain.

Works on samples: for each of a few explicit sizes, the hand and true gradients at many valid
points (float64 numpy arrays with a leading batch dimension; torch searches convert theirs).
A "right on part of the domain" seen in float is asked of ``really_right`` (high precision)
before it is said: a hand wrong by less than float tolerance there is wrong everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Mapping, Sequence

import numpy as np

from workbench.expr.spaces import Variable
from workbench.oracles.tolerances import Tolerance


@dataclass
class Sample:
    """Hand and true gradients at ``point`` (all with a leading batch dimension N)."""

    sizes: Mapping[str, int]
    point: Mapping[str, np.ndarray]
    hand: Mapping[str, np.ndarray]
    true: Mapping[str, np.ndarray]


class Said(str):
    """A sentence of the diagnosis, with the kind of mistake it names (``sign``, ``factor``,
    ``missing-1/n``, ``transpose``, ``wrong-component``, ``part-of-domain``, ``tiny``), so
    that a caller counts mistakes (``workbench grade``) without reading the English back."""

    kind: str

    def __new__(cls, text: str, kind: str) -> "Said":
        out = super().__new__(cls, text)
        out.kind = kind
        return out

    def __reduce__(self):
        return Said, (str(self), self.kind)


def diagnose(samples: Sequence[Sample], variables: Sequence[Variable], wrt: Sequence[str],
             tol: Tolerance, marks: Mapping[str, Sequence[float]] | None = None,
             really_right: Callable[[str, dict, dict], bool | None] | None = None,
             noun: str = "gradient") -> list[Said]:
    """Sentences naming the mistakes found (empty when the samples agree). ``marks``: the
    landmarks of each scalar variable (kinks ...), where a wrong part of the domain starts.
    ``really_right(name, point, sizes)``: True/False when high precision can tell whether the
    hand's d/d``name`` is right at a point where float says so (None: cannot tell).
    ``noun``: what the true value is called (a reduced Jacobian check says "Jacobian")."""
    out: list[str] = []
    table = {v.name: v for v in variables}
    wrong = [n for n in wrt if any(not bool(tol.close(s.hand[n], s.true[n]).all())
                                   for s in samples)]
    if not wrong:
        return out
    right = [n for n in wrt if n not in wrong]
    if right:
        out.append(Said(f"wrong component: d/d{', d/d'.join(wrong)} wrong; "
                        f"d/d{', d/d'.join(right)} right", "wrong-component"))
    for name in wrong:
        out.extend(_diagnose_variable(samples, name, table, tol, marks or {}, really_right,
                                      noun))
    return out


def _diagnose_variable(samples, name, table, tol, marks, really_right, noun) -> list[str]:
    label = f"d/d{name}"
    if all(bool(tol.close(s.hand[name], -s.true[name]).all()) for s in samples):
        return [Said(f"{label}: sign error: hand = -(true {noun})", "sign")]
    v = table[name]
    if v.is_matrix and all(s.hand[name].shape[-1] == s.hand[name].shape[-2] for s in samples) \
            and all(bool(tol.close(s.hand[name], np.swapaxes(s.true[name], -1, -2)).all())
                    for s in samples):
        return [Said(f"{label}: transposed: hand = (true {noun})^T", "transpose")]
    factor = _constant_factor(samples, name, min(1e-6, 100 * tol.rtol), noun)
    if factor is not None:
        return [Said(f"{label}: constant factor: {factor}", factor.kind)]
    found = []
    if v.is_matrix:
        found.extend(_wrong_entries(samples, name, tol))
    found.extend(_part_of_domain(samples, name, table, tol, marks, really_right))
    return found


def _ratios(s: Sample, name: str) -> np.ndarray:
    h, t = s.hand[name].reshape(-1), s.true[name].reshape(-1)
    keep = (abs(t) > 1e-6) & np.isfinite(h) & np.isfinite(t)
    return h[keep] / t[keep]


def _constant_factor(samples, name, spread: float = 1e-6, noun: str = "gradient"
                     ) -> Said | None:
    """The factor when hand / true is one constant at every point (to ``spread`` relative:
    float noise; values computed in high precision allow far less). Equalities of factors
    and sizes hold to ``spread / 1000``."""
    tiny = spread / 1000
    per_size = []
    for s in samples:
        r = _ratios(s, name)
        if r.size < 2:
            return None
        c = float(np.median(r))
        if c == 0 or float(abs(r - c).max()) > spread * abs(c) or abs(c - 1) < tiny:
            return None
        per_size.append((c, s.sizes))
    for dim in per_size[0][1]:
        if all(abs(c - sz[dim]) < tiny * sz[dim] for c, sz in per_size) and \
                len({sz[dim] for _, sz in per_size}) > 1:
            return Said(f"hand = {dim} x true {noun}: a missing 1/{dim}?", "missing-1/n")
        if all(abs(c * sz[dim] - 1) < tiny for c, sz in per_size) and \
                len({sz[dim] for _, sz in per_size}) > 1:
            return Said(f"hand = true {noun} / {dim}: a spurious 1/{dim}?", "factor")
    cs = [c for c, _ in per_size]
    if max(cs) - min(cs) > tiny * max(abs(c) for c in cs):
        return None
    frac = Fraction(cs[0]).limit_denominator(1000)
    if abs(float(frac) - cs[0]) > tiny * abs(cs[0]):
        return Said(f"hand = {_shown(cs[0], tiny)} x true {noun}", "factor")
    shown = str(frac)
    if frac == -1:
        return Said(f"hand = -(true {noun}): a sign error", "sign")
    hint = (f"a missing factor {1 / frac}?" if abs(frac) < 1 else f"a spurious factor {shown}?")
    return Said(f"hand = {shown} x true {noun}: {hint}", "factor")


def _shown(c: float, tiny: float) -> str:
    """``c`` in as few significant digits (12 at least) as show it to ``tiny`` relative."""
    for digits in (12, 15):
        text = f"{c:.{digits}g}"
        if abs(float(text) - c) <= 10 * tiny * abs(c):
            return text
    return f"{c:.17g}"


def _wrong_entries(samples, name, tol) -> list[str]:
    s = samples[0]
    bad = ~tol.close(s.hand[name], s.true[name])          # (N, r, c)
    per_entry = bad.any(0)
    if bool(per_entry.all()):
        return []
    idx = [tuple(int(i) for i in ix) for ix in np.argwhere(per_entry)]
    shown = ", ".join(str(list(i)) for i in idx[:6]) + (" ..." if len(idx) > 6 else "")
    return [Said(f"d/d{name}: wrong component: only entries {shown} of {per_entry.size} are "
                 f"wrong (at sizes {dict(s.sizes)})", "wrong-component")]


def _part_of_domain(samples, name, table, tol, marks, really_right) -> list[str]:
    s = samples[0]
    bad = ~tol.close(s.hand[name], s.true[name])
    bad_pt = bad.reshape(bad.shape[0], -1).any(1)
    n_bad, n = int(bad_pt.sum()), bad_pt.size
    if n_bad == 0 or n_bad == n:
        return []
    hidden = _hidden(s, name, bad_pt, really_right)
    if hidden is not None:
        where = ", ".join(f"{k}={_number(v)}" for k, v in hidden.items())
        return [Said(f"d/d{name}: wrong everywhere, though {n - n_bad}/{n} points agree within "
                     f"float tolerance: the error there is below it (e.g. at {where}, confirmed "
                     f"in high precision)", "tiny")]
    for v in table.values():
        if v.name not in s.point:
            continue
        coords = s.point[v.name].reshape(n, -1)
        for j in range(coords.shape[1]):
            split = _threshold(coords[:, j], bad_pt, marks.get(v.name, ()))
            if split is not None:
                entry = v.name if coords.shape[1] == 1 else f"{v.name}[{j}]"
                op, other = split[0], {"<": ">", ">": "<"}[split[0]]
                return [Said(f"d/d{name}: wrong only on part of the domain: where {entry} {op} "
                             f"{split[1]:g} (right where {entry} {other} {split[1]:g}); "
                             f"{n_bad}/{n} points wrong", "part-of-domain")]
    return [Said(f"d/d{name}: wrong at {n_bad}/{n} points only", "part-of-domain")]


def _hidden(s: Sample, name: str, bad_pt: np.ndarray, really_right, tries: int = 3):
    """A point that passes in float64 but where high precision shows the hand wrong; None
    when the points tried are right (or no ``really_right`` was given)."""
    if really_right is None:
        return None
    good = np.flatnonzero(~bad_pt)
    for i in good[np.linspace(0, len(good) - 1, min(tries, len(good))).astype(int)]:
        point = {k: a[i] for k, a in s.point.items()}
        if really_right(name, point, dict(s.sizes)) is False:
            return point
    return None


def _number(a) -> str:
    return f"{float(a):.6g}" if np.ndim(a) == 0 else "[...]"


def _threshold(x: np.ndarray, bad: np.ndarray, marks: Sequence[float] = ()):
    """('<', t) when the bad points are exactly those with x < t (or '>'), else None; ``t`` is
    a landmark (or 0) when one lies between the last bad and the first good point."""
    order = np.argsort(x, kind="stable")
    xs, bs = x[order], bad[order]
    for op, labels in (("<", bs), (">", bs[::-1])):
        k = int(labels.sum())
        if bool(labels[:k].all()):
            values = xs if op == "<" else xs[::-1]
            if k == 0 or k == len(values):
                return None
            lo, hi = float(values[k - 1]), float(values[k])
            between = [m for m in (*marks, 0.0) if min(lo, hi) <= m <= max(lo, hi)]
            t = between[0] if between else float(f"{(lo + hi) / 2:.3g}")
            return op, t
    return None

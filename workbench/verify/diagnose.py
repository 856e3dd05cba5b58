"""What is wrong with a hand gradient: sign, constant factor (a missing 1/n?), transpose or
shape, which component, or only part of the domain.

Works on samples: for each of a few explicit sizes, the hand and true gradients at many valid
points (tensors with a leading batch dimension).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping, Sequence

import torch

from workbench.expr.spaces import Variable
from workbench.oracles.tolerances import Tolerance


@dataclass
class Sample:
    """Hand and true gradients at ``point`` (all with a leading batch dimension N)."""

    sizes: Mapping[str, int]
    point: Mapping[str, torch.Tensor]
    hand: Mapping[str, torch.Tensor]
    true: Mapping[str, torch.Tensor]


def diagnose(samples: Sequence[Sample], variables: Sequence[Variable], wrt: Sequence[str],
             tol: Tolerance, marks: Mapping[str, Sequence[float]] | None = None) -> list[str]:
    """Sentences naming the mistakes found (empty when the samples agree). ``marks``: the
    landmarks of each scalar variable (kinks ...), where a wrong part of the domain starts."""
    out: list[str] = []
    table = {v.name: v for v in variables}
    wrong = [n for n in wrt if any(not bool(tol.close(s.hand[n], s.true[n]).all())
                                   for s in samples)]
    if not wrong:
        return out
    right = [n for n in wrt if n not in wrong]
    if right:
        out.append(f"wrong component: d/d{', d/d'.join(wrong)} wrong; "
                   f"d/d{', d/d'.join(right)} right")
    for name in wrong:
        out.extend(_diagnose_variable(samples, name, table, tol, marks or {}))
    return out


def _diagnose_variable(samples, name, table, tol, marks) -> list[str]:
    label = f"d/d{name}"
    if all(bool(tol.close(s.hand[name], -s.true[name]).all()) for s in samples):
        return [f"{label}: sign error: hand = -(true gradient)"]
    v = table[name]
    if v.is_matrix and all(s.hand[name].shape[-1] == s.hand[name].shape[-2] for s in samples) \
            and all(bool(tol.close(s.hand[name], s.true[name].transpose(-1, -2)).all())
                    for s in samples):
        return [f"{label}: transposed: hand = (true gradient)^T"]
    factor = _constant_factor(samples, name)
    if factor is not None:
        return [f"{label}: constant factor: {factor}"]
    found = []
    if v.is_matrix:
        found.extend(_wrong_entries(samples, name, tol))
    found.extend(_part_of_domain(samples, name, table, tol, marks))
    return found


def _ratios(s: Sample, name: str) -> torch.Tensor:
    h, t = s.hand[name].reshape(-1), s.true[name].reshape(-1)
    keep = (t.abs() > 1e-6) & torch.isfinite(h) & torch.isfinite(t)
    return h[keep] / t[keep]


def _constant_factor(samples, name) -> str | None:
    per_size = []
    for s in samples:
        r = _ratios(s, name)
        if r.numel() < 2:
            return None
        c = float(r.median())
        if c == 0 or float((r - c).abs().max()) > 1e-6 * abs(c) or abs(c - 1) < 1e-9:
            return None
        per_size.append((c, s.sizes))
    for dim in per_size[0][1]:
        if all(abs(c - sz[dim]) < 1e-9 * sz[dim] for c, sz in per_size) and \
                len({sz[dim] for _, sz in per_size}) > 1:
            return f"hand = {dim} x true gradient: a missing 1/{dim}?"
        if all(abs(c * sz[dim] - 1) < 1e-9 for c, sz in per_size) and \
                len({sz[dim] for _, sz in per_size}) > 1:
            return f"hand = true gradient / {dim}: a spurious 1/{dim}?"
    cs = [c for c, _ in per_size]
    if max(cs) - min(cs) > 1e-9 * max(abs(c) for c in cs):
        return None
    frac = Fraction(cs[0]).limit_denominator(1000)
    if abs(float(frac) - cs[0]) > 1e-9 * abs(cs[0]):
        return f"hand = {cs[0]:.12g} x true gradient"
    shown = str(frac)
    if frac == -1:
        return "hand = -(true gradient): a sign error"
    hint = (f"a missing factor {1 / frac}?" if abs(frac) < 1 else f"a spurious factor {shown}?")
    return f"hand = {shown} x true gradient: {hint}"


def _wrong_entries(samples, name, tol) -> list[str]:
    s = samples[0]
    bad = ~tol.close(s.hand[name], s.true[name])          # (N, r, c)
    per_entry = bad.any(0)
    if bool(per_entry.all()):
        return []
    idx = [tuple(int(i) for i in ix) for ix in per_entry.nonzero()]
    shown = ", ".join(str(list(i)) for i in idx[:6]) + (" ..." if len(idx) > 6 else "")
    return [f"d/d{name}: wrong component: only entries {shown} of {per_entry.numel()} are wrong "
            f"(at sizes {dict(s.sizes)})"]


def _part_of_domain(samples, name, table, tol, marks) -> list[str]:
    s = samples[0]
    bad = ~tol.close(s.hand[name], s.true[name])
    bad_pt = bad.reshape(bad.shape[0], -1).any(1)
    n_bad = int(bad_pt.sum())
    if n_bad == 0 or n_bad == bad_pt.numel():
        return []
    for v in table.values():
        if v.name not in s.point:
            continue
        coords = s.point[v.name].reshape(bad_pt.numel(), -1)
        for j in range(coords.shape[1]):
            split = _threshold(coords[:, j], bad_pt, marks.get(v.name, ()))
            if split is not None:
                entry = v.name if coords.shape[1] == 1 else f"{v.name}[{j}]"
                op, other = split[0], {"<": ">", ">": "<"}[split[0]]
                return [f"d/d{name}: wrong only on part of the domain: where {entry} {op} "
                        f"{split[1]:g} (right where {entry} {other} {split[1]:g}); "
                        f"{n_bad}/{bad_pt.numel()} points wrong"]
    return [f"d/d{name}: wrong at {n_bad}/{bad_pt.numel()} points only"]


def _threshold(x: torch.Tensor, bad: torch.Tensor, marks: Sequence[float] = ()):
    """('<', t) when the bad points are exactly those with x < t (or '>'), else None; ``t`` is
    a landmark (or 0) when one lies between the last bad and the first good point."""
    order = torch.argsort(x)
    xs, bs = x[order], bad[order]
    for op, labels in (("<", bs), (">", bs.flip(0))):
        k = int(labels.sum())
        if bool(labels[:k].all()):
            values = xs if op == "<" else xs.flip(0)
            if k == 0 or k == len(values):
                return None
            lo, hi = float(values[k - 1]), float(values[k])
            between = [m for m in (*marks, 0.0) if min(lo, hi) <= m <= max(lo, hi)]
            t = between[0] if between else float(f"{(lo + hi) / 2:.3g}")
            return op, t
    return None

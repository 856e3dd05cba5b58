"""What is wrong with a gradient written as code, per input, in words one can act on.

On top of :func:`workbench.verify.diagnose.diagnose` (sign, transpose, constant factor, a
factor of a size such as the batch, wrong entries, part of the domain), code has mistakes of
its own: an input or parameter with no gradient at all (a forgotten bias), a gradient right for
a batch of one and wrong for larger batches, and an error too small for finite differences.
Samples are seeded points at several sizes of each varying dimension.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from workbench.verify.diagnose import Sample, diagnose

POINTS_PER_SIZE = 4
SIZES = (2, 3, 4)
"""Sizes of each varying dimension in the diagnosis (size 1 is examined on its own: a sum and a
mean agree there)."""
SMALL_ERROR = 1e-5
BATCH_GUESS = "gradient depends on the batch"
"""The words of the guess made from sizes where a gradient is right (one row) and wrong."""
"""A relative error below this is invisible to float64 finite differences (their tolerance)."""


@dataclass(frozen=True)
class _Input:
    """What :func:`diagnose` needs of a variable."""

    name: str
    is_matrix: bool


def _samples(checker, sizes, seed: int) -> Sample | None:
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(POINTS_PER_SIZE):
        case = checker.seeded(sizes, rng)
        pair = None if case is None else checker.pair(case)
        if pair is None or isinstance(pair, str):
            return None
        point, got, true = pair
        if any(g is not None and g.shape != point[k].shape for k, g in got.items()):
            return None
        rows.append((point, {k: torch.zeros_like(true[k]) if g is None else g
                             for k, g in got.items()}, true))
    stack = lambda i, keys: {k: torch.stack([r[i][k] for r in rows]).detach().cpu().double()
                             .numpy() for k in keys}
    wrt = checker.code.wrt
    return Sample(dict(sizes), stack(0, [s.name for s in checker.code.plan.slots
                                         if s.name in rows[0][0]]),
                  stack(1, wrt), stack(2, wrt))


def _bad(sample: Sample, name: str, tol) -> bool:
    return not bool(tol.close(sample.hand[name], sample.true[name]).all())


def diagnose_code(checker, case) -> list[str]:
    """Sentences naming the mistakes, input by input (empty when none is recognised)."""
    code, tol = checker.code, checker.tolerance(0)
    plan = code.plan
    out: list[str] = []
    if checker.shapes:
        return [checker.shapes[0].sentence()]
    base = plan.example_sizes()
    configs = [base] if not plan.varying else \
        [{**base, **{g: n for g in plan.varying}} for n in SIZES]
    samples = [s for k, c in enumerate(configs) if (s := _samples(checker, c, 100 + k))]
    # one varying dimension at 1, the others at 2: which dimension the mistake needs
    ones = {g: _samples(checker, {**base, **{h: 1 if h == g else SIZES[0]
                                             for h in plan.varying}}, 90 + k)
            for k, g in enumerate(plan.varying)}
    if not samples:
        return out
    wrong = [n for n in code.wrt if any(_bad(s, n, tol) for s in samples)]
    for name in wrong:
        if name in checker.missing and all(bool((s.hand[name] == 0).all()) for s in samples):
            kind = "parameter" if plan.by_name()[name].position is None else "input"
            out.append(f"d/d{name}: no gradient (None) for this {kind}, whose true gradient is "
                       f"not zero: a forgotten gradient (a backward returning None, a bias "
                       f"left out)?")
    rest = [n for n in code.wrt if n not in checker.missing or n not in wrong]
    inputs = [_Input(s.name, len(s.shape) >= 2) for s in plan.slots]
    found = diagnose(samples, inputs, rest, tol)
    out.extend(_reduction_hint(x, plan) for x in found)
    for name in wrong:
        if name in checker.missing:
            continue
        needed = [g for g, one in ones.items() if one is not None and not _bad(one, name, tol)]
        if needed and not any(x.startswith(f"d/d{name}: ") for x in found):
            out.append(f"d/d{name}: right when {needed[0]} = 1, wrong when larger: the "
                       f"{BATCH_GUESS} (samples mixed, a reduction over the wrong axis?)")
        rel = max(_rel_error(s, name) for s in samples)
        if rel < SMALL_ERROR:
            out.append(f"d/d{name}: off by {rel:.2g} relative only, which float64 finite "
                       f"differences cannot see (caught by {checker.refs[0].name}): a rounded "
                       f"constant, float32 arithmetic inside?")
    return out


def _rel_error(s: Sample, name: str) -> float:
    h, t = s.hand[name], s.true[name]
    scale = np.maximum(abs(h), abs(t)).max()
    return float(abs(h - t).max() / scale) if float(scale) > 0 else 0.0


def _reduction_hint(sentence: str, plan) -> str:
    """A factor equal to a size is a sum where the loss takes the mean, or the reverse."""
    for g in plan.groups:
        if f"hand = {g} x true" in sentence:
            return f"{sentence} (the gradient sums over {g} where the loss takes the mean: " \
                   f"wrong reduction)"
        if f"true gradient / {g}" in sentence:
            return f"{sentence} (the gradient takes the mean over {g} where the loss sums: " \
                   f"wrong reduction)"
    return sentence


__all__ = ["diagnose_code"]

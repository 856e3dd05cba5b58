"""The contract of a backward, checked at the example: each promise a named check, so that a
failure says which one broke (as ChainRulesTestUtils' ``test_rrule`` does).

- ``grad_output``: the gradient scales with the incoming cotangent (a backward that ignores
  ``grad_output`` is right only for a cotangent of 1, which is all a scalar loss ever sees in
  ``gradcheck``);
- ``non-contiguous``: the same gradient for non-contiguous inputs and cotangents;
- ``deterministic``: two runs give the same gradient (up to ``nondet_tol``, or rounding);
- ``accumulation``: two backward calls leave twice the gradient in ``.grad``, of the input's
  dtype (torch code: autograd.Functions and modules; the first of the two is also the second
  run the determinism promise compares).

:func:`breaches` returns one sentence per broken promise, and adds to the checker's notes what
is worth knowing but not wrong (a backward that is not bitwise deterministic within rounding).
"""

from __future__ import annotations

import torch

from workbench.code.estimate import EPS, EXACT_ULPS
from workbench.code.subject import COTANGENT

ROUNDING = EXACT_ULPS * EPS
"""Two runs of one float64 backward agree to this relative share of the gradient's size."""
CONTRACT_RTOL = 1e-8
"""A broken promise (a gradient that ignores grad_output, reads memory wrongly, is
overwritten) is wrong by the gradient's own size; a backward that computes through log(g)
(logcumsumexp's) rounds differently for 2g, by far less than this share."""


def breaches(checker, example) -> list[str]:
    """The broken promises of the code under ``checker`` at its ``example`` case."""
    code = checker.code
    point = checker.point(example)
    try:
        base = _grads(code, point, checker.example_grad)
    except Exception:    # noqa: BLE001 - the search reports code that fails
        return []
    if not all(bool(torch.isfinite(g).all()) for g in base.values()):
        checker.notes.append("the backward's contract not checked: its gradient at the "
                             "example is not finite")
        return []
    twice, refused = None, None
    if code.kind != "hand":     # its first backward is also the second run compared with base
        try:
            twice = code.backward_twice(point)
        except Exception as exc:   # noqa: BLE001 - torch refusing to accumulate (ZeroTensor)
            refused = (f"accumulation into .grad not checked: torch raised "
                       f"{type(exc).__name__} on a second backward")
    again = _grads(code, point) if twice is None else _grads(code, point, twice[0])
    gap = _gap(again, base)
    tol = checker.settings.nondet_tol
    if tol is not None and gap > tol or tol is None and gap > ROUNDING * _size(base):
        return [f"the backward is not deterministic: two runs at the same point differ by "
                f"{gap:.3g}" + (f" (nondet_tol {tol:g})" if tol is not None else "")]
    if gap > 0:
        checker.notes.append(f"the backward is not bitwise deterministic (two runs differ "
                             f"by {gap:.2g}, within rounding)")
    out = []
    cot = [k for k in point if k.startswith(COTANGENT.format(""))]
    scaled = bool(cot) and any(g.abs().max() > 0 for g in base.values() if g.numel())
    strided = _noncontiguous(point)
    if scaled and strided is not None and _both_kept(code, point, cot, base):
        scaled = strided = None     # doubled grad_output, every tensor strided: one run
    if scaled:
        doubled = _grads(code, {**point, **{k: 2 * point[k] for k in cot}})
        if _close(doubled, base):
            out.append("the backward ignores grad_output: its gradient does not change when "
                       "the incoming gradient doubles (it computes the gradient for "
                       "grad_output = 1)")
        elif not _close(doubled, {k: 2 * g for k, g in base.items()}):
            out.append("the backward is not linear in grad_output: doubling the incoming "
                       "gradient does not double the gradient")
    if strided is not None:
        try:
            other = _grads(code, strided)
        except Exception as exc:   # noqa: BLE001 - refusing strided tensors is not wrong
            checker.notes.append(f"the code fails on non-contiguous inputs "
                                 f"({type(exc).__name__}): not checked there")
        else:
            if not _close(other, base) and _forward_moves(code, point, strided):
                checker.notes.append("the forward itself changes when the inputs are "
                                     "non-contiguous (it reads memory by strides of its "
                                     "own, as as_strided does): the gradient for such "
                                     "inputs is not compared with the contiguous one")
            elif not _close(other, base):
                out.append("the gradient is wrong for non-contiguous inputs or grad_output "
                           "(memory read as if contiguous: a .view or raw data access?)")
    if refused is not None:
        checker.notes.append(refused)
    if twice is not None:
        out += _accumulation(point, base, twice[1])
    return out


def _grads(code, point, got=None) -> dict[str, torch.Tensor]:
    """The subject's gradients at ``point`` (``got``: as the search already computed them
    there), zeros for None."""
    got = code.subject(point) if got is None else got
    return {k: torch.zeros_like(point[k], dtype=torch.float64) if g is None else g.double()
            for k, g in got.items()}


def _size(grads) -> float:
    return max((float(g.abs().max()) for g in grads.values() if g.numel()), default=0.0)


def _gap(a, b) -> float:
    return max((float((a[k] - b[k]).abs().max()) for k in b if b[k].numel()), default=0.0)


def _close(a, b) -> bool:
    return _gap(a, b) <= CONTRACT_RTOL * max(_size(a), _size(b))


def _both_kept(code, point, cot, base) -> bool:
    """Doubled cotangents and every tensor non-contiguous at once give twice the gradient:
    both promises kept in one run (otherwise each is run alone, to name the broken one)."""
    both = _noncontiguous({**point, **{k: 2 * point[k] for k in cot}})
    try:
        got = _grads(code, both)
    except Exception:    # noqa: BLE001 - then each run alone says why
        return False
    return _close(got, {k: 2 * g for k, g in base.items()})


def _forward_moves(code, point, strided) -> bool:
    """Whether the code's outputs differ between ``point`` and its non-contiguous copy: a
    function of the memory layout (as_strided), not only of the values."""
    try:
        with torch.no_grad():
            a, b = code.call(point), code.call(strided)
    except Exception:    # noqa: BLE001 - then the gradient's difference stands
        return False
    if len(a) != len(b) or any(x.shape != y.shape for x, y in zip(a, b)):
        return True
    return not _close({i: x.detach().double() for i, x in enumerate(a)},
                      {i: y.detach().double() for i, y in enumerate(b)})


def _noncontiguous(point) -> dict[str, torch.Tensor] | None:
    """The same values with every tensor of 2+ entries laid out with a stride of 2."""
    out, changed = {}, False
    for k, t in point.items():
        if t.numel() >= 2 and t.dim() >= 1:
            wide = torch.zeros(*t.shape, 2, dtype=t.dtype, device=t.device)
            wide[..., 0] = t
            out[k] = wide[..., 0]
            changed = True
        else:
            out[k] = t
    return out if changed else None


def _accumulation(point, base, grads) -> list[str]:
    """What two backward calls left in ``.grad`` (``grads``, :meth:`Code.backward_twice`),
    against twice the gradient ``base``."""
    out = []
    for k, g in grads.items():
        if g is None:
            continue
        if g.dtype != point[k].dtype:
            out.append(f"d/d{k}: .grad has dtype {g.dtype}, the input {point[k].dtype}")
        elif not _close({k: g.double()}, {k: 2 * base[k]}):
            out.append(f"d/d{k}: two backward calls do not leave twice the gradient in "
                       f".grad (it is overwritten, or the backward keeps state)")
    return out


__all__ = ["breaches"]

"""Naming the unstable formula in a low-precision backward: the backward is run twice at the
same point, in its dtype and in float64, every torch function's result recorded (a
``TorchFunctionMode``), and the two records compared step by step. The first step whose
result leaves the dtype's range (``exp`` of a large logit, or of a very negative one, which
underflows) or whose error jumps far beyond its
inputs' (a difference of nearly equal terms) is the diagnosis.

Only Python code is seen: an ``autograd.Function``'s ``backward`` (called directly through its
graph node, as autograd would) and a hand gradient; torch's own backward formulas are not.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from workbench.code.accuracy import ulp_error
from workbench.code.subject import COTANGENT, Code

JUMP = 16.0
"""Ulp-equivalents an operation must add to its inputs' error to be named (the largest such
gain is the cancellation named)."""
CANCELS = {"sub", "__sub__", "__rsub__", "rsub", "add", "__add__", "__radd__", "sub_", "add_",
           "__isub__", "__iadd__", "mean", "sum"}
OVERFLOWS = {"exp", "exp_", "pow", "__pow__", "__rpow__", "mul", "__mul__", "__rmul__",
             "matmul", "__matmul__", "sum", "cumsum", "exp2", "sinh", "cosh", "square"}
UNDEFINED = {"sqrt", "rsqrt", "log", "log2", "log10", "pow", "__pow__"}
DIVIDES = {"div", "__truediv__", "__rtruediv__", "true_divide", "reciprocal"}


@dataclass
class _Step:
    name: str
    out: torch.Tensor
    inputs: list[int]          # indices of earlier steps among the arguments


class _Record(torch.overrides.TorchFunctionMode):
    """Every floating tensor a torch function returns, with the steps that made its inputs."""

    def __init__(self):
        super().__init__()
        self.steps: list[_Step] = []
        self._index: dict[int, int] = {}

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if isinstance(out, torch.Tensor) and out.is_floating_point() \
                and out.layout == torch.strided:
            flat = list(args) + list((kwargs or {}).values())
            flat = [x for a in flat for x in (a if isinstance(a, (list, tuple)) else (a,))]
            ins = [self._index[id(a)] for a in flat if isinstance(a, torch.Tensor)
                   and id(a) in self._index]
            self._index[id(out)] = len(self.steps)
            self.steps.append(_Step(getattr(func, "__name__", str(func)), out.detach(), ins))
        return out


def _record(code: Code, point) -> list[_Step] | None:
    """The steps of the subject's backward at ``point`` (None: code this cannot see)."""
    if code.kind == "hand":
        rec = _Record()
        with rec, torch.no_grad():
            code.subject(point)
        return rec.steps
    if code.kind != "function":
        return None
    leaves = {k: point[k].detach().clone().requires_grad_(True) for k in code.wrt}
    with torch.enable_grad():
        outs = code.call({**point, **leaves})
    node = next((o.grad_fn for o in outs if o.grad_fn is not None), None)
    if node is None:
        return None
    cots = [point[COTANGENT.format(i)].to(o.dtype) if COTANGENT.format(i) in point
            else torch.zeros_like(o) for i, o in enumerate(outs)]
    rec = _Record()
    with rec, torch.no_grad():
        node.apply(*cots)
    return rec.steps


def name_unstable(low: Code, low_point, high: Code, high_point, u: float, dtype: str
                  ) -> str | None:
    """A sentence naming the step of the backward that loses the accuracy, or None."""
    try:
        lo, hi = _record(low, low_point), _record(high, high_point)
    except Exception:      # noqa: BLE001 - a diagnosis, never a new failure
        return None
    if not lo or not hi:
        return None
    errors: list[float] = []
    best, best_gain = None, JUMP
    under = None        # the first step whose results fell below the dtype's normal range
    for k, (a, b) in enumerate(zip(lo, hi)):
        if a.name != b.name or a.out.shape != b.out.shape:
            break
        truth = b.out.double().cpu()
        if not bool(torch.isfinite(truth).all()):
            break
        err = ulp_error(a.out.double().cpu(), truth, u)
        errors.append(err)
        before = max((errors[i] for i in a.inputs), default=0.0)
        if err == float("inf") and before != float("inf"):
            return _nonfinite(a.name, k, dtype, before)
        if a.name in CANCELS and err - before > best_gain:
            best, best_gain = (k, a.name, before, err), err - before
        if under is None and a.name in OVERFLOWS and err - before > JUMP:
            lost = int(((truth != 0) & (a.out.double().cpu().abs() < torch.finfo(
                a.out.dtype).tiny)).sum())
            if lost:
                under = (k, a.name, lost, err)
    if best is None and under is not None:
        return _underflow(*under, dtype)
    if best is None:
        return None
    k, name, before, err = best
    return (f"unstable formula: cancellation at step {k + 1} of the backward ({name}): its "
            f"inputs are within {before:.1f} ulp-equivalents of float64, its result {err:,.0f} "
            f"off, a difference of nearly equal terms (a variance as E[x^2] - E[x]^2, 1 - p "
            f"for p near 1, log(1 - p)); the same backward is right in float64")


def _underflow(k: int, name: str, lost: int, err: float, dtype: str) -> str:
    return (f"unstable formula: step {k + 1} of the backward ({name}) underflows {dtype}'s "
            f"range: {lost} of its results fall below its smallest normal number and lose "
            f"their digits ({err:,.0f} ulp-equivalents off), and no later step cancels (exp(x) "
            f"/ sum(exp(x)) without subtracting the max?); the same backward is right in "
            f"float64")


def _nonfinite(name: str, k: int, dtype: str, before: float) -> str:
    where = f"step {k + 1} of the backward ({name})"
    if name in UNDEFINED and before > JUMP:
        return (f"unstable formula: {where} is not finite in {dtype}: its input lost "
                f"{before:,.0f} ulp-equivalents first and left the domain (a cancellation such "
                f"as E[x^2] - E[x]^2 turned negative?); the same backward is right in float64")
    if name in DIVIDES:
        return (f"unstable formula: {where} divides 0 by 0 or inf by inf in {dtype}: "
                f"exponentials that underflowed or overflowed (exp(x) / sum(exp(x)) without "
                f"subtracting the max?), or 1 - p rounded to 0; the same backward is right in "
                f"float64")
    if name in OVERFLOWS:
        return (f"unstable formula: {where} overflows {dtype}'s range (exp(x) / sum(exp(x)) "
                f"without subtracting the max?); the same backward is right in float64")
    return (f"unstable formula: {where} is not finite in {dtype} where it is in float64; the "
            f"same backward is right in float64")


__all__ = ["name_unstable"]

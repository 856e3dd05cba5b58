"""Curated table for benchmarks/bench_opinfo.py: OpInfo ops whose torch gradient is wrong (or
zero or the identity by design) at points check_gradient draws, so that a workbench mismatch
on them is a finding about torch, not a false alarm.

Each entry: the evidence in a sentence or two, and where cheap an ``evidence()`` that shows
it independently of the workbench (float64 finite differences, an analytic derivative or
mpmath at the specific point) and raises AssertionError when it does not. Only entries whose
evidence was reproduced (torch 2.14.1, CPU) are listed; a mismatch on an op listed here is
counted as 'real torch gradient bug' whatever the point, so an entry is a claim about the op.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

F64 = torch.float64


@dataclass(frozen=True)
class Known:
    """``text``: the evidence in words; ``evidence``: shows it, raising AssertionError if not."""
    text: str
    evidence: Callable[[], None] | None = None


def _autograd(f, *values) -> list[torch.Tensor]:
    """torch's gradient of f(*values).sum() with respect to each value."""
    xs = [torch.tensor(v, dtype=F64, requires_grad=True) for v in values]
    return list(torch.autograd.grad(f(*xs).sum(), xs))


def _central(f, x: float, h: float = 1e-6) -> float:
    """Central float64 difference of a scalar function of one number."""
    return float((f(torch.tensor(x + h, dtype=F64)) - f(torch.tensor(x - h, dtype=F64))).sum()
                 / (2 * h))


def _close(got, want, rel: float = 1e-6) -> bool:
    return abs(float(got) - float(want)) <= rel * max(1.0, abs(float(want)))


def _include_self_false(reduce: str, call) -> Callable[[], None]:
    def evidence() -> None:
        zero = torch.zeros(1, dtype=F64)
        gself, gsrc = _autograd(lambda s, x: call(s, x, reduce), [0.0], [0.0])
        true = _central(lambda x: call(zero, x.reshape(1), reduce), 0.0)
        assert _close(true, 1.0) and _close(gsrc, 0.5) and _close(gself, 0.0), (gself, gsrc, true)
    return evidence


def _scatter(s, x, reduce):
    return torch.scatter_reduce(s, 0, torch.tensor([0]), x, reduce, include_self=False)


def _index(s, x, reduce):
    return s.index_reduce(0, torch.tensor([0]), x, reduce, include_self=False)


def _shrink(op) -> Callable[[], None]:
    def evidence() -> None:
        (g,) = _autograd(lambda x: op(x, 0.0), 0.0)
        true = _central(lambda x: op(x, 0.0), 0.0)
        assert _close(true, 1.0) and _close(g, 0.0), (g, true)
    return evidence


def _nextafter() -> None:
    gx, _ = _autograd(torch.nextafter, 0.0, 0.0)
    true = _central(lambda x: torch.nextafter(x, torch.zeros((), dtype=F64)), 0.0)
    assert _close(true, 1.0) and _close(gx, 0.0), (gx, true)


def _polar() -> None:
    for at, torch_says in ((0.0, 0.0), (-1.0, -1.0)):
        gabs, _ = _autograd(lambda a, t: torch.polar(a, t).real, at, 0.0)
        true = _central(lambda a: torch.polar(a, torch.zeros((), dtype=F64)).real, at)
        assert _close(true, 1.0) and _close(gabs, torch_says), (at, gabs, true)


def _hardsigmoid() -> None:
    x = torch.tensor(1.0, dtype=F64, requires_grad=True)
    (g,) = torch.autograd.grad(F.hardsigmoid(x), x)
    slope = _central(F.hardsigmoid, 1.0, h=1e-4)           # exact: the function is linear here
    assert abs(slope - 1 / 6) < 1e-12 and abs(float(g) - float(torch.tensor(1 / 6).float())) \
        < 1e-15 and abs(float(g) / slope - 1) > 1e-8, (g, slope)


def _normal() -> None:
    def draw(mean):
        torch.manual_seed(0)       # the same noise each call: normal(mean, 1) = mean + noise
        return torch.normal(mean, torch.ones((), dtype=F64))
    (g,) = _autograd(draw, 0.0)
    assert _close(_central(draw, 0.0), 1.0) and _close(g, 0.0), (g,)


def _cast(dtype) -> Callable[[], None]:
    def evidence() -> None:
        (g,) = _autograd(lambda x: x.to(dtype).real, 1.0)
        true = _central(lambda x: x.to(dtype).real.to(F64), 1.0, h=1e-9)   # below its ulp
        assert _close(true, 0.0) and _close(g, 1.0), (g, true)
    return evidence


def _as_strided_scatter() -> None:
    def scatter(x, src):
        return torch.as_strided_scatter(x, src, (1,), (1,), 0)
    gx, gsrc = _autograd(scatter, [0.0], [0.0])
    true = _central(lambda x: scatter(x.reshape(1), torch.zeros(1, dtype=F64)), 0.0)
    assert _close(true, 0.0) and _close(gx, 1.0) and _close(gsrc, 1.0), (gx, gsrc, true)


def _max_unpool() -> None:
    # both inputs go to output position 1; which one lands there varies, so they are equal
    def unpool(x):
        return F.max_unpool1d(x, torch.tensor([[[1, 1]]]), kernel_size=2, output_size=(1, 1, 3))
    (g,) = _autograd(unpool, [[[2.0, 2.0]]])
    both = _central(lambda t: unpool(torch.tensor([[[2.0, 2.0]]], dtype=F64) + t), 0.0)
    assert _close(both, 1.0) and _close(g.sum(), 2.0), (g, both)


def _mp_derivative(f, x: float) -> float:
    import mpmath
    with mpmath.workdps(40):
        return float(mpmath.diff(f, mpmath.mpf(x)))


def _sinc() -> None:
    import mpmath
    (g,) = _autograd(torch.sinc, 1e-6)
    true = _mp_derivative(lambda t: mpmath.sin(mpmath.pi * t) / (mpmath.pi * t), 1e-6)
    assert abs(float(g) / true - 1) > 1e-6, (g, true)


def _log_ndtr() -> None:
    import mpmath
    (g,) = _autograd(torch.special.log_ndtr, -1e6)
    true = _mp_derivative(lambda t: mpmath.log(mpmath.ncdf(t)), -1e6)
    assert abs(float(g) / true - 1) > 1e-5, (g, true)


_SELF = ("wrong at ties: with include_self=False the self value takes no part in the "
         "reduction, yet where it ties with a source value torch gives the source 0.5 (true 1) "
         "and self 0.5 (true 0); e.g. self=0, src=0 at one index.")
_SHRINK = ("wrong at an edge point: lambd=0 makes the op the identity, so the derivative at "
           "x=0 is 1; torch gives 0.")
_CAST = ("by design: a cast to a lower precision (real or complex) is a staircase, derivative "
         "0 between its steps (differences below its ulp at x=1 are 0); autograd passes the "
         "gradient through as the identity (gradcheck fails too).")
_UNPOOL = ("duplicate indices in the OpInfo sample: only one input lands in the output "
           "element, yet autograd gives every duplicate gradient 1 (along (1, 1) the output moves "
           "by 1, torch says 2; gradcheck fails too).")
_NORMAL = ("by design: normal(mean, std) = mean + std * noise, so d/dmean is 1 at a fixed seed; "
           "torch's gradient with respect to mean and std is zero (gradcheck fails too).")

def _ormqr() -> None:
    """The 2x2 case: exact values from the polynomial (sympy by hand: d/dA[1,0] =
    -450000005200000000, d/dtau_0 = -7200000096); autograd through an explicit loop of the
    two reflectors gets them, torch's ormqr backward is 4.7 % off d/dA[1,0]."""
    A = torch.tensor([[0.0, 0.0], [3.0, 0.0]], dtype=F64, requires_grad=True)
    tau = torch.tensor([1e8, -1e8], dtype=F64, requires_grad=True)
    C = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=F64)
    ga, gt = torch.autograd.grad(torch.ormqr(A, tau, C, left=True, transpose=True).sum(),
                                 (A, tau))

    def loop(a, t):                      # H_2 H_1 C with H_i = I - t_i v_i v_i^T
        out = C
        for i in range(2):
            v = torch.cat([torch.zeros(i, dtype=F64), torch.ones(1, dtype=F64), a[i + 1:, i]])
            out = out - t[i] * torch.outer(v, v @ out)
        return out
    la, lt = torch.autograd.grad(loop(A, tau).sum(), (A, tau))
    assert _close(la[1, 0], -450000005200000000, 1e-12) and _close(lt[0], -7200000096, 1e-12)
    assert abs(float(ga[1, 0]) / -450000005200000000 - 1) > 1e-2, (ga, la)


KNOWN: dict[str, Known] = {
    "scatter_reduce.amax": Known(_SELF, _include_self_false("amax", _scatter)),
    "scatter_reduce.amin": Known(_SELF, _include_self_false("amin", _scatter)),
    "index_reduce.amax": Known(_SELF, _include_self_false("amax", _index)),
    "index_reduce.amin": Known(_SELF, _include_self_false("amin", _index)),
    "nextafter": Known("wrong at ties: nextafter(x, y) is x up to an ulp, so d/dx is 1, also at "
                       "x == y; torch gives 0 there.", _nextafter),
    "nn.functional.hardshrink": Known(_SHRINK, _shrink(F.hardshrink)),
    "nn.functional.softshrink": Known(_SHRINK, _shrink(F.softshrink)),
    "polar": Known("wrong where abs <= 0: d polar(abs, angle)/d abs is e^(i angle) everywhere; "
                   "torch uses sgn(result), which is 0 at abs=0 and -e^(i angle) for abs < 0 "
                   "(at abs=-1, angle=0 torch says -1, the differences 1).", _polar),
    "nn.functional.hardsigmoid": Known("float64 inaccuracy by a float32 constant: the forward "
                                       "is (x + 3) / 6 exactly, the float64 backward multiplies "
                                       "by float32(1/6) = 0.16666667163 (3e-8 relative off; "
                                       "gradcheck's tolerance cannot see it).", _hardsigmoid),
    "normal": Known(_NORMAL, _normal),
    "normal.number_mean": Known(_NORMAL, _normal),
    "as_strided_scatter": Known("wrong everywhere tested: the input element the source "
                                "overwrites gets gradient 1 from torch (true 0) (gradcheck fails "
                                "too).", _as_strided_scatter),
    "float": Known(_CAST, _cast(torch.float32)),
    "bfloat16": Known(_CAST, _cast(torch.bfloat16)),
    "half": Known(_CAST, _cast(torch.float16)),
    "cfloat": Known(_CAST, _cast(torch.complex64)),
    "chalf": Known(_CAST, _cast(torch.complex32)),
    "nn.functional.max_unpool1d": Known(_UNPOOL, _max_unpool),
    "nn.functional.max_unpool2d": Known(_UNPOOL, _max_unpool),
    "nn.functional.max_unpool3d": Known(_UNPOOL, _max_unpool),
    "sinc": Known("float64 inaccuracy: at x=1e-6 torch's derivative is 6.8e-6 relative off the "
                  "mpmath value (cancellation in (cos(pi x) - sinc(x)) / x).", _sinc),
    "ormqr": Known("unstable backward at tau far from geqrf's range: householder_product_"
                   "backward (which ormqr's calls) undoes each reflector with H(tau)^-1, "
                   "dividing by 1 - tau |v|^2 (1e6..2e7 at the point drawn, tau ~ -2e6): "
                   "d/dA and d/dtau off by 1e5-1e7 relative there while the 50-digit mpmath "
                   "gradient moves by 1e-15 under 4-ulp moves (benchmarks/evidence_ormqr.py); "
                   "at the 2x2 A=[[0,0],[3,0]], tau=(1e8,-1e8) d/dA[1,0] is 4.7 % off the exact "
                   "-450000005200000000 (gradcheck passes the sample's own geqrf-like tau).",
                   _ormqr),
    "special.log_ndtr": Known("float64 inaccuracy: at x=-1e6 torch's derivative is 1000109.02, "
                              "mpmath's 1000000.000001 (1.1e-4 relative).", _log_ndtr),
}

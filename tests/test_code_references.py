"""References with error bounds, and a "confirmed" that is a promise (issue 22).

Each test would fail if the code were wrong: Ridders' bound must cover its true error at
large magnitudes, near float limits and at wiggly points; a disagreement the size of a
reference's own rounding (a 1e8 bias) must not be confirmed; ties and kinks must be skipped,
not condemned; and planted mistakes of 1e-7 relative, at magnitudes of 1e6 and 1e-30, must be
confirmed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from code_corpus import Sigmoid
from workbench.code import check_gradient
from workbench.code.estimate import one_sided, ridders

F64 = torch.float64
EXAMPLES = 20


def _phi(f, x):
    """phi(t) = f(x + t v), v = |x| (1 at 0), as the checker builds it."""
    v = abs(x) or 1.0
    return (lambda t: (f(x + t * v), abs(f(x + t * v)))), v


@pytest.mark.parametrize("f, x, df", [
    (math.sin, 1.0, math.cos),
    (math.exp, 30.0, math.exp),
    (lambda x: 1e8 + math.sin(x), 1.0, math.cos),            # values far above the slope
    (lambda x: 1 / x, 1e-40, lambda x: -1 / x ** 2),          # near the float limits
    (math.sin, 1e6, math.cos),                                # wiggles far below the scale
    (math.sqrt, 1e-3, lambda x: 0.5 / math.sqrt(x)),          # near a domain end
    (lambda x: (x + 1e8) - 1e8, 1.0, lambda x: 1.0),          # cancellation inside
    (lambda x: abs(x - 1.001), 1.0, lambda x: -1.0),          # a kink 0.1 % away
])
def test_ridders_bound_covers_its_error(f, x, df):
    phi, v = _phi(f, x)
    e = ridders(phi)
    true = df(x) * v
    assert e.usable and abs(e.value - true) <= e.bound, (e, true)
    assert e.bound <= 1e-3 * max(abs(true), 1.0), e             # and is useful


def test_one_sided_derivatives_tell_a_kink():
    phi, _ = _phi(abs, 0.0)
    plus, minus = one_sided(phi, 1.0), one_sided(phi, -1.0)
    assert plus.disagrees(minus) and abs(plus.value - 1) <= plus.bound
    phi, _ = _phi(math.sin, 2.0)
    plus, minus = one_sided(phi, 1.0), one_sided(phi, -1.0)
    assert not plus.disagrees(minus)


def _layer_norm_inputs(bias_entry=None):
    g = torch.Generator().manual_seed(0)
    x, w, b = (torch.randn(*s, dtype=F64, generator=g) for s in ((4, 8), (8,), (8,)))
    if bias_entry is not None:
        b[1] = bias_entry
    return x, w, b


@pytest.mark.parametrize("bias", [None, 1e8])
def test_torch_layer_norm_is_accepted_even_beside_a_huge_bias(bias):
    r = check_gradient(lambda x, w, b: F.layer_norm(x, (8,), w, b), _layer_norm_inputs(bias),
                       examples=EXAMPLES)
    assert r.verdict == "match", str(r)


class _LayerNorm(torch.autograd.Function):
    """A right hand-written LayerNorm backward (no affine part: the 1e8 goes in x)."""

    @staticmethod
    def forward(ctx, x):
        mu = x.mean(-1, keepdim=True)
        rstd = 1 / torch.sqrt(((x - mu) ** 2).mean(-1, keepdim=True) + 1e-5)
        xhat = (x - mu) * rstd
        ctx.save_for_backward(xhat, rstd)
        return xhat

    @staticmethod
    def backward(ctx, g):
        xhat, rstd = ctx.saved_tensors
        return rstd * (g - g.mean(-1, keepdim=True) - xhat * (g * xhat).mean(-1, keepdim=True))


class _LayerNormNoMean(_LayerNorm):
    @staticmethod
    def backward(ctx, g):
        xhat, rstd = ctx.saved_tensors
        return rstd * (g - xhat * (g * xhat).mean(-1, keepdim=True))


def _first_order(r):
    """The first-order part of a Function's result (its saved xhat and rstd have no second
    derivative, so the second order is rightly a mismatch)."""
    return next(p for p in [r, *r.parts] if p.subject.endswith(".backward"))


def test_a_right_backward_is_accepted_and_a_planted_one_confirmed_at_large_magnitudes():
    x = torch.randn(3, 6, dtype=F64, generator=torch.Generator().manual_seed(1))
    x[0, 2] = 1e8
    r = check_gradient(_LayerNorm.apply, (x,), examples=EXAMPLES)
    assert _first_order(r).verdict == "match", str(r)
    r = _first_order(check_gradient(_LayerNormNoMean.apply, (x,), examples=EXAMPLES))
    assert r.verdict == "mismatch" and r.level == "confirmed", str(r)


@pytest.mark.parametrize("scale", [1e6, 1e-30])
def test_an_error_of_1e7_relative_is_confirmed_at_any_magnitude(scale):
    x = scale * torch.linspace(0.5, 2.0, 5, dtype=F64)
    right = check_gradient(lambda x: (x ** 3).sum(), (x,), grad=lambda x: 3 * x ** 2,
                           examples=EXAMPLES)
    wrong = check_gradient(lambda x: (x ** 3).sum(), (x,),
                           grad=lambda x: 3 * x ** 2 * (1 + 1e-7), examples=EXAMPLES)
    assert right.verdict == "match", str(right)
    assert wrong.verdict == "mismatch" and wrong.level == "confirmed", str(wrong)


@pytest.mark.parametrize("fn", [
    lambda x: x.max(),                                   # ties among the drawn values
    lambda x: torch.sort(x)[0] * torch.arange(1, 7, dtype=F64),
    lambda x: torch.relu(x).sum(),
    lambda x: x.abs().sum(),
    lambda x: torch.median(x),
])
def test_ties_and_kinks_are_never_confirmed(fn):
    r = check_gradient(fn, (torch.tensor([0.5, -1.0, 2.0, 0.0, 3.0, 1.5], dtype=F64),),
                       examples=EXAMPLES)
    assert r.verdict != "mismatch", str(r)


def test_a_step_function_gradient_is_confirmed_wrong():
    """Where the code is smooth, a wrong gradient is still found beside the kinks."""
    def grad(x):
        return np.sign(x) * 2.0                       # d|x|/dx is sign(x), not 2 sign(x)
    r = check_gradient(lambda x: np.abs(x).sum(), (np.array([0.5, -1.0, 2.0]),), grad=grad,
                       examples=EXAMPLES)
    assert r.verdict == "mismatch" and "factor" in " ".join(r.diagnosis), str(r)


def test_an_ill_conditioned_right_gradient_is_not_confirmed():
    """The second derivative of a sigmoid whose backward is written s (1 - s) loses digits
    to cancellation at x = 30 (1 - s is 9e-14, held to ulps of 1): rounding, not a mistake."""
    r = check_gradient(Sigmoid.apply, (torch.tensor([20.0, 30.0, 1.0], dtype=F64),),
                       examples=EXAMPLES)
    assert r.verdict == "match", str(r)


def test_a_staircase_below_every_step_is_not_a_slope():
    """round(x, 3) at 5e6: stairs of 1e-3 sit far below Ridders' steps, which see an average
    slope of 1; torch's gradient 0 is right between the stairs."""
    x = torch.tensor([4.8e6, -3.3e6, 1.25e6], dtype=F64)
    r = check_gradient(lambda x: torch.round(x, decimals=3), (x,), examples=EXAMPLES)
    assert r.verdict != "mismatch", str(r)


def test_stairs_at_ulps_are_not_a_slope():
    """round(x, 3) at 3e12: stairs of two ulps, numerically the identity, so differences at
    every step see slope 1; the forward calls round, and differences may not confirm there."""
    x = torch.tensor([3.1e12, -2.7e12, 3.3e12], dtype=F64)
    r = check_gradient(lambda x: torch.round(x, decimals=3), (x,), examples=EXAMPLES)
    assert r.verdict != "mismatch", str(r)


def test_a_saturated_forward_does_not_condemn_an_exact_backward():
    """GELU at x = -19: 1 + erf(x / sqrt 2) rounds to 0, so the forward is flat in float64,
    while the backward gives the true slope of 1e-76; the complex step of the tanh GELU sees
    that slope too, where the backward's 1 - tanh**2 rounds to 0."""
    from layer_corpus import GeluErf, GeluTanh
    x = torch.tensor([[-19.0, -30.0, 0.5]], dtype=F64)
    for cls in (GeluErf, GeluTanh):
        r = check_gradient(cls.apply, (x,), examples=EXAMPLES)
        assert r.verdict == "match", str(r)

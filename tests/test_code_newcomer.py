"""Code checks as a newcomer reads them (issue 26, item 8): a Function's own forward, run
outside the Function under autograd, is an exact reference where the complex step is not
(F.softplus); a Function right to first order and wrong to second says so in its first line,
with the cause (an intermediate saved by the forward), not a guess from the sizes."""

import numpy as np
import torch
import torch.nn.functional as F

import workbench
from workbench.code.directional import OWN_FORWARD

F64 = torch.float64
X = torch.linspace(-3, 2, 6, dtype=F64)


def softplus_function(factor: float, new_style: bool):
    if new_style:
        class Softplus(torch.autograd.Function):
            @staticmethod
            def forward(x):
                return F.softplus(x)

            @staticmethod
            def setup_context(ctx, inputs, output):
                ctx.save_for_backward(inputs[0])

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return g * torch.sigmoid(x) * factor
    else:
        class Softplus(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return F.softplus(x)

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return g * torch.sigmoid(x) * factor
    return Softplus


def test_a_functions_own_forward_is_the_exact_reference_where_the_complex_step_is_not():
    for new_style in (False, True):
        right = workbench.check_gradient(softplus_function(1.0, new_style).apply, (X,),
                                         examples=20)
        assert right.verdict == "match" and right.references[0] == OWN_FORWARD, str(right)
        off = workbench.check_gradient(softplus_function(1 + 1e-7, new_style).apply, (X,),
                                       examples=20)
        assert off.verdict == "mismatch" and off.level == "confirmed", str(off)
        assert f"confirmed by {OWN_FORWARD}" in str(off)
        assert any("complex step unavailable" in n for n in off.notes)


class NumpyForward(torch.autograd.Function):
    """A forward torch cannot see through: its own forward is no reference."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.from_numpy(np.tanh(x.detach().numpy()))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (1 - torch.tanh(x) ** 2) * 1.01


def test_a_forward_that_leaves_the_graph_is_no_reference_and_the_check_goes_on():
    r = workbench.check_gradient(NumpyForward.apply, (X,), examples=20)
    assert OWN_FORWARD not in r.references
    assert any(n.startswith(f"{OWN_FORWARD} unavailable") for n in r.notes)
    assert r.verdict == "mismatch" and r.level == "confirmed"


def _stats(x):
    xc = x - x.mean(-1, keepdim=True)
    rstd = torch.rsqrt((xc * xc).mean(-1, keepdim=True) + 1e-5)
    return xc, rstd


def _backward(x, w, rstd, g):
    xhat = _stats(x)[0] * rstd
    gx = g * w
    dx = rstd * (gx - gx.mean(-1, keepdim=True) - xhat * (gx * xhat).mean(-1, keepdim=True))
    return dx, (g * xhat).sum(0), g.sum(0)


class SavedRstd(torch.autograd.Function):
    """LayerNorm right to first order; rstd saved from the forward, so its dependence on x is
    lost to the backward of the backward."""

    @staticmethod
    def forward(ctx, x, w, b):
        xc, rstd = _stats(x)
        ctx.save_for_backward(x, w, rstd)
        return xc * rstd * w + b

    @staticmethod
    def backward(ctx, g):
        x, w, rstd = ctx.saved_tensors
        return _backward(x, w, rstd, g)


class RecomputedRstd(SavedRstd):
    @staticmethod
    def forward(ctx, x, w, b):
        xc, rstd = _stats(x)
        ctx.save_for_backward(x, w)
        return xc * rstd * w + b

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return _backward(x, w, _stats(x)[1], g)


def _ln_inputs():
    gen = torch.Generator().manual_seed(0)
    return tuple(torch.randn(*s, generator=gen, dtype=F64) for s in ((4, 8), (8,), (8,)))


def test_first_order_right_second_order_wrong_is_said_in_the_first_line_with_the_cause():
    r = workbench.check_gradient(SavedRstd.apply, _ln_inputs(), examples=20)
    first = str(r).splitlines()[0]
    assert first == "SavedRstd: first order: match; second order: mismatch confirmed"
    assert r.exit_code == 1 and not r
    assert r.diagnosis[0].startswith("the forward saves 1 intermediate tensor(s)")
    assert "4x1" in r.diagnosis[0] and "recompute" in r.diagnosis[0]
    assert not any("depends on the batch" in d for d in r.diagnosis)
    assert [o["order"] for o in r.orders] == ["first order", "second order"]
    assert r.summary().startswith("gradient mismatch: first order: match; second order: "
                                  "mismatch confirmed: the forward saves")


def test_the_same_layer_recomputing_its_statistics_is_right_to_both_orders():
    r = workbench.check_gradient(RecomputedRstd.apply, _ln_inputs(), examples=20)
    assert r.verdict == "match", str(r)
    assert str(r).splitlines()[0] == "RecomputedRstd: first order: match; second order: match"

"""Planted low-precision accuracy bugs: backward passes that are right in float64 (the math
is right, ``check_gradient`` matches) but use an unstable formula that loses the accuracy of
float16/bfloat16 (the bug marked ``# BUG:``). Each is a subclass of a right layer of
tests/layer_corpus.py, or a small Function beside its stable twin.

- ``CrossEntropyUnstableSoftmax``: softmax as exp(z) / sum(exp(z)) without the max: exp
  overflows where the logits are large (above 88 in float32/bfloat16, 11 in float16) and
  underflows where they are all very negative (below -17 in float16).
- ``LayerNormNaiveVariance``: the variance as E[x^2] - E[x]^2: cancels when the row's mean is
  large against its spread (and turns negative: rsqrt of it is NaN).
- ``SoftplusOneMinus``: softplus' derivative sigmoid(z) as 1 - exp(-softplus(z)), i.e. 1 - q
  for q = 1 / (1 + e^z) near 1 (the log(1 - p) family): for z << 0 the difference cancels to
  0 while the true derivative is e^z.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from layer_corpus import EPS, CrossEntropyMean, LayerNorm, _randn


class CrossEntropyUnstableSoftmax(CrossEntropyMean):
    @staticmethod
    def backward(ctx, g):
        z, labels = ctx.saved_tensors
        e = torch.exp(z)                                       # BUG: no max subtracted
        p = e / e.sum(-1, keepdim=True)
        return g * (p - F.one_hot(labels, z.shape[-1]).to(z)) / z.shape[0], None


def _naive_stats(x):
    mean = x.mean(-1, keepdim=True)
    var = (x * x).mean(-1, keepdim=True) - mean * mean       # BUG: E[x^2] - E[x]^2
    rstd = torch.rsqrt(var + EPS)
    return (x - mean) * rstd, rstd


class LayerNormNaiveVariance(LayerNorm):
    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        xhat, rstd = _naive_stats(x)
        gx = g * w
        dx = rstd * (gx - gx.mean(-1, keepdim=True) - xhat * (gx * xhat).mean(-1, keepdim=True))
        lead = tuple(range(x.dim() - 1))
        return dx, (g * xhat).sum(lead), g.sum(lead)


class Softplus(torch.autograd.Function):
    """log(1 + e^z), derivative sigmoid(z)."""

    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        return F.softplus(z)

    @staticmethod
    def backward(ctx, g):
        z, = ctx.saved_tensors
        return g * torch.sigmoid(z)


class SoftplusOneMinus(Softplus):
    @staticmethod
    def backward(ctx, g):
        z, = ctx.saved_tensors
        return g * (1 - torch.exp(-F.softplus(z)))           # BUG: 1 - q, q near 1 for z << 0


def softplus_inputs():
    return (_randn(3, 5, seed=30) * 2,)


PLANTED = {
    # name: (Function, inputs factory from layer_corpus or here, domain, words in the diagnosis
    # (a|b: either))
    "cross_entropy_unstable_softmax": (CrossEntropyUnstableSoftmax, "cross_entropy_mean",
                                       ("overflow|underflow", "max")),
    "layernorm_naive_variance": (LayerNormNaiveVariance, "layernorm",
                                 ("E[x^2] - E[x]^2",)),
    "softplus_one_minus": (SoftplusOneMinus, "softplus", ("cancellation", "1 - p")),
}

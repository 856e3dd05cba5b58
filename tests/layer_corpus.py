"""A corpus of real neural-network layers with hand-written backward passes: each layer a
``torch.autograd.Function`` with a correct backward, and planted bugs as subclasses that
override ``backward`` (the bug marked ``# BUG:``). The companion of tests/code_corpus.py (same
:class:`Case` fields, same :class:`Made` fields, plus ``layer`` and ``reference``).

Every correct backward recomputes what it needs from the saved *inputs* with differentiable
torch ops, so the backward of the backward (what ``check_gradient`` checks as the second order,
and ``gradgradcheck``) is right too: intermediates saved from ``forward`` would carry no graph
back to the inputs. Forwards avoid ops without complex support where it costs nothing
(softmax as ``exp(s - logsumexp(s))``, variance as a mean of squares), so that a complex-step
reference can run on them.

Each :class:`Case` has ``make()`` returning a :class:`Made`: what ``check_gradient`` takes
(``fn, inputs, grad, domain, wrt``), what ``torch.autograd.gradcheck`` takes on the same code
(``gc_fn``, float64 ``gc_inputs`` with ``requires_grad`` on the float inputs; ``gc_second``:
run ``gradgradcheck`` too) and ``reference``: the same forward in plain torch ops, whose
autograd is the ground truth (tests/test_layer_corpus.py, ``test_corpus_ground_truth``).

``expect``: "match" (right code) or "mismatch" (a planted bug). ``diagnosis_words``: strings
that must each appear in the result's subject line or one of its diagnosis sentences (empty:
no clear diagnosis in words exists for the bug, only the verdict is asserted; ``note`` says
why). ``KNOWN_MISSES`` / ``KNOWN_FALSE_ALARMS``: cases the checker is known to decide wrong
(name -> reason), run as strict xfails; empty on purpose while workbench/code is rewritten:
this corpus is the target.

Sizes are chosen so that no two unrelated axes share a size (check_gradient varies the axes of
one size together).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import torch
import torch.nn.functional as F

F64 = torch.float64
EPS = 1e-5                        # LayerNorm / BatchNorm epsilon (PyTorch's default)
RMS_EPS = 1e-6
CONV_PADDING = 1
SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
GELU_A = 0.044715


@dataclass(frozen=True)
class Made:
    fn: Callable
    inputs: tuple
    grad: Callable | None
    domain: Any
    gc_fn: Callable
    gc_inputs: tuple
    wrt: Any = None
    gc_second: bool = False
    reference: Callable | None = None   # the plain-torch forward: its autograd is the truth


@dataclass(frozen=True)
class Case:
    name: str
    kind: str                 # function (an autograd.Function), autograd (plain torch code)
    make: Callable[[], Made]
    expect: str               # match or mismatch
    diagnosis_words: tuple = ()
    bug: str = "correct"      # the bug class
    note: str = ""
    layer: str = ""           # LayerNorm, RMSNorm, ... (coverage: each one right at least once)


def _randn(*shape, seed: int = 0) -> torch.Tensor:
    return torch.randn(*shape, dtype=F64, generator=torch.Generator().manual_seed(seed))


def _leaf(t: torch.Tensor) -> torch.Tensor:
    if t.is_floating_point():
        return t.detach().clone().to(F64).requires_grad_(True)
    return t.detach().clone()              # labels: no gradient


def function(cls, inputs, reference, domain=None) -> Made:
    return Made(cls.apply, tuple(inputs), None, domain, cls.apply,
                tuple(_leaf(x) for x in inputs), gc_second=True, reference=reference)


def autograd(fn, inputs) -> Made:
    """Plain torch code, no custom backward: check_gradient checks autograd through it."""
    return Made(fn, tuple(inputs), None, None, fn, tuple(_leaf(x) for x in inputs),
                reference=fn)


# ================================================================== plain-torch references

def layer_norm_ref(x, w, b):
    return F.layer_norm(x, x.shape[-1:], w, b, EPS)


def rms_norm_ref(x, w):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + RMS_EPS) * w


def batch_norm_ref(x, w, b):
    return F.batch_norm(x, None, None, w, b, training=True, eps=EPS)


def cross_entropy_ref(reduction):
    return lambda z, labels: F.cross_entropy(z, labels, reduction=reduction)


def attention_ref(q, k, v):
    return F.scaled_dot_product_attention(q, k, v)


def gelu_erf_ref(x):
    return F.gelu(x)


def gelu_tanh_ref(x):
    return F.gelu(x, approximate="tanh")


def lstm_cell_ref(x, h, c, w_ih, w_hh, b):
    """nn.LSTMCell with these weights (its second bias zero); returns (h', c')."""
    cell = torch.nn.LSTMCell(x.shape[-1], h.shape[-1], dtype=x.dtype)
    params = {"weight_ih": w_ih, "weight_hh": w_hh, "bias_ih": b, "bias_hh": torch.zeros_like(b)}
    return torch.func.functional_call(cell, params, (x, (h, c)))


def conv1d_ref(x, w, b):
    return F.conv1d(x, w, b, padding=CONV_PADDING)


# ================================================================== LayerNorm

def _ln_stats(x):
    """xhat and 1/std over the last axis (biased variance, as LayerNorm)."""
    xc = x - x.mean(-1, keepdim=True)
    rstd = torch.rsqrt((xc * xc).mean(-1, keepdim=True) + EPS)
    return xc * rstd, rstd


class LayerNorm(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        xhat, _ = _ln_stats(x)
        return xhat * w + b

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        xhat, rstd = _ln_stats(x)
        gx = g * w                                          # d/dxhat
        dx = rstd * (gx - gx.mean(-1, keepdim=True) - xhat * (gx * xhat).mean(-1, keepdim=True))
        lead = tuple(range(x.dim() - 1))
        return dx, (g * xhat).sum(lead), g.sum(lead)


class LayerNormNoMeanTerm(LayerNorm):
    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        xhat, rstd = _ln_stats(x)
        gx = g * w
        dx = rstd * (gx - xhat * (gx * xhat).mean(-1, keepdim=True))   # BUG: - mean(gx) missing
        lead = tuple(range(x.dim() - 1))
        return dx, (g * xhat).sum(lead), g.sum(lead)


class LayerNormFloat32Sums(LayerNorm):
    """The reductions accumulated in float32 (a mixed-precision kernel's habit): every
    gradient off in its low-order bits only, about 1e-7 relative."""

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        xhat, rstd = _ln_stats(x)
        gx = g * w
        m1 = gx.float().mean(-1, keepdim=True).to(F64)               # BUG: float32 sums
        m2 = (gx * xhat).float().mean(-1, keepdim=True).to(F64)
        dx = rstd * (gx - m1 - xhat * m2)
        lead = tuple(range(x.dim() - 1))
        return dx, (g * xhat).float().sum(lead).to(F64), g.float().sum(lead).to(F64)


def _ln_inputs(big_bias: bool = False):
    x, w, b = _randn(4, 8, seed=1), _randn(8, seed=2), _randn(8, seed=3)
    if big_bias:
        b[1] = 1e8                  # the output is ~1e8 there: finite differences of y cancel
    return x, w, b


# ================================================================== RMSNorm

class RMSNorm(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + RMS_EPS) * w

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        r = torch.rsqrt((x * x).mean(-1, keepdim=True) + RMS_EPS)
        gx = g * w
        dx = r * gx - r ** 3 * x * (gx * x).mean(-1, keepdim=True)
        return dx, (g * x * r).sum(tuple(range(x.dim() - 1)))


class RMSNormNoOneOverN(RMSNorm):
    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        r = torch.rsqrt((x * x).mean(-1, keepdim=True) + RMS_EPS)
        gx = g * w
        dx = r * gx - r ** 3 * x * (gx * x).sum(-1, keepdim=True)   # BUG: sum, the 1/n missing
        return dx, (g * x * r).sum(tuple(range(x.dim() - 1)))


# ================================================================== BatchNorm1d (training)

class BatchNorm1d(torch.autograd.Function):
    """Batch statistics over axis 0, biased variance; the backward in the textbook's stages
    (dxhat, dvar, dmean)."""

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        xc = x - x.mean(0)
        return xc * torch.rsqrt((xc * xc).mean(0) + EPS) * w + b

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        n = x.shape[0]
        xc = x - x.mean(0)
        rstd = torch.rsqrt((xc * xc).mean(0) + EPS)
        dxhat = g * w
        dvar = (dxhat * xc).sum(0) * -0.5 * rstd ** 3
        dmean = -(dxhat * rstd).sum(0) + dvar * (-2 * xc).mean(0)
        dx = dxhat * rstd + dvar * 2 * xc / n + dmean / n
        return dx, (g * xc * rstd).sum(0), g.sum(0)


class BatchNormNoDmean(BatchNorm1d):
    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        n = x.shape[0]
        xc = x - x.mean(0)
        rstd = torch.rsqrt((xc * xc).mean(0) + EPS)
        dxhat = g * w
        dvar = (dxhat * xc).sum(0) * -0.5 * rstd ** 3
        dx = dxhat * rstd + dvar * 2 * xc / n                 # BUG: + dmean / n forgotten
        return dx, (g * xc * rstd).sum(0), g.sum(0)


class BatchNormUnbiasedVar(BatchNorm1d):
    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        n = x.shape[0]
        xc = x - x.mean(0)
        # BUG: the unbiased variance (torch.var's default, / (n - 1)); the forward's is / n
        rstd = torch.rsqrt((xc * xc).sum(0) / (n - 1) + EPS)
        dxhat = g * w
        dvar = (dxhat * xc).sum(0) * -0.5 * rstd ** 3
        dmean = -(dxhat * rstd).sum(0) + dvar * (-2 * xc).mean(0)
        dx = dxhat * rstd + dvar * 2 * xc / n + dmean / n
        return dx, (g * xc * rstd).sum(0), g.sum(0)


# ================================================================== softmax cross-entropy

def _ce_forward(z, labels, reduction):
    nll = z.logsumexp(-1) - z.gather(-1, labels[:, None])[:, 0]
    return {"mean": nll.mean, "sum": nll.sum, "none": lambda: nll}[reduction]()


def _ce_dz(z, labels):
    """d nll_i / d z_i: softmax minus the one-hot labels."""
    return torch.exp(z - z.logsumexp(-1, keepdim=True)) - F.one_hot(labels, z.shape[-1]).to(z)


class CrossEntropyMean(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z, labels):
        ctx.save_for_backward(z, labels)
        return _ce_forward(z, labels, "mean")

    @staticmethod
    def backward(ctx, g):
        z, labels = ctx.saved_tensors
        return g * _ce_dz(z, labels) / z.shape[0], None


class CrossEntropySum(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z, labels):
        ctx.save_for_backward(z, labels)
        return _ce_forward(z, labels, "sum")

    @staticmethod
    def backward(ctx, g):
        z, labels = ctx.saved_tensors
        return g * _ce_dz(z, labels), None


class CrossEntropyNone(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z, labels):
        ctx.save_for_backward(z, labels)
        return _ce_forward(z, labels, "none")

    @staticmethod
    def backward(ctx, g):
        z, labels = ctx.saved_tensors
        return g[:, None] * _ce_dz(z, labels), None


class CrossEntropyMeanAsSum(CrossEntropyMean):
    @staticmethod
    def backward(ctx, g):
        z, labels = ctx.saved_tensors
        return g * _ce_dz(z, labels), None                   # BUG: the sum's gradient (no 1/N)


class CrossEntropyIgnoresGradOutput(CrossEntropyMean):
    @staticmethod
    def backward(ctx, g):
        z, labels = ctx.saved_tensors
        return _ce_dz(z, labels) / z.shape[0], None          # BUG: g (the upstream) dropped


CLASSES = 5


def _ce_inputs():
    return _randn(4, CLASSES, seed=4), torch.tensor([1, 0, 4, 2])


def _ce(cls, reduction) -> Callable[[], Made]:
    return lambda: function(cls, _ce_inputs(), cross_entropy_ref(reduction),
                            domain={"labels": f"labels:{CLASSES}"})


# ================================================================== attention

def _attn_probs(q, k):
    s = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    return torch.exp(s - s.logsumexp(-1, keepdim=True))     # softmax, complex-step friendly


class Attention(torch.autograd.Function):
    """softmax(Q K^T / sqrt(d)) V, for Q (Lq, d), K (Lk, d), V (Lk, dv)."""

    @staticmethod
    def forward(ctx, q, k, v):
        ctx.save_for_backward(q, k, v)
        return _attn_probs(q, k) @ v

    @staticmethod
    def backward(ctx, g):
        q, k, v = ctx.saved_tensors
        p = _attn_probs(q, k)
        dp = g @ v.transpose(-1, -2)
        ds = p * (dp - (dp * p).sum(-1, keepdim=True))      # through the softmax
        scale = 1 / math.sqrt(q.shape[-1])
        return ds @ k * scale, ds.transpose(-1, -2) @ q * scale, p.transpose(-1, -2) @ g


class AttentionDqNoScale(Attention):
    @staticmethod
    def backward(ctx, g):
        q, k, v = ctx.saved_tensors
        p = _attn_probs(q, k)
        dp = g @ v.transpose(-1, -2)
        ds = p * (dp - (dp * p).sum(-1, keepdim=True))
        scale = 1 / math.sqrt(q.shape[-1])
        # BUG: dQ without the 1/sqrt(d)
        return ds @ k, ds.transpose(-1, -2) @ q * scale, p.transpose(-1, -2) @ g


class AttentionDvTransposed(Attention):
    @staticmethod
    def backward(ctx, g):
        q, k, v = ctx.saved_tensors
        p = _attn_probs(q, k)
        dp = g @ v.transpose(-1, -2)
        ds = p * (dp - (dp * p).sum(-1, keepdim=True))
        scale = 1 / math.sqrt(q.shape[-1])
        # BUG: dV as g^T P (dv, Lk) instead of P^T g (Lk, dv)
        return ds @ k * scale, ds.transpose(-1, -2) @ q * scale, g.transpose(-1, -2) @ p


def _attn_inputs():
    # Lq 3, d 4, Lk 5, dv 6: dV (5, 6) transposed is (6, 5), a visible shape
    return _randn(3, 4, seed=5), _randn(5, 4, seed=6), _randn(5, 6, seed=7)


# ================================================================== GELU

class GeluErf(torch.autograd.Function):
    """x Phi(x), Phi the standard normal CDF."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        cdf = 0.5 * (1 + torch.erf(x / math.sqrt(2)))
        pdf = torch.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        return g * (cdf + x * pdf)


class GeluTanh(torch.autograd.Function):
    """0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 0.5 * x * (1 + torch.tanh(SQRT_2_OVER_PI * (x + GELU_A * x ** 3)))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        t = torch.tanh(SQRT_2_OVER_PI * (x + GELU_A * x ** 3))
        du = SQRT_2_OVER_PI * (1 + 3 * GELU_A * x * x)
        return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du)


class GeluTanhNoCubicFactor(GeluTanh):
    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        t = torch.tanh(SQRT_2_OVER_PI * (x + GELU_A * x ** 3))
        du = SQRT_2_OVER_PI * (1 + GELU_A * x * x)           # BUG: 3 * 0.044715 -> 0.044715
        return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du)


class GeluTanhRoundedConstant(GeluTanh):
    """sqrt(2/pi) typed as 0.797885 in the backward: the gradient is off by about 1.5e-7
    relative, far below what float64 finite differences resolve (1e-5)."""

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        c = 0.797885                                          # BUG: sqrt(2/pi) = 0.7978845608...
        t = torch.tanh(c * (x + GELU_A * x ** 3))
        du = c * (1 + 3 * GELU_A * x * x)
        return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du)


def _gelu_inputs():
    return (_randn(3, 5, seed=8) * 2,)


# ================================================================== LSTM cell

def _lstm_gates(x, h, w_ih, w_hh, b):
    a = x @ w_ih.T + h @ w_hh.T + b
    ai, af, ag, ao = a.chunk(4, -1)                          # PyTorch's gate order i, f, g, o
    return torch.sigmoid(ai), torch.sigmoid(af), torch.tanh(ag), torch.sigmoid(ao)


class LSTMCell(torch.autograd.Function):
    """(x, h, c, W_ih, W_hh, b) -> (h', c'): c' = f c + i g, h' = o tanh(c')."""

    @staticmethod
    def forward(ctx, x, h, c, w_ih, w_hh, b):
        ctx.save_for_backward(x, h, c, w_ih, w_hh, b)
        i, f, gg, o = _lstm_gates(x, h, w_ih, w_hh, b)
        c2 = f * c + i * gg
        return o * torch.tanh(c2), c2

    @staticmethod
    def backward(ctx, dh2, dc2):
        x, h, c, w_ih, w_hh, b = ctx.saved_tensors
        i, f, gg, o = _lstm_gates(x, h, w_ih, w_hh, b)
        tc = torch.tanh(f * c + i * gg)
        dc = dc2 + dh2 * o * (1 - tc * tc)                   # total d/dc'
        da = torch.cat([dc * gg * i * (1 - i),               # input gate
                        dc * c * f * (1 - f),                # forget gate
                        dc * i * (1 - gg * gg),              # cell candidate
                        dh2 * tc * o * (1 - o)], -1)         # output gate
        return da @ w_ih, da @ w_hh, dc * f, da.T @ x, da.T @ h, da.sum(0)


class LSTMCellForgetGateNoSigmoidDerivative(LSTMCell):
    @staticmethod
    def backward(ctx, dh2, dc2):
        x, h, c, w_ih, w_hh, b = ctx.saved_tensors
        i, f, gg, o = _lstm_gates(x, h, w_ih, w_hh, b)
        tc = torch.tanh(f * c + i * gg)
        dc = dc2 + dh2 * o * (1 - tc * tc)
        da = torch.cat([dc * gg * i * (1 - i),
                        dc * c,                              # BUG: sigmoid' f (1 - f) missing
                        dc * i * (1 - gg * gg),
                        dh2 * tc * o * (1 - o)], -1)
        return da @ w_ih, da @ w_hh, dc * f, da.T @ x, da.T @ h, da.sum(0)


def _lstm_inputs():
    # batch 3, input 4, hidden 5 (4 gates: 20 rows)
    return (_randn(3, 4, seed=9), _randn(3, 5, seed=10), _randn(3, 5, seed=11),
            _randn(20, 4, seed=12) / 2, _randn(20, 5, seed=13) / 2, _randn(20, seed=14) / 2)


# ================================================================== Conv1d

def _conv_dx(g, w, length, flip=True):
    """d/dx of conv1d: the full correlation of g with the flipped kernel (channels swapped),
    cropped to the padded input's interior."""
    k = w.shape[-1]
    kernel = (w.flip(-1) if flip else w).transpose(0, 1)
    full = F.conv1d(F.pad(g, (k - 1, k - 1)), kernel)        # length L + 2 * padding
    return full[..., CONV_PADDING:CONV_PADDING + length]


def _conv_dw(g, x, k):
    """dw[o, i, j] = sum_{n, t} g[n, o, t] xpad[n, i, t + j]."""
    windows = F.pad(x, (CONV_PADDING, CONV_PADDING)).unfold(-1, k, 1)   # (N, C_in, L_out, k)
    return torch.einsum("not,nitj->oij", g, windows)


class Conv1d(torch.autograd.Function):
    """conv1d(x, w, b, padding=1) for x (N, C_in, L), w (C_out, C_in, k), b (C_out)."""

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        return F.conv1d(x, w, b, padding=CONV_PADDING)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return _conv_dx(g, w, x.shape[-1]), _conv_dw(g, x, w.shape[-1]), g.sum((0, 2))


class Conv1dKernelNotFlipped(Conv1d):
    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        dx = _conv_dx(g, w, x.shape[-1], flip=False)        # BUG: correlation, kernel not flipped
        return dx, _conv_dw(g, x, w.shape[-1]), g.sum((0, 2))


def _conv_inputs():
    # batch 4, C_in 2, length 8, C_out 5, kernel 3
    return _randn(4, 2, 8, seed=15), _randn(5, 2, 3, seed=16), _randn(5, seed=17)


# ================================================================== the corpus

def _fn(cls, inputs, reference, **kw) -> Callable[[], Made]:
    return lambda: function(cls, inputs(), reference, **kw)


def _torch_layer_norm():
    x, w, b = _randn(4, 8, seed=18), _randn(8, seed=19), _randn(8, seed=20)
    return autograd(lambda x, w, b: F.layer_norm(x, (8,), w, b), (x, w, b))


CASES: list[Case] = [
    # ---------------------------------------------------------- correct
    Case("layernorm", "function", _fn(LayerNorm, _ln_inputs, layer_norm_ref), "match",
         layer="LayerNorm"),
    Case("layernorm_bias_1e8", "function",
         _fn(LayerNorm, lambda: _ln_inputs(big_bias=True), layer_norm_ref), "match",
         layer="LayerNorm",
         note="b[1] = 1e8: the output's column 1 is ~1e8, so differences of y lose ~8 digits "
              "there; the gradient itself is ordinary (d/dx does not depend on b)"),
    Case("layernorm_torch_functional", "autograd", _torch_layer_norm, "match",
         layer="LayerNorm", note="PyTorch's own F.layer_norm, no custom backward"),
    Case("rmsnorm", "function", _fn(RMSNorm, lambda: (_randn(4, 8, seed=1), _randn(8, seed=2)),
                                    rms_norm_ref), "match", layer="RMSNorm"),
    Case("batchnorm1d_train", "function",
         _fn(BatchNorm1d, lambda: (_randn(4, 6, seed=21), _randn(6, seed=22),
                                   _randn(6, seed=23)), batch_norm_ref), "match",
         layer="BatchNorm1d"),
    Case("cross_entropy_mean", "function", _ce(CrossEntropyMean, "mean"), "match",
         layer="CrossEntropy"),
    Case("cross_entropy_sum", "function", _ce(CrossEntropySum, "sum"), "match",
         layer="CrossEntropy"),
    Case("cross_entropy_none", "function", _ce(CrossEntropyNone, "none"), "match",
         layer="CrossEntropy"),
    Case("attention", "function", _fn(Attention, _attn_inputs, attention_ref), "match",
         layer="Attention"),
    Case("gelu_erf", "function", _fn(GeluErf, _gelu_inputs, gelu_erf_ref), "match",
         layer="GELU"),
    Case("gelu_tanh", "function", _fn(GeluTanh, _gelu_inputs, gelu_tanh_ref), "match",
         layer="GELU"),
    Case("lstm_cell", "function", _fn(LSTMCell, _lstm_inputs, lstm_cell_ref), "match",
         layer="LSTMCell"),
    Case("conv1d", "function", _fn(Conv1d, _conv_inputs, conv1d_ref), "match", layer="Conv1d"),
    # ---------------------------------------------------------- planted
    Case("layernorm_no_mean_term", "function",
         _fn(LayerNormNoMeanTerm, _ln_inputs, layer_norm_ref), "mismatch", ("d/dx wrong",),
         bug="missing term", layer="LayerNorm",
         note="d/dw and d/db are right: the component is the diagnosis"),
    Case("rmsnorm_no_1_over_n", "function",
         _fn(RMSNormNoOneOverN, lambda: (_randn(4, 8, seed=1), _randn(8, seed=2)),
             rms_norm_ref), "mismatch", ("d/dx wrong",), bug="missing factor", layer="RMSNorm",
         note="right when the normalized axis has size 1 (sum = mean)"),
    Case("batchnorm_no_dmean", "function",
         _fn(BatchNormNoDmean, lambda: (_randn(4, 6, seed=21), _randn(6, seed=22),
                                        _randn(6, seed=23)), batch_norm_ref),
         "mismatch", ("d/dx wrong",), bug="missing term", layer="BatchNorm1d"),
    Case("batchnorm_unbiased_var", "function",
         _fn(BatchNormUnbiasedVar, lambda: (_randn(4, 6, seed=21), _randn(6, seed=22),
                                            _randn(6, seed=23)), batch_norm_ref),
         "mismatch", bug="wrong statistic", layer="BatchNorm1d",
         note="d/dx and d/dw wrong, d/db right; the error factor sqrt((n-1)/n) (on d/dw) "
              "changes with the batch size, so no constant factor to name: verdict only "
              "(NaN at batch 1, where n - 1 = 0)"),
    Case("cross_entropy_mean_as_sum", "function", _ce(CrossEntropyMeanAsSum, "mean"),
         "mismatch", ("wrong reduction", "z.shape[0]"), bug="wrong reduction",
         layer="CrossEntropy"),
    Case("cross_entropy_ignores_grad_output", "function",
         _ce(CrossEntropyIgnoresGradOutput, "mean"), "mismatch", ("grad_output",),
         bug="ignores grad_output", layer="CrossEntropy",
         note="a scalar loss: right for grad_output = 1 (loss.backward()), wrong as soon as "
              "the loss is scaled or summed with another; the diagnosis should name "
              "grad_output"),
    Case("attention_dq_no_scale", "function",
         _fn(AttentionDqNoScale, _attn_inputs, attention_ref), "mismatch", ("d/dq wrong",),
         bug="missing factor", layer="Attention",
         note="hand = sqrt(d) x true d/dq: a factor that changes with d (2 at the example), "
              "1 at d = 1"),
    Case("attention_dv_transposed", "function",
         _fn(AttentionDvTransposed, _attn_inputs, attention_ref), "mismatch",
         ("d/dv", "shape"), bug="transpose", layer="Attention",
         note="dV (6, 5) for V (5, 6): torch's autograd itself refuses the shape, the checker "
              "must report it as a mismatch of d/dv, not fail on the example"),
    Case("gelu_tanh_no_cubic_factor", "function",
         _fn(GeluTanhNoCubicFactor, _gelu_inputs, gelu_tanh_ref), "mismatch",
         bug="missing chain-rule factor", layer="GELU",
         note="one elementwise input, an error that is neither a constant factor nor a region: "
              "no words, only the verdict"),
    Case("lstm_forget_gate_no_sigmoid_derivative", "function",
         _fn(LSTMCellForgetGateNoSigmoidDerivative, _lstm_inputs, lstm_cell_ref), "mismatch",
         ("d/dc right",), bug="missing chain-rule factor", layer="LSTMCell",
         note="every gradient through the gates is wrong (the forget rows of the weights, "
              "x, h), d/dc (= dc' f) is right"),
    Case("conv1d_kernel_not_flipped", "function",
         _fn(Conv1dKernelNotFlipped, _conv_inputs, conv1d_ref), "mismatch", ("d/dx wrong",),
         bug="kernel not flipped", layer="Conv1d",
         note="right for a symmetric kernel (and kernel size 1); d/dw and d/db right"),
    Case("gelu_tanh_rounded_constant", "function",
         _fn(GeluTanhRoundedConstant, _gelu_inputs, gelu_tanh_ref), "mismatch",
         ("relative only",), bug="1e-7 relative error", layer="GELU",
         note="about 1.5e-7 relative: needs the complex step (GeluTanh's forward runs on "
              "complex numbers)"),
    Case("layernorm_float32_sums", "function",
         _fn(LayerNormFloat32Sums, _ln_inputs, layer_norm_ref), "mismatch",
         ("relative only",), bug="float32 accumulation", layer="LayerNorm",
         note="low-order bits only (~1e-7 relative); the forward is complex-step friendly"),
]

LAYERS = {"LayerNorm", "RMSNorm", "BatchNorm1d", "CrossEntropy", "Attention", "GELU",
          "LSTMCell", "Conv1d"}
BUG_CLASSES = {"missing term", "missing factor", "wrong statistic", "wrong reduction",
               "ignores grad_output", "transpose", "missing chain-rule factor",
               "kernel not flipped", "1e-7 relative error", "float32 accumulation"}

KNOWN_MISSES: dict[str, str] = {}
"""Planted bugs check_gradient does not catch (name -> reason): none recorded, see the module
docstring."""

KNOWN_FALSE_ALARMS: dict[str, str] = {}
"""Right code check_gradient rejects (name -> reason): none recorded, see the module
docstring."""

GRADCHECK_FALSE_ALARMS: dict[str, str] = {
    "layernorm_bias_1e8": "gradcheck's finite differences of y (eps 1e-6) lose ~8 digits in the "
                          "column where y ~ 1e8: rounding 1e8 * 1e-16 / 1e-6 ~ 1e-2 beats its "
                          "atol 1e-5 (gradgradcheck passes: the backward does not involve b)",
}
"""Right cases ``torch.autograd.gradcheck`` / ``gradgradcheck`` (default settings) reject
(name -> reason), as measured with torch 2.14.1; the ground-truth test asserts exactly these.
Of the planted bugs gradcheck passes the two below 1e-6 relative (gelu_tanh_rounded_constant,
layernorm_float32_sums), and raises (RuntimeError, even with ``raise_exception=False``) on
attention_dv_transposed, whose gradient torch refuses for its shape."""

BY_NAME = {c.name: c for c in CASES}
assert len(BY_NAME) == len(CASES)

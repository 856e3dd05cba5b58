"""A planted-bug corpus of hand-written backward passes (issue 13): custom
``torch.autograd.Function``s, ``nn.Module``s, torch hand gradients and numpy gradients, each
bug class planted at least once, plus correct ones.

Each :class:`Case` has ``make()`` returning a :class:`Made`: what ``check_gradient`` takes
(``fn, inputs, grad, domain, wrt``) and what ``torch.autograd.gradcheck`` takes on *the same
hand gradient* (``gc_fn``, float64 ``gc_inputs`` with ``requires_grad`` on the checked inputs;
``gc_second``: run ``gradgradcheck`` too, for autograd.Functions). A hand gradient (torch or
numpy) reaches gradcheck through :func:`hand_function`: an autograd.Function whose forward
runs the user's forward and whose backward calls the user's gradient, so gradcheck checks the
same code check_gradient checks.

``expect``: "match" (right code) or "mismatch" (a planted bug). ``diagnosis_words``: strings
that must each appear in the result's subject line or one of its diagnosis sentences (empty:
the bug class is not diagnosed in words, only the verdict is asserted). ``KNOWN_MISSES``: names
of planted bugs the checker does not catch, ``KNOWN_FALSE_ALARMS`` right code it rejects,
each with the reason (kept in the corpus, not hidden).

Used by tests/test_code_corpus.py and benchmarks/bench_code_corpus.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch

F64 = torch.float64


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


@dataclass(frozen=True)
class Case:
    name: str
    kind: str                 # function, module, torch-hand, numpy
    make: Callable[[], Made]
    expect: str               # match or mismatch
    diagnosis_words: tuple = ()
    bug: str = "correct"      # the bug class (the benchmark's table rows)
    note: str = ""


def assert_decided_right(case, r) -> None:
    """``r`` (a CodeResult) is ``case``'s expected verdict: a right case a sampled match on
    10 or more points, a planted bug a confirmed mismatch (exit 1) whose subject line or
    diagnosis holds each of its ``diagnosis_words``. Shared by the corpus tests."""
    assert r.verdict == case.expect, str(r)
    if case.expect == "match":
        assert r and r.level == "sampled" and r.points >= 10, str(r)
        return
    assert not r and r.level == "confirmed" and r.exit_code == 1, str(r)
    text = [r.subject, *r.diagnosis]
    for word in case.diagnosis_words:
        assert any(word in t for t in text), (word, text)
    if case.bug not in ("wrong second order", "wrong jvp"):
        assert r.diagnosis or not case.diagnosis_words, str(r)


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _randn(*shape, seed: int = 0) -> torch.Tensor:
    return torch.randn(*shape, dtype=F64, generator=_gen(seed))


def _leaf(t: torch.Tensor, grad: bool = True) -> torch.Tensor:
    return t.detach().clone().to(F64).requires_grad_(grad)


# ------------------------------------------------------------------ hand gradients -> gradcheck

def hand_function(forward, grad, numpy: bool = False, wrt: tuple[int, ...] | None = None):
    """An autograd.Function running ``forward`` and, as its backward, the hand ``grad`` (called
    as check_gradient calls it: with the cotangent appended when the output is not a scalar).
    ``numpy``: forward and grad take and return numpy arrays. ``wrt``: positions the hand
    gradient returns (the others get None)."""

    class Hand(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *xs):
            ctx.save_for_backward(*xs)
            args = [x.detach().numpy() if numpy else x.detach() for x in xs]
            out = forward(*args)
            ctx.scalar = np.ndim(out) == 0 or int(np.size(out)) == 1
            return torch.as_tensor(np.asarray(out) if numpy else out, dtype=F64)

        @staticmethod
        def backward(ctx, g):
            xs = ctx.saved_tensors
            args = [x.detach().numpy() if numpy else x.detach() for x in xs]
            if ctx.scalar:
                got = grad(*args)
                scale = g.reshape(())
            else:
                got = grad(*args, g.detach().numpy() if numpy else g.detach())
                scale = 1.0
            got = got if isinstance(got, (tuple, list)) else (got,)
            positions = wrt if wrt is not None else tuple(range(len(xs)))
            if len(got) == len(xs):
                got = [got[i] for i in positions]
            out = [None] * len(xs)
            for i, gi in zip(positions, got):
                if gi is not None:
                    out[i] = scale * torch.as_tensor(np.asarray(gi) if numpy else gi, dtype=F64)
                    if out[i].shape != xs[i].shape:
                        out[i] = out[i].reshape(xs[i].shape) if out[i].numel() == xs[i].numel() \
                            else out[i]
            return tuple(out)

    return Hand.apply


def hand(fn, inputs, grad, *, numpy=False, domain=None, wrt=None) -> Made:
    """A hand-gradient case: ``wrt`` are input positions (None: all float inputs)."""
    names = None
    positions = wrt
    if wrt is not None:
        import inspect
        names = [list(inspect.signature(fn).parameters)[i] for i in wrt]
    gc_inputs = tuple(_leaf(torch.as_tensor(x), positions is None or i in positions)
                      if np.asarray(x).dtype.kind == "f" else torch.as_tensor(x)
                      for i, x in enumerate(inputs))
    return Made(fn, tuple(inputs), grad, domain, hand_function(fn, grad, numpy, positions),
                gc_inputs, wrt=names)


def function(cls, inputs, domain=None) -> Made:
    return Made(cls.apply, tuple(inputs), None, domain, cls.apply,
                tuple(_leaf(x) for x in inputs), gc_second=True)


def module(m: torch.nn.Module, inputs) -> Made:
    """A module case: gradcheck sees the functional form over inputs and parameters."""
    names = [n for n, _ in m.named_parameters()]
    n_in = len(inputs)

    def functional(*args):
        return torch.func.functional_call(m, dict(zip(names, args[n_in:])), tuple(args[:n_in]))

    gc_inputs = tuple(_leaf(x) for x in inputs) + tuple(_leaf(p) for _, p in
                                                        m.named_parameters())
    return Made(m, tuple(inputs), None, None, functional, gc_inputs)


# ------------------------------------------------------------------ autograd.Functions

class Cube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        ctx.save_for_forward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return 3 * x * x * g

    @staticmethod
    def jvp(ctx, t):
        x, = ctx.saved_tensors
        return 3 * x * x * t


class CubeOff(Cube):
    """Backward off by 1e-7 relative."""

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return 3 * x * x * g * (1 + 1e-7)


class CubeDetached(Cube):
    """First order right; backward of backward wrong (one factor x detached)."""

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return 3 * x.detach() * x * g


class CubeWrongJvp(Cube):
    @staticmethod
    def jvp(ctx, t):
        x, = ctx.saved_tensors
        return 3 * x * t


class TwoX(torch.autograd.Function):
    """2x, with a wrong backward (g instead of 2g): used inside Square's backward."""

    @staticmethod
    def forward(ctx, x):
        return 2 * x

    @staticmethod
    def backward(ctx, g):
        return g


class SquareWrongSecond(torch.autograd.Function):
    """x^2 whose backward g * 2x is right in value but computed by TwoX, whose own backward is
    wrong: the second order is off by a factor 1/2."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * TwoX.apply(x)


class Sigmoid(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        s = torch.sigmoid(x)
        ctx.save_for_backward(s)
        return s

    @staticmethod
    def backward(ctx, g):
        s, = ctx.saved_tensors
        return g * s * (1 - s)


class SinWrongSign(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.sin(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return -g * torch.cos(x)


class Relu(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (x > 0).to(g.dtype)


class ReluNoMask(Relu):
    """The mask forgotten: wrong exactly where x < 0."""

    @staticmethod
    def backward(ctx, g):
        return g.clone()


class ClippedWrongAbove5(torch.autograd.Function):
    """y = x^2 / 2 for all x; the backward 'clips' its gradient to 5 (a slope cap from another
    layer pasted in): wrong exactly where x > 5."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x / 2

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * x.clamp(max=5)


class ScaleRowsMixed(torch.autograd.Function):
    """y = x * w (x (n, p), w (p,)); the backward of x takes the batch mean of g: right when n
    is 1, wrong for larger batches."""

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return x * w

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return g.mean(0, keepdim=True).expand_as(g) * w, (g * x).sum(0)


class LinearFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        return x @ w.T + b

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return g @ w, g.T @ x, g.sum(0)


class LinearFnNoBias(LinearFn):
    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return g @ w, g.T @ x, None              # the bias gradient forgotten


class MyLinear(torch.nn.Module):
    def __init__(self, fn=LinearFn):
        super().__init__()
        gen = _gen(5)
        self.weight = torch.nn.Parameter(torch.randn(2, 3, dtype=F64, generator=gen))
        self.bias = torch.nn.Parameter(torch.randn(2, dtype=F64, generator=gen))
        self.fn = fn

    def forward(self, x):
        return self.fn.apply(x, self.weight, self.bias)


def _hooked_linear() -> torch.nn.Module:
    torch.manual_seed(6)
    lin = torch.nn.Linear(3, 2).double()
    lin.register_full_backward_hook(lambda m, gin, gout: (gin[0] * 2,))
    return lin


# ------------------------------------------------------------------ the course's numpy classes

class LeastSquare:
    """The course's numpy least squares: f(beta) = |y - X beta|^2."""

    def __init__(self, X, y):
        self.X, self.y = X, y

    def forward(self, beta):
        r = self.y - self.X @ beta
        return (r.T @ r).reshape(())

    def gradient(self, beta):
        return -2 * self.X.T @ (self.y - self.X @ beta)

    def gradient_doubled(self, beta):            # 4 instead of 2
        return -4 * self.X.T @ (self.y - self.X @ beta)

    def gradient_rounded(self, beta):            # a constant rounded: 1e-7 relative
        return -2.0000002 * self.X.T @ (self.y - self.X @ beta)


class LogisticRegression:
    """Mean log-loss of labels y in {-1, 1}: f(w) = mean(log(1 + exp(-y * X w)))."""

    def __init__(self, X, y):
        self.X, self.y = X, y

    def forward(self, w):
        with np.errstate(over="ignore", invalid="ignore"):   # large drawn magnitudes
            return np.mean(np.log(1 + np.exp(-self.y * (self.X @ w))))

    def gradient(self, w):
        z = -self.y * (self.X @ w)
        with np.errstate(over="ignore"):
            return -self.X.T @ (self.y / (1 + np.exp(-z))) / len(self.y)

    def gradient_no_sigmoid(self, w):            # the chain rule's sigmoid factor forgotten
        return -self.X.T @ self.y / len(self.y)


def _least_square() -> tuple[LeastSquare, np.ndarray]:
    rng = np.random.default_rng(0)
    return LeastSquare(rng.normal(size=(5, 3)), rng.normal(size=(5, 1))), rng.normal(size=(3, 1))


def _logistic() -> tuple[LogisticRegression, np.ndarray]:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(5, 3))
    return LogisticRegression(X, np.array([1.0, -1.0, 1.0, 1.0, -1.0])), rng.normal(size=3)


# ------------------------------------------------------------------ torch hand gradients

def quad(W, x):
    return (x @ W).pow(2).sum()


def _dW(W, x):
    return 2 * x.T @ (x @ W)


def _dx(W, x):
    return 2 * (x @ W) @ W.T


def softmax_ce(z, y):
    return torch.nn.functional.cross_entropy(z, y)


def softmax_ce_grad(z, y):
    p = torch.softmax(z, -1)
    p[torch.arange(len(y)), y] -= 1
    return p / len(y), None


def mse(X, y, beta):
    return np.mean((y - X @ beta) ** 2)


def mse_grad_summed(X, y, beta):                # the mean's 1/n forgotten
    return -2 * X.T @ (y - X @ beta)


def _quad_inputs():
    return _randn(3, 3, seed=1), _randn(4, 3, seed=2)


def _wrong_entry(W, x):
    g = _dW(W, x).clone()
    g[0, 1] = 0.0                                 # one entry left at zero
    return g


# ------------------------------------------------------------------ the corpus

X3 = torch.tensor([0.5, -1.0, 2.0], dtype=F64)


def _ls(method):
    def make():
        ls, beta = _least_square()
        return hand(ls.forward, (beta,), getattr(ls, method), numpy=True)
    return make


def _lr(method):
    def make():
        lr, w = _logistic()
        return hand(lr.forward, (w,), getattr(lr, method), numpy=True)
    return make


CASES: list[Case] = [
    # ---------------------------------------------------------- correct
    Case("cube_function", "function", lambda: function(Cube, (X3,)), "match"),
    Case("sigmoid_function", "function", lambda: function(Sigmoid, (X3,)), "match"),
    Case("relu_function", "function", lambda: function(Relu, (X3,)), "match",
         note="the subgradient 0 at the kink x = 0: points there are skipped as kinks"),
    Case("linear_module", "module", lambda: module(MyLinear(), (_randn(4, 3, seed=3),)),
         "match"),
    Case("least_square_numpy", "numpy", _ls("gradient"), "match"),
    Case("logistic_regression_numpy", "numpy", _lr("gradient"), "match"),
    Case("softmax_cross_entropy_torch", "torch-hand",
         lambda: hand(softmax_ce, (_randn(3, 4, seed=4), torch.tensor([1, 0, 3])),
                      softmax_ce_grad, wrt=(0,)), "match"),
    Case("quad_two_inputs_torch", "torch-hand",
         lambda: hand(quad, _quad_inputs(), lambda W, x: (_dW(W, x), _dx(W, x))), "match"),
    # ---------------------------------------------------------- planted
    Case("mse_summed_numpy", "numpy",
         lambda: hand(mse, (np.ones((4, 2)) + np.arange(8).reshape(4, 2) / 10, np.zeros((4, 1)),
                            np.ones((2, 1))), mse_grad_summed, numpy=True, wrt=(2,)),
         "mismatch", ("wrong reduction", "X.shape[0]"), bug="wrong reduction"),
    Case("cross_entropy_summed_torch", "torch-hand",
         lambda: hand(softmax_ce, (_randn(3, 4, seed=4), torch.tensor([1, 0, 3])),
                      lambda z, y: (softmax_ce_grad(z, y)[0] * len(y), None), wrt=(0,)),
         "mismatch", ("wrong reduction",), bug="wrong reduction"),
    Case("batch_mixed_function", "function",
         lambda: function(ScaleRowsMixed, (_randn(4, 3, seed=7), _randn(3, seed=8))),
         "mismatch", ("depends on the batch",), bug="gradient depends on the batch"),
    Case("forgotten_bias_module", "module",
         lambda: module(MyLinear(LinearFnNoBias), (_randn(4, 3, seed=3),)),
         "mismatch", ("d/dbias: no gradient",), bug="forgotten bias"),
    Case("transpose_nonsquare_torch", "torch-hand",
         lambda: hand(lambda A: (A ** 2).sum(), (_randn(2, 3, seed=9),), lambda A: 2 * A.T),
         "mismatch", ("wrong shape", "transposed"), bug="transpose"),
    Case("transpose_square_torch", "torch-hand",
         lambda: hand(quad, _quad_inputs(), lambda W, x: (_dW(W, x).T, _dx(W, x))),
         "mismatch", ("d/dW: transposed",), bug="transpose"),
    Case("sign_function", "function", lambda: function(SinWrongSign, (X3,)),
         "mismatch", ("sign error",), bug="sign"),
    Case("missing_chain_factor_numpy", "numpy", _lr("gradient_no_sigmoid"), "mismatch",
         bug="missing chain-rule factor",
         note="not a constant factor, an entry or a region: no words, only the verdict"),
    Case("factor_2_numpy", "numpy", _ls("gradient_doubled"), "mismatch",
         ("constant factor: hand = 2",), bug="constant factor 2"),
    Case("factor_2_hook_module", "module", lambda: module(_hooked_linear(),
                                                          (_randn(4, 3, seed=10),)),
         "mismatch", ("d/dinput: constant factor: hand = 2",), bug="constant factor 2"),
    Case("wrong_entry_torch", "torch-hand",
         lambda: hand(quad, _quad_inputs(), lambda W, x: (_wrong_entry(W, x), _dx(W, x))),
         "mismatch", ("only entries [0, 1]",), bug="wrong entry/component"),
    Case("wrong_component_torch", "torch-hand",
         lambda: hand(quad, _quad_inputs(), lambda W, x: (_dW(W, x), 2 * (x @ W) @ W)),
         "mismatch", ("wrong component: d/dx wrong; d/dW right",), bug="wrong entry/component",
         note="also says 'depends on the batch' (right when W is 1 x 1): misleading, W is "
              "not a batch; the missing transpose is not named"),
    Case("relu_no_mask_function", "function", lambda: function(ReluNoMask, (X3,)),
         "mismatch", ("wrong only on part of the domain",), bug="part of the domain",
         note="the region is named on one coordinate (x[0] < 0) although the mask is "
              "elementwise: only the words 'part of the domain' are asserted"),
    Case("wrong_above_5_function", "function",
         lambda: function(ClippedWrongAbove5, (X3,)),
         "mismatch", bug="part of the domain",
         note="caught (Hypothesis draws x > 5) but not diagnosed in words: the diagnosis "
              "splits points, not entries, and finds no threshold: only the verdict"),
    Case("off_1e7_function", "function", lambda: function(CubeOff, (X3 + 1.0,)),
         "mismatch", ("off by 1e-07 relative",), bug="1e-7 relative error"),
    Case("off_1e7_numpy", "numpy", _ls("gradient_rounded"), "mismatch",
         ("off by 1e-07 relative",), bug="1e-7 relative error"),
    Case("second_order_detached_function", "function", lambda: function(CubeDetached, (X3,)),
         "mismatch", ("second order",), bug="wrong second order"),
    Case("second_order_formula_function", "function",
         lambda: function(SquareWrongSecond, (X3,)),
         "mismatch", ("second order",), bug="wrong second order"),
    Case("wrong_jvp_function", "function", lambda: function(CubeWrongJvp, (X3,)),
         "mismatch", ("jvp",), bug="wrong jvp"),
]

KNOWN_MISSES: dict[str, str] = {}
"""Planted bugs check_gradient does not catch (name -> reason); kept in CASES. None at
examples=30 and 50 on 2026-12-03."""

KNOWN_FALSE_ALARMS: dict[str, str] = {}
"""Right code check_gradient rejects (name -> reason); kept in CASES with expect="match".
relu_function was one until the one-sided-differences kink test (check.py ``_kink``):
Hypothesis shrank to x = 0, where the subgradient 0 differed from Richardson's central
difference 1/2 with no second reference (the complex step refuses clamp) to mark the kink."""

BY_NAME = {c.name: c for c in CASES}
assert len(BY_NAME) == len(CASES)

"""check_gradient on gradients written as code: every planted mistake is rejected with the
diagnosis that names it, and the right gradients pass (so each test fails if the checker
accepted the wrong code or refused the right one)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import workbench
from code_corpus import Cube, CubeDetached, CubeWrongJvp
from workbench.code import assert_gradient_code, check_gradient
from workbench.errors import UserError

EXAMPLES = 15  # Hypothesis examples per check: enough for "agrees on N samples" (N >= 10)


# ------------------------------------------------------------------ the course's least squares

class LeastSquare:
    """The course's numpy least squares: f(beta) = |y - X beta|^2."""

    def __init__(self, X, y):
        self.X, self.y = X, y

    def forward(self, beta):
        r = self.y - self.X @ beta
        return r.T @ r

    def gradient(self, beta):
        return -2 * self.X.T @ (self.y - self.X @ beta)

    def gradient_halved(self, beta):            # a classic slip: the 2 forgotten
        return -self.X.T @ (self.y - self.X @ beta)


@pytest.fixture(scope="module")
def least_square():
    rng = np.random.default_rng(0)
    return LeastSquare(rng.normal(size=(5, 3)), rng.normal(size=(5, 1))), rng.normal(size=(3, 1))


def test_least_square_right_gradient_matches(least_square):
    ls, beta = least_square
    r = check_gradient(ls.forward, (beta,), grad=ls.gradient, examples=EXAMPLES)
    assert r and r.verdict == "match" and r.level == "sampled" and r.exit_code == 0
    assert r.points >= 10 and "complex step" in r.references


def test_least_square_wrong_gradient_is_a_confirmed_mismatch(least_square):
    ls, beta = least_square
    r = check_gradient(ls.forward, (beta,), grad=ls.gradient_halved, examples=EXAMPLES)
    assert not r and r.verdict == "mismatch" and r.level == "confirmed" and r.exit_code == 1
    assert any("constant factor: hand = 1/2" in d for d in r.diagnosis), r.diagnosis
    assert r.counterexample["inputs"]["beta"] is not None


def test_mean_loss_with_a_summed_gradient_is_a_wrong_reduction():
    X, y, b = np.ones((4, 2)), np.zeros((4, 1)), np.ones((2, 1))
    mse = lambda X, y, beta: np.mean((y - X @ beta) ** 2)
    summed = lambda X, y, beta: -2 * X.T @ (y - X @ beta)
    r = check_gradient(mse, (X, y, b), grad=summed, wrt=["beta"], examples=EXAMPLES)
    assert not r
    assert any("wrong reduction" in d and "X.shape[0]" in d for d in r.diagnosis), r.diagnosis
    right = lambda X, y, beta: -2 * X.T @ (y - X @ beta) / len(y)
    assert check_gradient(mse, (X, y, b), grad=right, wrt=["beta"], examples=EXAMPLES)


# ------------------------------------------------------------------ mistakes by kind

W0 = torch.randn(3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
X0 = torch.randn(4, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(2))


def quad(W, x):
    return (x @ W).pow(2).sum()


def _dx(W, x):
    return 2 * (x @ W) @ W.T


@pytest.mark.parametrize("grad, words", [
    (lambda W, x: ((2 * x.T @ (x @ W)).T, _dx(W, x)), "d/dW: transposed"),
    (lambda W, x: (-2 * x.T @ (x @ W), _dx(W, x)), "d/dW: sign error"),
    (lambda W, x: (6 * x.T @ (x @ W), _dx(W, x)), "d/dW: constant factor: hand = 3 x"),
    (lambda W, x: (2 * x.mean(0, keepdim=True).expand_as(x).T
                   @ (x.mean(0, keepdim=True).expand_as(x) @ W), _dx(W, x)),
     "depends on the batch"),
], ids=["transpose", "sign", "factor", "batch"])
def test_each_planted_mistake_is_diagnosed(grad, words):
    r = check_gradient(quad, (W0, X0), grad=grad, examples=EXAMPLES)
    assert not r and r.level == "confirmed"
    assert any(words in d for d in r.diagnosis), r.diagnosis
    assert "wrong component: d/dW wrong; d/dx right" in r.diagnosis[0]


def test_right_gradient_of_two_inputs_matches():
    r = check_gradient(quad, (W0, X0), grad=lambda W, x: (2 * x.T @ (x @ W), _dx(W, x)),
                       examples=EXAMPLES)
    assert r, str(r)
    assert {"W", "x"} == set(r.wrt)


def test_non_square_transpose_is_a_shape_mismatch():
    A = torch.ones(2, 3, dtype=torch.float64)
    r = check_gradient(lambda A: (A ** 2).sum(), (A,), grad=lambda A: 2 * A.T,
                       examples=EXAMPLES)
    assert not r and "wrong shape" in r.how and "transposed" in r.how


def test_error_of_1e7_relative_is_caught_by_autograd_float64():
    x = torch.linspace(-1, 1, 3, dtype=torch.float64)
    f = lambda x: (x.exp() * x).sum()
    right = lambda x: x.exp() * (1 + x)
    r = check_gradient(f, (x,), grad=lambda x: right(x) * (1 + 1e-7), examples=EXAMPLES)
    assert not r and r.references[0] == "autograd float64"
    assert any("off by 1e-07 relative" in d for d in r.diagnosis), r.diagnosis
    assert check_gradient(f, (x,), grad=right, examples=EXAMPLES)


def test_error_of_1e7_relative_in_numpy_is_caught_by_the_complex_step():
    x = np.linspace(0.5, 1.5, 3)
    f = lambda x: np.sum(np.sin(x) * x)
    right = lambda x: np.cos(x) * x + np.sin(x)
    r = check_gradient(f, (x,), grad=lambda x: right(x) * (1 + 1e-7), examples=EXAMPLES)
    assert not r and r.references[0] == "complex step"
    assert check_gradient(f, (x,), grad=right, examples=EXAMPLES)


def test_vector_valued_function_takes_the_cotangent():
    x = torch.randn(3, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    assert check_gradient(torch.sin, (x,), grad=lambda x, v: v * torch.cos(x),
                          examples=EXAMPLES)
    r = check_gradient(torch.sin, (x,), grad=lambda x, v: torch.cos(x), examples=EXAMPLES)
    assert not r


def test_cross_entropy_with_labels_and_reduction():
    z = torch.randn(3, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    y = torch.tensor([1, 0, 3])
    ce = torch.nn.functional.cross_entropy

    def grad(z, y, mean=True):
        p = torch.softmax(z, -1)
        p[torch.arange(len(y)), y] -= 1
        return (p / len(y) if mean else p), None

    assert check_gradient(ce, (z, y), grad=grad, examples=EXAMPLES)
    r = check_gradient(ce, (z, y), grad=lambda z, y: grad(z, y, mean=False), examples=EXAMPLES)
    assert not r and "wrong reduction" in r.diagnosis[0]


# ------------------------------------------------------------------ autograd.Function, modules

class CubeWrongBackward(Cube):
    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return 2 * x * x * g


X3 = torch.tensor([0.5, -1.0, 2.0])


def test_function_backward_first_second_order_and_jvp():
    r = check_gradient(Cube.apply, (X3,), examples=EXAMPLES)
    assert r, str(r)
    assert [p.subject for p in r.parts] == ["Cube.backward, second order (backward of backward)",
                                            "Cube.jvp"]


@pytest.mark.parametrize("cls, subject", [
    (CubeWrongBackward, "CubeWrongBackward.backward"),
    (CubeDetached, "CubeDetached.backward, second order"),
    (CubeWrongJvp, "CubeWrongJvp.jvp"),
])
def test_function_mistakes_by_order(cls, subject):
    r = check_gradient(cls.apply, (X3,), examples=EXAMPLES)
    assert not r and r.subject.startswith(subject), str(r)


class LinearFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        return x @ w.T + b

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return g @ w, g.T @ x, None              # the bias gradient forgotten


class LinearFnRight(LinearFn):
    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return g @ w, g.T @ x, g.sum(0)


class MyLinear(torch.nn.Module):
    def __init__(self, fn=LinearFn):
        super().__init__()
        gen = torch.Generator().manual_seed(5)
        self.weight = torch.nn.Parameter(torch.randn(2, 3, generator=gen))
        self.bias = torch.nn.Parameter(torch.randn(2, generator=gen))
        self.fn = fn

    def forward(self, x):
        return self.fn.apply(x, self.weight, self.bias)


def test_module_with_a_forgotten_bias_gradient():
    r = check_gradient(MyLinear(), (torch.randn(4, 3),), examples=EXAMPLES)
    assert not r and r.counterexample["variable"] == "bias"
    assert r.diagnosis[0].startswith("d/dbias: no gradient (None) for this parameter"), \
        r.diagnosis
    assert check_gradient(MyLinear(LinearFnRight), (torch.randn(4, 3),), examples=EXAMPLES)


def test_module_backward_hook_that_scales_is_caught():
    lin = torch.nn.Linear(3, 2)
    lin.register_full_backward_hook(lambda m, gin, gout: (gin[0] * 2,))
    r = check_gradient(lin, (torch.randn(4, 3),), examples=EXAMPLES)
    assert not r and any("d/dinput: constant factor: hand = 2" in d for d in r.diagnosis), \
        r.diagnosis


def test_float32_forward_that_disagrees_with_float64_is_flagged():
    def f(x):                 # a float32 constant hard-coded for float32 inputs only
        c = 1.5 if x.dtype == torch.float64 else 1.0
        return (c * x ** 2).sum()
    r = check_gradient(f, (torch.ones(3),), grad=lambda x: 3.0 * x, examples=EXAMPLES)
    assert r and any("disagrees with itself" in n for n in r.notes), r.notes


# ------------------------------------------------------------------ the result and bad input

def test_result_renders_as_text_markdown_html_and_json(least_square):
    ls, beta = least_square
    r = check_gradient(ls.forward, (beta,), grad=ls.gradient_halved, examples=EXAMPLES)
    text = str(r)
    assert text.splitlines()[0].startswith("LeastSquare.gradient_halved: mismatch confirmed")
    assert "smallest counterexample" in text
    assert "❌" in r._repr_markdown_() and "<b>" in r._repr_html_()
    data = json.loads(json.dumps(r.to_dict()))
    assert data["verdict"] == "mismatch" and data["level"] == "confirmed"


def test_lazy_export_and_pytest_helper(least_square):
    ls, beta = least_square
    assert workbench.check_gradient is check_gradient
    assert_gradient_code(ls.forward, (beta,), grad=ls.gradient, examples=EXAMPLES)
    with pytest.raises(AssertionError) as info:
        assert_gradient_code(ls.forward, (beta,), grad=ls.gradient_halved, examples=EXAMPLES)
    assert str(info.value).splitlines()[0].startswith("gradient mismatch: d/dbeta: constant "
                                                      "factor")


@pytest.mark.parametrize("call, words", [
    (lambda: check_gradient(np.sum, ("text",), grad=np.ones_like), "expected a torch tensor"),
    (lambda: check_gradient(np.sum, (np.ones(2),), grad=3), "expected a callable"),
    (lambda: check_gradient(np.sum, (np.ones(2),)), "for numpy code give grad="),
    (lambda: check_gradient(np.sum, (np.ones(2),), grad=np.ones_like, domain="blue"),
     "domain"),
    (lambda: check_gradient(np.sum, (np.ones(2),), grad=lambda x: (x, x)), "grad returned 2"),
    (lambda: check_gradient(lambda x: 1 / 0, (np.ones(2),), grad=np.ones_like),
     "fails on its own example"),
    (lambda: check_gradient(np.sum, (np.ones(2),), grad=np.ones_like, wrt=["y"]),
     "unknown input"),
])
def test_bad_input_is_a_one_line_user_error(call, words):
    with pytest.raises(UserError) as info:
        call()
    assert words in str(info.value) and "\n" not in str(info.value)

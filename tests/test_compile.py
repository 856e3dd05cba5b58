"""The SymPy → torch compiler against SymPy's own evaluation, every rule family, batched and
not, float64 and float32; then one test per known printer trap.

Inputs are drawn with a fixed seed and rounded to float32, so that both dtypes see the same
exact numbers and SymPy evaluates the reference on them.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
import torch
from sympy.matrices.expressions.matexpr import MatrixElement

from workbench.compile import RULES, CompiledFunction, compile_expr
from workbench.errors import ShapeError, UnsupportedExpression, UserError
from workbench.expr.functions import is_matrix
from workbench.expr.spaces import Variable, dim_symbol
from workbench.oracles.tolerances import tolerance_for
from workbench.expr.sampling import typical_range

DTYPES = (torch.float64, torch.float32)
SIZES = {"n": 4, "p": 3}
B = 3

x, y = Variable.scalar("x"), Variable.scalar("y")
xpos, xunit = Variable.scalar("x", "positive"), Variable.scalar("x", "[-0.9,0.9]")
X, Xpos = Variable.matrix("X", "n", "p", "[-1,1]"), Variable.matrix("X", "n", "p", "positive")
A = Variable.matrix("A", "p", "p", "[-1,1]")
beta, yv = Variable.matrix("beta", "p", 1), Variable.matrix("y", "n", 1)
n = dim_symbol("n")
d = sp.Dummy("d", real=True)


def S(v: Variable):
    return v.symbol()


def draw(v: Variable, rng: np.random.Generator, sizes=SIZES) -> np.ndarray:
    """One value of ``v``, float32-exact. Square matrices get 4*I added so that inverse and
    determinant are well conditioned (they stay non-symmetric)."""
    low, high = typical_range(v.domain)
    value = rng.uniform(low, high, v.concrete_shape(sizes))
    if v.is_matrix and value.shape[0] == value.shape[1]:
        value = value + 4 * np.eye(value.shape[0])
    return value.astype(np.float32).astype(np.float64)


def sympy_value(expr, variables, values: dict, sizes=SIZES) -> np.ndarray:
    """SymPy's own value of ``expr`` at ``values`` (name -> float or array)."""
    dims = {dim_symbol(k): sp.Integer(s) for k, s in sizes.items()}
    sub = {}
    for v in variables:
        if v.is_matrix:
            ms = sp.MatrixSymbol(v.name, *v.concrete_shape(sizes))
            sub[ms] = sp.ImmutableMatrix(values[v.name].tolist())
        else:
            sub[S(v)] = sp.Float(float(values[v.name]))
    out = expr.xreplace(dims).xreplace(sub).doit()
    if is_matrix(out):
        return np.array(sp.ImmutableMatrix(out.as_explicit()).evalf().tolist(), dtype=float)
    return np.array(float(out.evalf()))


def close(got: torch.Tensor, want: np.ndarray, dtype: torch.dtype) -> bool:
    want_t = torch.as_tensor(want, dtype=torch.float64)
    return got.shape == want_t.shape and \
        bool(tolerance_for(dtype).close(got.double(), want_t).all())


def check(expr, variables, seed: int = 0):
    """Unbatched at B points and batched over them, in both dtypes, against SymPy."""
    rng = np.random.default_rng(seed)
    points = [{v.name: draw(v, rng) for v in variables} for _ in range(B)]
    want = [sympy_value(expr, variables, p) for p in points]
    f = compile_expr(expr, variables)
    for dtype in DTYPES:
        one = [f({k: torch.tensor(a, dtype=dtype) for k, a in p.items()}) for p in points]
        batch = f({k: torch.tensor(np.stack([p[k] for p in points]), dtype=dtype)
                   for k in points[0]}, batched=True)
        assert batch.dtype == dtype and all(o.dtype == dtype for o in one)
        for k in range(B):
            assert close(one[k], want[k], dtype), (dtype, k, one[k], want[k])
            assert close(batch[k], want[k], dtype), (dtype, k, batch[k], want[k])


CASES = {
    "arithmetic": (3 * S(x) - 2 * S(y) + S(x) * S(y) + sp.Rational(1, 3) * S(x)
                   + sp.Float(0.25) * S(y) - S(x) / S(y), [x, y]),
    "powers": (S(xpos) ** 3 + S(xpos) ** -2 + S(xpos) ** sp.Rational(3, 2) + sp.sqrt(S(xpos))
               + S(xpos) ** S(y), [xpos, y]),
    "exp_log": (sp.exp(-S(xpos)) + sp.log(S(xpos)) + sp.log(S(xpos), 3)
                + sp.log(S(xpos), 3, evaluate=False), [xpos]),
    "trig": (sp.sin(S(x)) + sp.cos(S(x)) * sp.tan(S(x) / 8) + sp.atan(S(x))
             + sp.atan2(S(y), S(x)), [x, y]),
    "inverse_trig": (sp.asin(S(xunit)) + sp.acos(S(xunit)) ** 2 + sp.atanh(S(xunit)), [xunit]),
    "hyperbolic": (sp.sinh(S(y) / 3) + sp.cosh(S(y) / 3) + sp.tanh(S(y)) + sp.asinh(S(y))
                   + sp.acosh(S(xpos) + 1), [xpos, y]),
    "nonsmooth": (sp.Abs(S(x)) + 3 * sp.sign(S(y)) + sp.floor(S(x)) + 2 * sp.ceiling(S(y))
                  + sp.Heaviside(S(x)) + sp.Heaviside(S(y), 0) + sp.erf(S(x)), [x, y]),
    "max_min": (sp.Max(1.0, S(x), S(y)) + sp.Min(S(x), 0) + sp.Max(S(x), S(y) ** 2)
                + sp.Min(S(x), S(y), sp.Rational(-1, 2)), [x, y]),
    "piecewise": (sp.Piecewise((S(x) ** 2, sp.And(S(x) < 1, S(y) > 0)),
                               (S(x), sp.Or(S(x) >= 2, sp.Not(S(y) <= -1))),
                               (-S(y), S(x) > -1), (1, True)), [x, y]),
    "constants": ((sp.pi + sp.E + sp.EulerGamma + sp.sqrt(2) + sp.log(2)) * S(x), [x]),
    "deltas": (S(x) + sp.DiracDelta(S(x)) + sp.KroneckerDelta(S(x), S(y)), [x, y]),
    "least_squares": (2 * S(X).T * (S(X) * S(beta) - S(yv)) / n, [X, beta, yv]),
    "matadd_matmul": (S(X).T * S(X) + 2 * S(x) * sp.Identity(3) - sp.OneMatrix(3, 3) / n
                      + sp.ZeroMatrix(3, 3), [X, x]),
    "square_ops": (S(A).T * sp.Inverse(S(A)) * sp.Determinant(S(A)) + sp.Trace(S(A)) * S(A)
                   + sp.MatPow(S(A), 3) + S(A) ** -2, [A]),
    "hadamard": (sp.HadamardProduct(S(Xpos), S(Xpos) + sp.OneMatrix(*S(Xpos).shape))
                 + sp.HadamardPower(S(Xpos), 3) + sp.HadamardPower(S(Xpos), S(y) / 4),
                 [Xpos, y]),
    "applyfunc": (S(X).applyfunc(sp.exp) + S(X).applyfunc(sp.Lambda(d, sp.sin(S(x) * d)))
                  + S(X).applyfunc(sp.Lambda(d, S(x))), [X, x]),
    "elements": (S(X)[0, 1] * S(X)[3, 2] + S(beta)[1, 0] + MatrixElement(S(X) * S(beta), 2, 0),
                 [X, beta]),
    "explicit": (sp.ImmutableMatrix([[S(x), S(X)[0, 1]], [sp.pi, S(x) * S(y)]]), [x, y, X]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_family_matches_sympy(name):
    expr, variables = CASES[name]
    check(expr, variables)


def test_one_by_one_matrix_in_scalar_expression():
    b = S(beta)
    f = compile_expr(sp.exp(b.T * b) + S(x) * sp.Trace(b.T * b) + sp.log(b.T * b), [beta, x])
    bv, xv = torch.tensor([[0.5], [1.0], [-2.0]]), torch.tensor(1.5)
    s = (bv ** 2).sum()
    assert torch.allclose(f({"beta": bv, "x": xv}), torch.exp(s) + xv * s + torch.log(s))
    assert f({"beta": bv.expand(4, 3, 1), "x": xv.expand(4)}, batched=True).shape == (4,)


def test_elementwise_constant_keeps_the_matrix_shape():
    f = compile_expr(sp.Trace(S(A).applyfunc(sp.Lambda(d, 2))), [A])
    assert f({"A": torch.zeros(3, 3)}).item() == 6.0


def test_log2_stays_float32():
    f = compile_expr(sp.log(2) * S(x), [x])
    out = f({"x": torch.tensor(1.5, dtype=torch.float32)})
    assert out.dtype == torch.float32 and abs(out.item() - 1.5 * np.log(2)) < 1e-6


def test_sqrt2_times_x():
    f = compile_expr(sp.sqrt(2) * S(x), [x])
    for dtype, tol in [(torch.float64, 1e-14), (torch.float32, 1e-6)]:
        out = f({"x": torch.tensor(3.0, dtype=dtype)})
        assert out.dtype == dtype and abs(out.item() - 3 * 2 ** 0.5) < tol


def test_max_and_min_with_plain_numbers():
    f = compile_expr(sp.Max(1.0, S(x)) + 10 * sp.Min(S(x), 0), [x])
    xs = torch.tensor([-2.0, 0.5, 3.0], dtype=torch.float32)
    assert torch.equal(f({"x": xs}, batched=True),
                       torch.tensor([-19.0, 1.0, 3.0], dtype=torch.float32))


def test_transpose_of_square_matrix_transposes():
    f = compile_expr(S(A).T, [A])
    a = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 10.0]])
    assert torch.equal(f({"A": a}), a.T) and not torch.equal(a, a.T)
    assert torch.equal(f({"A": a.expand(2, 3, 3)}, batched=True), a.T.expand(2, 3, 3))


def test_piecewise_branch_order_and_no_branch_is_nan():
    pw = sp.Piecewise((1, S(x) < 0), (2, S(x) < 1), (3, sp.Eq(S(x), 5)), (4, sp.Ne(S(x), 6)))
    f = compile_expr(pw, [x])
    out = f({"x": torch.tensor([-1.0, 0.5, 5.0, 2.0, 6.0])}, batched=True)
    assert out[:4].tolist() == [1.0, 2.0, 3.0, 4.0] and torch.isnan(out[4])


def test_rational_is_true_division():
    f = compile_expr(sp.Rational(1, 3) * S(x), [x])
    assert abs(f({"x": torch.tensor(3.0)}).item() - 1.0) < 1e-6


def test_least_squares_batched_over_shared_data_with_sizes_from_shapes():
    f = compile_expr(2 * S(X).T * (S(X) * S(beta) - S(yv)) / n, [X, beta, yv])
    gen = torch.Generator().manual_seed(0)
    for rows, cols in [(5, 3), (7, 2)]:
        data = torch.randn(rows, cols, generator=gen, dtype=torch.float64)
        target = torch.randn(rows, 1, generator=gen, dtype=torch.float64)
        betas = torch.randn(4, cols, 1, generator=gen, dtype=torch.float64)
        before = data.clone()
        out = f({"X": data.expand(4, rows, cols), "beta": betas, "y": target.expand(4, rows, 1),
                 "unused": torch.zeros(2)}, batched=True)
        want = 2 * data.T @ (data @ betas - target) / rows
        assert out.shape == (4, cols, 1) and torch.allclose(out, want)
        assert torch.equal(data, before)


def test_explicit_size_gradient_with_element_symbols():
    """A gradient derived on explicit sizes: entries use element symbols ``X[i,j]`` (or
    ``MatrixElement``s of a fixed-size X) while X is declared (n, p)."""
    elems = sp.ImmutableMatrix(2, 2, lambda i, j: sp.Symbol(f"X[{i},{j}]", real=True))
    loss = sum((elems * sp.ImmutableMatrix([1, 2])).applyfunc(lambda t: t ** 2))
    grad = elems.applyfunc(lambda s: sp.diff(loss, s))
    fixed = grad.xreplace({elems[i, j]: sp.MatrixSymbol("X", 2, 2)[i, j]
                           for i in range(2) for j in range(2)})
    xs = torch.tensor([[1.0, -2.0], [0.5, 3.0]], dtype=torch.float64)
    v = torch.tensor([[1.0], [2.0]], dtype=torch.float64)
    want = 2 * (xs @ v) @ v.T
    for g in (grad, fixed):
        f = compile_expr(g, [X])
        assert f.is_matrix and torch.allclose(f({"X": xs}), want)
        assert torch.allclose(f({"X": xs.expand(3, 2, 2)}, batched=True), want.expand(3, 2, 2))
    with pytest.raises(ShapeError, match="X must have shape"):
        compile_expr(fixed, [X])({"X": torch.zeros(3, 2)})


def test_constant_and_dimension_only_results_follow_batch_dtype_and_shape():
    ident = compile_expr(sp.Identity(n) / n, [X])
    out = ident({"X": torch.zeros(2, 4, 3, dtype=torch.float32)}, batched=True)
    assert out.shape == (2, 4, 4) and out.dtype == torch.float32
    assert torch.allclose(out, torch.eye(4).expand(2, 4, 4) / 4)
    scaled = compile_expr(2 * S(beta) / n, [X, beta])
    assert torch.allclose(scaled({"X": torch.zeros(5, 3), "beta": torch.ones(3, 1)}),
                          torch.full((3, 1), 0.4))
    const = compile_expr(sp.Integer(2), [x])
    assert const({"x": torch.zeros(5)}, batched=True).tolist() == [2.0] * 5


def test_shared_subexpression_runs_once():
    calls = []
    g = sp.Function("g")

    def counted(t):
        calls.append(1)
        return t * 2

    f = compile_expr(g(S(x)) ** 2 + sp.sin(g(S(x))) + g(S(x)), [x], extra_funcs={"g": counted})
    assert abs(f({"x": torch.tensor(0.5)}).item() - (1 + np.sin(1) + 1)) < 1e-6
    assert len(calls) == 1


def test_extra_funcs_by_class_and_by_name():
    expr = sp.gamma(S(xpos)) + sp.loggamma(S(xpos))
    with pytest.raises(UnsupportedExpression, match="no torch rule for gamma"):
        compile_expr(expr, [xpos])
    f = compile_expr(expr, [xpos], extra_funcs={sp.gamma: lambda t: torch.lgamma(t).exp(),
                                                "loggamma": torch.lgamma})
    assert abs(f({"x": torch.tensor(4.0)}).item() - (6 + np.log(6))) < 1e-5
    with pytest.raises(UserError, match="must be a torch callable"):
        compile_expr(expr, [xpos], extra_funcs={"gamma": 3})


@pytest.mark.parametrize("expr, node", [
    (sp.Derivative(sp.floor(S(x)), S(x)), "Derivative"),
    (sp.zoo * S(x), "ComplexInfinity"),
    (sp.I * S(x), "ImaginaryUnit"),
    (S(x) + sp.nan, "NaN"),
    (S(x) + sp.oo, "Infinity"),
    (sp.MatPow(S(A), sp.Rational(1, 2)), "MatPow"),
    (sp.KroneckerProduct(S(A), S(A)), "KroneckerProduct"),
])
def test_unsupported_node_is_named_at_compile_time(expr, node):
    with pytest.raises(UnsupportedExpression, match=f"no torch rule for {node}"):
        compile_expr(expr, [x, A])


def test_every_rule_is_a_sympy_class():
    assert all(isinstance(k, type) and issubclass(k, sp.Basic) for k in RULES)


def test_bad_points_raise_named_errors():
    f = compile_expr(S(x) * sp.Trace(S(A)), [x, A, y])
    assert isinstance(f, CompiledFunction) and f.variables == (x, A, y) and not f.is_matrix
    with pytest.raises(ShapeError, match="no value for A"):
        f({"x": torch.tensor(1.0), "y": torch.tensor(1.0)})
    with pytest.raises(ShapeError, match=r"x must be a tensor of shape \(B,\)"):
        f({"x": torch.tensor(1.0), "A": torch.eye(3).expand(2, 3, 3)}, batched=True)
    with pytest.raises(ShapeError, match="batch size"):
        f({"x": torch.ones(3), "A": torch.eye(3).expand(2, 3, 3)}, batched=True)
    with pytest.raises(UnsupportedExpression, match="symbol z"):
        compile_expr(S(x) + sp.Symbol("z"), [x])
    with pytest.raises(ShapeError, match="not a declared matrix"):
        compile_expr(sp.Trace(sp.MatrixSymbol("x", 2, 2)), [x])


def test_compiled_function_is_differentiable_by_autograd():
    f = compile_expr(sp.sin(S(x)) * S(x) + sp.Heaviside(S(x)) + sp.Max(S(x), 0), [x])
    df = compile_expr(sp.diff(sp.sin(S(x)) * S(x) + sp.Max(S(x), 0), S(x)), [x])
    xs = torch.tensor([-1.2, 0.7, 2.5], dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(f({"x": xs}, batched=True).sum(), xs)
    assert torch.allclose(grad, df({"x": xs.detach()}, batched=True))
